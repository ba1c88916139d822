using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Networks;

[TestClass]
public sealed class ConvNetTests
{
    [TestMethod]
    public void DefaultMnistConvNetHasPyTorchsParameterCountAndShapes()
    {
        var network = new ConvNet(1, 28, 28, 10);

        // conv 1→128 (1152 + 128), two convs 128→128 (147456 + 128 each), three norms (128 + 128 each), fc 2048→10
        // (20480 + 10): the first convolution pads a single channel by 3, so the maps are 32, 16, 8 and 4 pixels a side.
        int expected = (1 * 128 * 9 + 128) + 2 * (128 * 128 * 9 + 128) + 3 * (128 + 128) + (2048 * 10 + 10);
        Assert.AreEqual(expected, network.ParameterCount);
        Assert.AreEqual(2048, network.EmbeddingSize);

        Tensor weights = Tensor.FromArray(Initialization.Draw(network, InitScheme.PyTorchDefault, new Random(1)), network.ParameterCount);
        Tensor batch = Tensor.FromArray(GradientChecker.RandomValues(new Random(2), 2 * 28 * 28), 2, 1, 28, 28);
        CollectionAssert.AreEqual(new[] { 2, 10 }, network.Forward(weights, batch).Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 2, 2048 }, network.Embed(weights, batch).Shape.ToArray());
    }

    [TestMethod]
    public void WithoutNormalisationTheNetworkHasNoNormParameters()
    {
        var network = new ConvNet(3, 32, 32, 10, netWidth: 8, depth: 2, norm: ConvNetNorm.None);

        Assert.AreEqual((3 * 8 * 9 + 8) + (8 * 8 * 9 + 8) + (8 * 8 * 8 * 10 + 10), network.ParameterCount);
        Assert.IsFalse(network.Parameters.Any(p => p.Name.StartsWith("norm", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void PyTorchDefaultInitialisationStartsNormsAtIdentityAndBoundsByFanIn()
    {
        var network = new ConvNet(1, 8, 8, 3, netWidth: 4, depth: 2);

        float[] weights = Initialization.Draw(network, InitScheme.PyTorchDefault, new Random(3));

        int offset = 0;
        foreach (ParameterSpec spec in network.Parameters)
        {
            float[] part = weights.AsSpan(offset, spec.Length).ToArray();
            offset += spec.Length;
            if (spec.Name.StartsWith("norm", StringComparison.Ordinal))
            {
                Assert.IsTrue(part.All(v => v == (spec.IsBias ? 0f : 1f)), spec.Name);
            }
            else
            {
                // A bias shares the fan-in of its weight: conv2 sees 4·9 inputs, fc 4·3·3 (the first convolution pads the single
                // channel by 3, so 8 × 8 becomes 12 × 12, then 6 × 6 and 3 × 3).
                int fanIn = spec.Name.StartsWith("conv1", StringComparison.Ordinal) ? 9 : 36;
                Assert.IsTrue(part.All(v => MathF.Abs(v) <= 1f / MathF.Sqrt(fanIn)), spec.Name);
                Assert.IsTrue(part.Any(v => MathF.Abs(v) > 0.5f / MathF.Sqrt(fanIn)), spec.Name);
            }
        }
    }

    [TestMethod]
    public void RefusesImagesTooSmallForItsDepth()
    {
        // A single channel's first convolution pads by 3: 2 → 6 → 3 → 1 → 0. Three channels pad by 1: 7 → 7 → 3 → 1 → 0.
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new ConvNet(1, 2, 2, 10, depth: 3)).Message, "first padding 3, width 128, depth 3");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new ConvNet(3, 7, 7, 10, depth: 3)).Message, "first padding 1, width 128, depth 3");
        Assert.AreEqual(128, new ConvNet(1, 4, 4, 10, depth: 3).EmbeddingSize);
        Assert.AreEqual(128, new ConvNet(3, 8, 8, 10, depth: 3).EmbeddingSize);
    }

    [TestMethod]
    public void FirstPaddingCanBeChosen()
    {
        // Padding 1 keeps 28 × 28: 28 → 14 → 7 → 3, 3·3·128 features; padding 0 gives 26 → 13 → 6 → 3 as well.
        Assert.AreEqual(1152, new ConvNet(1, 28, 28, 10, firstPadding: 1).EmbeddingSize);
        Assert.AreEqual(1152, new ConvNet(1, 28, 28, 10, firstPadding: 0).EmbeddingSize);
        Assert.AreEqual(3 * 3 * 8, new ConvNet(3, 24, 24, 10, netWidth: 8, depth: 3).EmbeddingSize);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ConvNet(1, 28, 28, 10, firstPadding: -1));
    }

    [TestMethod]
    [DataRow(ConvNetNorm.Instance)]
    [DataRow(ConvNetNorm.None)]
    public void GradientsInWeightsAndImagesMatchFiniteDifferences(ConvNetNorm norm)
    {
        var network = new ConvNet(1, 8, 8, 3, netWidth: 4, depth: 2, norm: norm);
        float[] weights = Initialization.Draw(network, InitScheme.PyTorchDefault, new Random(4));

        // Shifts that keep every ReLU input well above 0, so the finite differences see no kink (ReLU's own rule is in
        // the op table); what is checked is how conv, norm, pooling and the classifier compose, to second order.
        int offset = 0;
        foreach (ParameterSpec spec in network.Parameters)
        {
            bool shiftsReluInput = norm == ConvNetNorm.Instance ? spec.Name.StartsWith("norm", StringComparison.Ordinal) && spec.IsBias
                : spec.IsBias && spec.Name.StartsWith("conv", StringComparison.Ordinal);
            if (shiftsReluInput)
            {
                weights.AsSpan(offset, spec.Length).Fill(norm == ConvNetNorm.Instance ? 6f : 3f);
            }

            offset += spec.Length;
        }

        float[] images = GradientChecker.RandomValues(new Random(5), 2 * 64);

        List<string> mismatches = GradientChecker.Check(
            t => Tensor.CrossEntropy(network.Forward(t[0], t[1]), [0, 2]),
            [weights, images], [[network.ParameterCount], [2, 1, 8, 8]], secondOrder: true);

        Assert.IsEmpty(mismatches, string.Join(Environment.NewLine, mismatches.Take(10)));
    }
}
