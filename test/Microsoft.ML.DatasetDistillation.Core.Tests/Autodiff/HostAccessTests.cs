using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

/// <summary>The explicit ways values cross between the host and a tensor's storage, which the layers above use instead of its span.</summary>
[TestClass]
public sealed class HostAccessTests
{
    [TestMethod]
    public void ArgMaxRowsGivesTheFirstLargestColumnOfEachRow()
    {
        Tensor logits = Tensor.FromValues([0f, 2f, 1f, /* tie: the first wins */ 5f, -1f, 5f, float.NegativeInfinity, -3f, -2f], 3, 3);

        CollectionAssert.AreEqual(new[] { 1, 0, 2 }, logits.ArgMaxRows());
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(2, 2, 2).ArgMaxRows()).Message, "ArgMaxRows needs a 2-D");
    }

    [TestMethod]
    public void CopyFromOverwritesTheValuesAndChecksTheirCount()
    {
        Tensor leaf = Tensor.Zeros(2, 2).RequireGrad();

        leaf.CopyFrom([1f, 2f, 3f, 4f]);

        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f, 4f }, leaf.ToArray());
        Assert.IsTrue(leaf.RequiresGrad);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => leaf.CopyFrom([1f, 2f, 3f])).Message, "needs 4 values but 3 were given");
    }

    [TestMethod]
    public void IsAllFiniteFindsNaNAndInfinities()
    {
        Assert.IsTrue(Tensor.FromValues([0f, -1e30f, float.Epsilon], 3).IsAllFinite());
        Assert.IsFalse(Tensor.FromValues([0f, float.NaN, 1f], 3).IsAllFinite());
        Assert.IsFalse(Tensor.FromValues([float.NegativeInfinity], 1).IsAllFinite());
        Assert.IsTrue(Tensor.Zeros(0).IsAllFinite());
    }

    [TestMethod]
    public void ToArrayIsACopy()
    {
        Tensor t = Tensor.FromValues([1f, 2f], 2);

        float[] values = t.ToArray();
        values[0] = 9f;

        CollectionAssert.AreEqual(new[] { 1f, 2f }, t.ToArray());
    }
}
