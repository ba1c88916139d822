using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Optimizers;

[TestClass]
public sealed class AdamTests
{
    [TestMethod]
    public void FirstStepMovesEveryValueByTheRateTimesItsScaleAgainstTheGradient()
    {
        Tensor a = Tensor.FromValues([1f, 2f], 2), b = Tensor.FromValues([1f, 2f], 2);
        var adam = new Adam([a, b], learningRate: 0.01f, beta1: 0.5f, rateScales: [1f, 0.25f]);
        Tensor gradient = Tensor.FromValues([3f, -0.5f], 2);

        adam.Step([gradient, gradient]);

        // With bias correction the first step is lr·g/(|g| + ε): the rate itself, in the gradient's opposite direction.
        float[] movedA = [1f - a.Data[0], 2f - a.Data[1]], movedB = [1f - b.Data[0], 2f - b.Data[1]];
        Assert.AreEqual(0.01f, movedA[0], 1e-7f);
        Assert.AreEqual(-0.01f, movedA[1], 1e-7f);
        Assert.AreEqual(0.25f * movedA[0], movedB[0], 1e-7f, "a scale of 1/4 moves a quarter as far");
        Assert.AreEqual(0.25f * movedA[1], movedB[1], 1e-7f, "a scale of 1/4 moves a quarter as far");
    }

    [TestMethod]
    public void RateScalesMustBeOnePositiveNumberPerParameter()
    {
        Tensor a = Tensor.Zeros(2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new Adam([a], 0.01f, rateScales: [1f, 1f])).Message, "one positive rate scale per parameter (1), but got [1, 1]");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new Adam([a], 0.01f, rateScales: [0f])).Message, "but got [0]");
    }
}
