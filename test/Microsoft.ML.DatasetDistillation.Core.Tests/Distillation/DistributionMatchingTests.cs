using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

[TestClass]
public sealed class DistributionMatchingTests
{
    [TestMethod]
    public void LossGradientInTheSyntheticExamples_MatchesFiniteDifferences()
    {
        var random = new Random(3);
        var (network, weights, real, shapes, synthetic) = TestData.MatchingProblem(random);

        List<string> mismatches = GradientChecker.Check(s => DistributionMatchingObjective.Loss(network, weights, real, s), synthetic, shapes, secondOrder: true);

        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));
    }

    [TestMethod]
    public void AugmentedLossGradient_MatchesFiniteDifferences_AndTheSameAugmentationKeepsEqualBatchesEqual()
    {
        var random = new Random(5);
        var (network, weights, real, shapes, synthetic) = TestData.MatchingProblem(random);
        // Colour and scale: one linear in the pixels by values, one by resampling.
        DsaParameters[] augmentation =
        [
            SiameseAugmentation.Draw(new DsaOptions { Strategy = "color" }, random, samples: 1, 4, 4),
            SiameseAugmentation.Draw(new DsaOptions { Strategy = "scale" }, random, samples: 1, 4, 4),
        ];

        List<string> mismatches = GradientChecker.Check(s => DistributionMatchingObjective.Loss(network, weights, real, s, augmentation), synthetic, shapes, secondOrder: false);

        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));
        // Siamese: the same transformation on both sides, so identical batches still match exactly.
        Assert.AreEqual(0f, DistributionMatchingObjective.Loss(network, weights, real, real, augmentation).Item());
    }

    [TestMethod]
    public void LossIsTheSquaredDistanceOfMeanEmbeddings_AndZeroForTheSameExamples()
    {
        // An MLP without hidden layers embeds by the identity, so the loss is Σ_c ‖mean(real_c) − mean(synthetic_c)‖².
        var network = new Mlp(2, 2);
        Tensor weights = Tensor.Zeros(network.ParameterCount);
        Tensor[] real = [Tensor.FromValues([1, 2, 3, 4], 2, 2), Tensor.FromValues([0, 0, 2, 2], 2, 2)];
        Tensor[] synthetic = [Tensor.FromValues([2, 3], 1, 2), Tensor.FromValues([0, 1], 1, 2)];

        Assert.AreEqual(1f, DistributionMatchingObjective.Loss(network, weights, real, synthetic).Item(), 1e-6f); // (2,3) vs (2,3): 0; (1,1) vs (0,1): 1
        Assert.AreEqual(0f, DistributionMatchingObjective.Loss(network, weights, real, real).Item());
    }

    [TestMethod]
    public void ShortRun_BeatsRandomRealExamples_OnBlobs()
    {
        LabeledExamples all = TestData.Blobs(900, [12], 3, seed: 11);
        LabeledExamples train = TestData.Subset(all, i => i % 2 == 0), test = TestData.Subset(all, i => i % 2 == 1);
        var network = new Mlp(12, 3, 16);
        var options = new BaselineOptions { ExamplesPerClassPerStep = 1, Steps = 2, Epochs = 3, ScoringNetworks = 2, Seed = 4 };
        Func<int, float[]> scoring = Baselines.RandomInitializations(network, InitScheme.XavierNormal, 4);
        Func<int, float[]> testing = Evaluation.RandomInitializations(network, InitScheme.XavierNormal, 5);

        var matching = new DatasetDistiller(network, train, new DistributionMatchingOptions { ExamplesPerClass = 2, Iterations = 60, RealBatchPerClass = 64, Seed = 4 });
        var reports = new List<DistillationProgress>();
        LabeledExamples condensed = matching.Run(new TestData.Recorder(reports.Add)).Examples;
        double matched = Evaluation.Evaluate(network, Baselines.FromExamplesByClass(condensed, network, train, options, scoring, default), test, testing, 10).Mean;
        double randomReal = Evaluation.Evaluate(network, Baselines.Create(BaselineKind.RandomReal, network, train, options, scoring), test, testing, 10).Mean;

        CollectionAssert.AreEqual(Enumerable.Range(1, 60).ToArray(), reports.Select(r => r.Iteration).ToArray());
        Assert.IsLessThan(reports[0].Loss, reports[^1].Loss);
        Assert.IsGreaterThan(randomReal, matched, $"distribution matching {matched:P2}, random real {randomReal:P2}");

        var notImages = Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(network, train, new DistributionMatchingOptions { Augmentation = new DsaOptions() }));
        StringAssert.Contains(notImages.Message, "Augmentation needs image examples [channels, height, width], but the examples have shape [12].");
    }
}
