namespace Microsoft.ML.DatasetDistillation.Core.Tests.Data;

[TestClass]
public sealed class ZcaWhiteningTests
{
    // Four points on the axes: mean 0, unbiased covariance diag(8/3, 2/3); with ε = 1/3 the whitening is diag(1/√3, 1).
    [TestMethod]
    public void WhitensByTheUnbiasedCovariancePlusEpsilon()
    {
        var examples = new LabeledExamples([2f, 0f, -2f, 0f, 0f, 1f, 0f, -1f], [0, 0, 1, 1], [2], 2);

        var zca = ZcaWhitening.Fit(examples, epsilon: 1f / 3f);
        LabeledExamples whitened = zca.Transform(examples);

        float[] expected = [2f / MathF.Sqrt(3f), 0f, -2f / MathF.Sqrt(3f), 0f, 0f, 1f, 0f, -1f];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], whitened.Features[i], 1e-5f, $"feature {i}");
        }

        CollectionAssert.AreEqual(examples.Labels, whitened.Labels);
        CollectionAssert.AreEqual(examples.ExampleShape, whitened.ExampleShape);
    }

    // Correlated Gaussian features (x = L g for a fixed mixing L): with ε far below every variance, the whitened
    // training examples have mean 0 and identity covariance, and the inverse restores the examples.
    [TestMethod]
    public void WhitenedExamplesAreDecorrelatedAndTheInverseRestoresThem()
    {
        const int count = 3000, d = 12;
        var random = new Random(3);
        float[] mixing = [.. Enumerable.Range(0, d * d).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var features = new float[count * d];
        for (int i = 0; i < count; i++)
        {
            double[] g = [.. Enumerable.Range(0, d).Select(_ => Gaussian(random))];
            for (int r = 0; r < d; r++)
            {
                features[i * d + r] = 5f + (float)Enumerable.Range(0, d).Sum(c => mixing[r * d + c] * g[c]);
            }
        }

        var examples = new LabeledExamples(features, new int[count], [3, 2, 2], 1);
        var zca = ZcaWhitening.Fit(examples, epsilon: 1e-5f);
        float[] whitened = zca.Transform(examples).Features;

        for (int a = 0; a < d; a++)
        {
            Assert.AreEqual(0.0, Enumerable.Range(0, count).Average(i => whitened[i * d + a]), 1e-4, $"mean of feature {a}");
            for (int b = 0; b < d; b++)
            {
                double covariance = Enumerable.Range(0, count).Sum(i => (double)whitened[i * d + a] * whitened[i * d + b]) / (count - 1);
                Assert.AreEqual(a == b ? 1.0 : 0.0, covariance, 2e-3, $"covariance ({a}, {b})");
            }
        }

        float[] restored = zca.InverseTransform(zca.Transform(examples)).Features;
        for (int i = 0; i < features.Length; i++)
        {
            Assert.AreEqual(features[i], restored[i], 1e-3f * Math.Max(1f, Math.Abs(features[i])), $"value {i}");
        }
    }

    [TestMethod]
    public void RefusesBadEpsilonTooFewExamplesAndOtherShapes()
    {
        var examples = new LabeledExamples([1f, 2f, 3f, 5f], [0, 1], [2], 2);

        Assert.AreEqual("epsilon", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ZcaWhitening.Fit(examples, 0f)).ParamName);
        StringAssert.Contains(
            Assert.ThrowsExactly<ArgumentException>(() => ZcaWhitening.Fit(new LabeledExamples([1f, 2f], [0], [2], 1))).Message,
            "needs at least two examples");
        var zca = ZcaWhitening.Fit(examples);
        StringAssert.Contains(
            Assert.ThrowsExactly<ArgumentException>(() => zca.Transform(new LabeledExamples([1f, 2f, 3f], [0], [3], 1))).Message,
            "fitted to examples of 2 features, but these have shape [3] (3 features)");
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
