using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.IO;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

/// <summary>Matching training trajectories: the objective's gradient, its run through the shared loop, and its expert file.</summary>
[TestClass]
public sealed class TrajectoryMatchingTests
{
    [TestMethod]
    public void GradientInTheSyntheticExamplesAndTheStepSize_MatchesFiniteDifferences()
    {
        // Tanh network on 4×4 images of 2 classes (no ReLU kinks), 3 student steps between expert epochs 1 and 3, every step
        // augmented per image: colour (linear in the values), then scale (a resampling), then none.
        LabeledExamples real = TestData.Blobs(40, [1, 4, 4], 2, seed: 3);
        var network = new TestData.SmoothConvNet(channels: 1, side: 4, classes: 2);
        ExpertTrajectories experts = ExpertTrajectories.Train(network, real, new ExpertTrainingOptions { Experts = 1, Epochs = 3, BatchSize = 8, LearningRate = 0.1f, Augmentation = null });
        var options = new TrajectoryMatchingOptions { ExamplesPerClass = 2, SyntheticSteps = 3, ExpertEpochs = 2, MaxStartEpoch = 1, InitialStepSize = 0.3f, Augmentation = null };
        var objective = (TrajectoryMatchingObjective)new DatasetDistiller(network, real, options, experts).Objective;
        var random = new Random(5);
        DsaParameters[] augmentations =
        [
            SiameseAugmentation.Draw(new DsaOptions { Strategy = "color" }, random, samples: 4, 4, 4),
            SiameseAugmentation.Draw(new DsaOptions { Strategy = "scale" }, random, samples: 4, 4, 4),
            SiameseAugmentation.Draw(new DsaOptions { Strategy = "flip", FlipProbability = 0f }, random, samples: 4, 4, 4),
        ];
        Tensor[] leaves = objective.Parameters;
        (double Loss, Tensor[] Gradients) At(float[][] values)
        {
            for (int i = 0; i < leaves.Length; i++)
            {
                leaves[i].CopyFrom(values[i]);
            }

            return objective.LossAndGradient(experts.Parameters(0, 1), experts.Parameters(0, 3), augmentations);
        }

        var mismatches = new List<string>();
        float[][] start = [.. leaves.Select(l => l.ToArray())];
        GradientChecker.Compare("first order", start, [.. leaves.Select(l => l.Shape.ToArray())], _ => At(start).Gradients, values => At(values).Loss, mismatches);

        Assert.IsEmpty(mismatches, string.Join("\n", mismatches));
        Assert.IsGreaterThan(0.0, At(start).Loss);
    }

    [TestMethod]
    public void StudentStepsThatFollowTheExpertExactly_ScoreZero_AndTheLossIsTheNormalisedSquaredDistance()
    {
        // One student step on the expert's own data at the expert's rate from its epoch 0 lands on its epoch 1 exactly
        // when the expert's epoch was one full batch without augmentation: L = 0.
        LabeledExamples real = TestData.Blobs(6, [1, 4, 4], 2, seed: 4);
        var network = new TestData.SmoothConvNet(channels: 1, side: 4, classes: 2);
        var expertOptions = new ExpertTrainingOptions { Experts = 1, Epochs = 1, BatchSize = 6, LearningRate = 0.5f, Augmentation = null };
        ExpertTrajectories experts = ExpertTrajectories.Train(network, real, expertOptions);
        var options = new TrajectoryMatchingOptions { ExamplesPerClass = 3, SyntheticSteps = 1, ExpertEpochs = 1, MaxStartEpoch = 1, InitialStepSize = 0.5f, Augmentation = null };
        var objective = (TrajectoryMatchingObjective)new DatasetDistiller(network, real, options, experts).Objective;
        int[] byClass = [.. Enumerable.Range(0, 6).OrderBy(i => real.Labels[i]).ThenBy(i => i)];
        Tensor[] leaves = objective.Parameters;
        leaves[0].CopyFrom(real.Gather(byClass[..3]).Features);
        leaves[1].CopyFrom(real.Gather(byClass[3..]).Features);

        Assert.AreEqual(0.0, objective.LossAndGradient(experts.Parameters(0, 0), experts.Parameters(0, 1), null).Loss, 1e-9);

        // At twice the rate the student overshoots by the expert's whole step: ‖2d − d‖² / ‖d‖² = 1.
        leaves[^1].CopyFrom([1f]);
        Assert.AreEqual(1.0, objective.LossAndGradient(experts.Parameters(0, 0), experts.Parameters(0, 1), null).Loss, 1e-4);
    }

