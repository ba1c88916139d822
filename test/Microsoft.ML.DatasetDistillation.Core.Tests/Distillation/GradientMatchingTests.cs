using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

[TestClass]
public sealed class GradientMatchingTests
{
    [TestMethod]
    [DataRow(false, DisplayName = "DC")]
    [DataRow(true, DisplayName = "DSA")]
    public void LossGradientInTheSyntheticExamples_MatchesFiniteDifferences(bool augmented)
    {
        // The loss holds a gradient, so its gradient in the synthetic examples is a gradient of a gradient.
        var random = new Random(3);
        var (network, weights, real, shapes, synthetic) = TestData.MatchingProblem(random);
        DsaParameters[]? augmentation = augmented
            ? [SiameseAugmentation.Draw(new DsaOptions { Strategy = "color" }, random, 1, 4, 4), SiameseAugmentation.Draw(new DsaOptions { Strategy = "rotate" }, random, 1, 4, 4)]
            : null;
        int[][] layout = [.. network.Parameters.Select(p => p.Shape)];

        Tensor[][] realGradients = GradientMatchingObjective.RealGradients(network, layout, weights, real, augmentation);
        List<string> mismatches = GradientChecker.Check(s => GradientMatchingObjective.Loss(network, layout, weights, realGradients, s, augmentation), synthetic, shapes, secondOrder: false);

        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));
        // The same batches have the same gradients: only the denominator's 10⁻⁶ is left, about 10⁻⁶/‖A_i‖² per row of 10.
        float same = GradientMatchingObjective.Loss(network, layout, weights, realGradients, real, augmentation).Item();
        Assert.AreEqual(0f, same, 1e-3f);
    }

    [TestMethod]
    public void DistanceIsOneMinusTheCosinePerOutputUnitOfEveryWeightTensor_BiasesLeftOut()
    {
        // Rows of a [2, 2] weight: the same direction (cosine 1), and opposite (cosine −1); a [1, 1, 1, 2] convolution: orthogonal.
        Tensor[] real = [Tensor.FromValues([1, 0, 0, 1], 2, 2), Tensor.FromValues([1, 0], 1, 1, 1, 2), Tensor.FromValues([5, 5], 2)];
        Tensor[] synthetic = [Tensor.FromValues([3, 0, 0, -2], 2, 2), Tensor.FromValues([0, 7], 1, 1, 1, 2), Tensor.FromValues([-5, 1], 2)];

        float distance = GradientMatchingObjective.Distance(real, synthetic).Item();

        Assert.AreEqual(0f + 2f + 1f, distance, 1e-5f);
    }

    [TestMethod]
    public void LoopsFollowThePapersForTheirImagesPerClassAndMustBeSetOtherwise()
    {
        (int, int)[] papers = [(1, 1), (10, 50), (20, 25), (30, 20), (40, 15), (50, 10)];
        foreach (var (perClass, inner) in papers)
        {
            var options = new GradientMatchingOptions { ExamplesPerClass = perClass };
            Assert.AreEqual((perClass, inner), (options.EffectiveOuterLoop, options.EffectiveInnerLoop));
        }

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new GradientMatchingOptions { ExamplesPerClass = 3 }.Validate()).Message,
            "with ExamplesPerClass = 3, set both");
        new GradientMatchingOptions { ExamplesPerClass = 3, OuterLoop = 2, InnerLoop = 5 }.Validate();
    }
}
