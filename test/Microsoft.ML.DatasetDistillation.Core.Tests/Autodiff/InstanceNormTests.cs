using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

[TestClass]
public sealed class InstanceNormTests
{
    [TestMethod]
    public void EachSampleAndChannelGetsTheShiftAsMeanAndTheScaleAsDeviation()
    {
        float[] values = GradientChecker.RandomValues(new Random(1), 2 * 3 * 4 * 5, -3f, 5f);
        Tensor x = Tensor.FromArray(values, 2, 3, 4, 5);

        float[] y = Tensor.InstanceNorm(x, Tensor.FromValues([1f, 2f, 0.5f], 3), Tensor.FromValues([0f, -1f, 3f], 3), epsilon: 1e-6f).ToArray();

        float[] scale = [1f, 2f, 0.5f], shift = [0f, -1f, 3f];
        for (int row = 0; row < 6; row++)
        {
            float[] plane = y.AsSpan(row * 20, 20).ToArray();
            double mean = plane.Average();
            double deviation = Math.Sqrt(plane.Select(v => (v - mean) * (v - mean)).Average());
            Assert.AreEqual(shift[row % 3], mean, 1e-5);
            Assert.AreEqual(scale[row % 3], deviation, 1e-4);
        }
    }

    [TestMethod]
    public void AConstantPlaneBecomesTheShift()
    {
        Tensor x = Tensor.FromValues(Enumerable.Repeat(7f, 4).ToArray(), 1, 1, 2, 2);

        float[] y = Tensor.InstanceNorm(x, Tensor.FromValues([2f], 1), Tensor.FromValues([0.25f], 1)).ToArray();

        CollectionAssert.AreEqual(new[] { 0.25f, 0.25f, 0.25f, 0.25f }, y);
    }

    [TestMethod]
    [DataRow(new[] { 2, 3, 5, 7 })]
    [DataRow(new[] { 5, 19 })]
    public void ScaleShiftChannels_GivesTheBitsOfScaleThenShift_AndChannelDotThoseOfSumOfProducts(int[] shape)
    {
        var random = new Random(3);
        int channels = shape[1], length = shape.Aggregate(1, (a, b) => a * b);
        Tensor x = Tensor.FromValues(GradientChecker.RandomValues(random, length), shape);
        Tensor g = Tensor.FromValues(GradientChecker.RandomValues(random, length), shape);
        Tensor scale = Tensor.FromValues(GradientChecker.RandomValues(random, channels), channels);
        Tensor shift = Tensor.FromValues(GradientChecker.RandomValues(random, channels), channels);

        CollectionAssert.AreEqual(
            Tensor.AddBias(Tensor.ScaleChannels(x, scale), shift).ToArray(), Tensor.ScaleShiftChannels(x, scale, shift).ToArray());
        float[] dot = Tensor.ChannelDot(g, x).ToArray(), sum = Tensor.SumToBias(g * x).ToArray();
        for (int c = 0; c < channels; c++)
        {
            Assert.AreEqual(sum[c], dot[c], 1e-5f * (1f + Math.Abs(sum[c])), $"channel {c}");
        }

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.ChannelDot(g, scale)).Message, "one shape");
        StringAssert.Contains(
            Assert.ThrowsExactly<ArgumentException>(() => Tensor.ScaleShiftChannels(x, scale, Tensor.Zeros(channels + 1))).Message,
            $"a bias of {channels + 1} elements");
    }

    [TestMethod]
    public void InstanceNormRelu_GivesTheBitsOfReluAfterInstanceNorm_AndTheirGradientsToSecondOrder()
    {
        var random = new Random(4);
        Tensor x = Tensor.FromValues(GradientChecker.RandomValues(random, 2 * 3 * 4 * 5), 2, 3, 4, 5).RequireGrad();
        Tensor scale = Tensor.FromValues(GradientChecker.RandomValues(random, 3), 3).RequireGrad();
        Tensor shift = Tensor.FromValues(GradientChecker.RandomValues(random, 3), 3).RequireGrad();
        Tensor direction = Tensor.FromValues(GradientChecker.RandomValues(random, 2 * 3 * 4 * 5), 2, 3, 4, 5);

        float[][] Results(Func<Tensor> apply)
        {
            Tensor y = apply();
            Tensor[] first = Autograd.Grad(Tensor.Sum(y * y), [x, scale, shift], createGraph: true);
            Tensor[] second = Autograd.Grad(Tensor.Sum(first[0] * direction), [x, scale, shift]);
            return [y.ToArray(), .. first.Select(t => t.ToArray()), .. second.Select(t => t.ToArray())];
        }

        float[][] fused = Results(() => Tensor.InstanceNormRelu(x, scale, shift));
        float[][] composed = Results(() => Tensor.Relu(Tensor.InstanceNorm(x, scale, shift)));

        Assert.IsTrue(fused[0].Contains(0f) && fused[0].Any(v => v > 0f), "the test needs both sides of the ReLU");
        for (int i = 0; i < fused.Length; i++)
        {
            CollectionAssert.AreEqual(composed[i], fused[i], $"result {i}: the output, then x's, scale's and shift's gradients, then their second order");
        }
    }

    [TestMethod]
    public void RefusesAScaleThatDoesNotMatchTheChannels()
    {
        string message = Assert.ThrowsExactly<ArgumentException>(
            () => Tensor.InstanceNorm(Tensor.Zeros(1, 3, 2, 2), Tensor.Zeros(2), Tensor.Zeros(3))).Message;

        StringAssert.Contains(message, "scale [2]");
    }

    [TestMethod]
    public void NormalizeRows_FusedSecondDerivative_EqualsTheOneBuiltFromOps()
    {
        var random = new Random(5);
        Tensor x = Tensor.FromValues(GradientChecker.RandomValues(random, 4 * 9), 4, 9).RequireGrad();
        Tensor weights = Tensor.FromValues(GradientChecker.RandomValues(random, 4 * 9), 4, 9);
        Tensor direction = Tensor.FromValues(GradientChecker.RandomValues(random, 4 * 9), 4, 9);
        Tensor RecordedGradient() => Autograd.Grad(Tensor.Sum(Tensor.NormalizeRows(x) * weights), [x], createGraph: true)[0];

        // The gradient is the same fused kernel with or without a graph; its derivative is a fused kernel in a first-order
        // pass and differentiable ops in a pass that records (for third derivatives).
        CollectionAssert.AreEqual(Autograd.Grad(Tensor.Sum(Tensor.NormalizeRows(x) * weights), [x])[0].ToArray(), RecordedGradient().ToArray());
        float[] fused = Autograd.Grad(Tensor.Sum(RecordedGradient() * direction), [x])[0].ToArray();
        float[] fromOps = Autograd.Grad(Tensor.Sum(RecordedGradient() * direction), [x], createGraph: true)[0].ToArray();

        Assert.AreEqual(fused.Length, fromOps.Length);
        for (int i = 0; i < fused.Length; i++)
        {
            Assert.AreEqual(fromOps[i], fused[i], 1e-4f * (1f + Math.Abs(fromOps[i])), $"element {i}");
        }
    }
}
