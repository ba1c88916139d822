using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

[TestClass]
public sealed class TensorArenaTests
{
    private const int Large = TensorArena.MinimumLength;

    [TestMethod]
    public void LargeBuffersAreReusedAcrossScopesAndKeptTensorsSurvive()
    {
        var arena = new TensorArena();
        Tensor kept;
        float[] firstValues;
        using (arena.Enter())
        {
            Tensor a = Tensor.FromValues(Enumerable.Range(0, Large).Select(i => (float)i).ToArray(), Large);
            Tensor doubled = a + a;
            firstValues = doubled.ToArray();
            kept = TensorArena.Keep(doubled);
        }

        using (arena.Enter())
        {
            // Same sizes as before: the scope hands out the earlier buffers, overwriting what they held.
            Tensor zeros = Tensor.Zeros(Large);
            Tensor ones = zeros + 1f;
            Assert.IsTrue(zeros.ToArray().All(v => v == 0f));
            Assert.IsTrue(ones.ToArray().All(v => v == 1f));
        }

        CollectionAssert.AreEqual(firstValues, kept.ToArray());
    }

    [TestMethod]
    public void LentBuffersOutliveTheScopeUntilReleased()
    {
        var arena = new TensorArena();
        Tensor made;
        using (arena.Lend())
        {
            made = Tensor.Zeros(Large) + 3f;
        }

        Assert.IsNull(TensorArena.Current);
        using (arena.Enter())
        {
            // Still lent: a new scope must not hand out the buffers 'made' lives on.
            Tensor[] others = Enumerable.Range(0, 4).Select(_ => Tensor.Zeros(Large) + 5f).ToArray();
            Assert.IsTrue(made.ToArray().All(v => v == 3f));
        }

        arena.Release();
        using (arena.Enter())
        {
            Tensor[] others = Enumerable.Range(0, 12).Select(_ => Tensor.Zeros(Large) + 7f).ToArray();
            Assert.IsFalse(made.ToArray().All(v => v == 3f), "after Release the lent buffers are handed out again");
        }
    }

    [TestMethod]
    public void GradientsInsideAScopeMatchGradientsOutside()
    {
        float[] values = Enumerable.Range(0, Large).Select(i => MathF.Sin(i)).ToArray();
        float[] Gradient()
        {
            Tensor x = Tensor.FromValues(values, Large).RequireGrad();
            return Autograd.Grad(Tensor.Sum(Tensor.Tanh(x) * x), [x])[0].ToArray();
        }

        float[] outside = Gradient();
        var arena = new TensorArena();
        float[] inside;
        using (arena.Enter())
        {
            inside = Gradient();
        }

        CollectionAssert.AreEqual(outside, inside);
    }

    [TestMethod]
    public void ScopesDoNotNestAndSmallTensorsAreNotPooled()
    {
        var arena = new TensorArena();
        using (arena.Enter())
        {
            Assert.ThrowsExactly<InvalidOperationException>(() => arena.Enter());
            Tensor small = Tensor.Zeros(Large - 1);
            Assert.AreEqual(Large - 1, small.Length);
        }

        Assert.IsNull(TensorArena.Current);
    }
}