    [TestMethod]
    public void ShortRunOnAnMnistSubset_BeatsRandomRealImages_AndTestsAtTheLearnedStepSize()
    {
        // One image per digit learned from 100 per digit against two small ConvNets' (width 16, depth 2) trajectories of 4 epochs.
        var (train, test) = TestData.MnistSubset.Value;
        var network = new ConvNet(1, 28, 28, 10, netWidth: 16, depth: 2);
        ExpertTrajectories experts = ExpertTrajectories.Train(network, train, new ExpertTrainingOptions { Experts = 2, Epochs = 4, Seed = 3 });
        var options = new TrajectoryMatchingOptions
        {
            ExamplesPerClass = 1, Iterations = 40, SyntheticSteps = 10, MaxStartEpoch = 2, ExpertEpochs = 2, LearningRate = 100f, InitializeFromRealExamples = false,
            EvaluationEpochs = 100, Seed = 3,
        };
        var training = new MinibatchTraining { Augmentation = new DsaOptions() };
        Func<int, float[]> testNetworks = Evaluation.RandomInitializations(network, InitScheme.PyTorchDefault, 5);

        var distiller = new DatasetDistiller(network, train, options, experts);
        var reports = new List<DistillationProgress>();
        DistilledDataset distilled = distiller.Run(new TestData.Recorder(reports.Add));
        DistilledDataset randomReal = new DatasetDistiller(network, train, new DistributionMatchingOptions { ExamplesPerClass = 1, Iterations = 0, EvaluationEpochs = 100, Seed = 3 }).Run();
        double learned = Evaluation.EvaluateWithMinibatches(network, distilled, test, testNetworks, 3, training, seed: 1).Mean;
        double baseline = Evaluation.EvaluateWithMinibatches(network, randomReal, test, testNetworks, 3, training, seed: 1).Mean;

        Assert.IsGreaterThan(baseline + 0.05, learned, $"trajectory matching {learned:P2}, random real images {baseline:P2}");
        Assert.AreEqual(distiller.Parameters[^1].Item(), distilled.LearningRates[0]);
        Assert.AreEqual(distilled.LearningRates[0] / 10, distilled.LearningRates[^1], 1e-9f);
        Assert.IsLessThan(reports.Take(10).Average(r => r.Loss), reports.TakeLast(10).Average(r => r.Loss));
    }

    [TestMethod]
    public void ResumingFromACheckpointGivesTheSameResultAsAnUninterruptedRun()
    {
        LabeledExamples real = TestData.Blobs(60, [8], 3, seed: 2);
        var network = new Mlp(8, 3, 6);
        ExpertTrajectories experts = ExpertTrajectories.Train(network, real, new ExpertTrainingOptions { Experts = 2, Epochs = 3, BatchSize = 16, Augmentation = null });
        DatasetDistiller NewDistiller() => new(network, real, new TrajectoryMatchingOptions
        {
            ExamplesPerClass = 2, Iterations = 6, SyntheticSteps = 4, LearningRate = 1f, StepSizeLearningRate = 1e-4f, EvaluationEpochs = 20, Augmentation = null, Seed = 4,
        }, experts);
        var (uninterrupted, continued) = TestData.RunAndResume(NewDistiller, stopAfter: 3);

        CollectionAssert.AreEqual(uninterrupted.Examples.Features, continued.Examples.Features);
        CollectionAssert.AreEqual(uninterrupted.LearningRates, continued.LearningRates);
        Assert.AreNotEqual(0.01f, continued.LearningRates[0], "the step size is learned");

        using var temp = new TempFolder();
        string path = temp.File("checkpoint.mldc");
        NewDistiller().SaveCheckpoint(path);
        ExpertTrajectories otherExperts = ExpertTrajectories.Train(network, real, new ExpertTrainingOptions { Experts = 2, Epochs = 3, BatchSize = 16, Augmentation = null, Seed = 9 });
        var againstOthers = new DatasetDistiller(network, real, new TrajectoryMatchingOptions
        {
            ExamplesPerClass = 2, Iterations = 6, SyntheticSteps = 4, LearningRate = 1f, StepSizeLearningRate = 1e-4f, EvaluationEpochs = 20, Augmentation = null, Seed = 4,
        }, otherExperts);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => againstOthers.LoadCheckpoint(path)).Message, "It was written for other data");
    }

    [TestMethod]
    public void ExpertsThatDoNotReachTheMatchedEpochsOrAnotherNetwork_AreRefusedByName()
    {
        LabeledExamples real = TestData.Blobs(30, [8], 3, seed: 2);
        ExpertTrajectories experts = ExpertTrajectories.Train(new Mlp(8, 3, 6), real, new ExpertTrainingOptions { Experts = 1, Epochs = 2, Augmentation = null });

        var tooFar = Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(new Mlp(8, 3, 6), real, new TrajectoryMatchingOptions { MaxStartEpoch = 2, ExpertEpochs = 2, Augmentation = null }, experts));
        StringAssert.Contains(tooFar.Message, "MaxStartEpoch 2 and ExpertEpochs 2 reach epoch 3, but the experts trained 2 epochs.");
        var otherNetwork = Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(new Mlp(8, 3, 5), real, new TrajectoryMatchingOptions { MaxStartEpoch = 1, Augmentation = null }, experts));
        StringAssert.Contains(otherNetwork.Message, "The expert trajectories are of a network with 75 parameters, but this network has 63.");
    }
}
