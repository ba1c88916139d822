using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Optimizers;

[TestClass]
public sealed class MomentumSgdTests
{
    [TestMethod]
    public void StepsFollowPyTorchsSgdWithMomentumAndWeightDecay()
    {
        Tensor p = Tensor.FromValues([1f, -2f], 2);
        var sgd = new MomentumSgd([p], learningRate: 0.1f, momentum: 0.9f, weightDecay: 0.5f);
        Tensor g = Tensor.FromValues([0.2f, 0.4f], 2);

        sgd.Step([g]); // d = g + 0.5p = (0.7, −0.6); v = d; p −= 0.1v
        AssertClose([0.93f, -1.94f], p.ToArray());
        sgd.Step([g]); // d = (0.2 + 0.465, 0.4 − 0.97) = (0.665, −0.57); v = 0.9(0.7, −0.6) + d = (1.295, −1.11)
        AssertClose([0.93f - 0.1295f, -1.94f + 0.111f], p.ToArray());
        Assert.AreEqual(2, sgd.StepCount);
    }

    [TestMethod]
    public void RestoredStateContinuesExactly()
    {
        Tensor a = Tensor.FromValues([1f, 2f, 3f], 3), b = Tensor.FromValues([1f, 2f, 3f], 3);
        Tensor g1 = Tensor.FromValues([0.5f, -1f, 2f], 3), g2 = Tensor.FromValues([-0.25f, 0.75f, 1f], 3);
        var first = new MomentumSgd([a], 0.05f, 0.5f, 1e-3f);
        first.Step([g1]);
        var second = new MomentumSgd([b], 0.05f, 0.5f, 1e-3f);
        b.CopyFrom(a.ToArray());
        IReadOnlyList<float[]> state = first.State;
        second.Restore(state, first.StepCount);
        state[0][0] = float.NaN; // a copy: changing it changes neither optimiser

        first.Step([g2]);
        second.Step([g2]);

        CollectionAssert.AreEqual(a.ToArray(), b.ToArray());
        Assert.AreEqual(2, second.StepCount);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => second.Restore([new float[2]], 1)).Message, "one velocity per parameter");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MomentumSgd([a], 0.1f, 0.5f, weightDecay: -1f));
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-6f, $"element {i}");
        }
    }
}
