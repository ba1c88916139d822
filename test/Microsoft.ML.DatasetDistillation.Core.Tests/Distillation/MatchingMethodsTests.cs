using System.Globalization;
using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.IO;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

/// <summary>Gradient matching, DSA and distribution matching through the shared loop, and the papers' training protocol.</summary>
[TestClass]
public sealed class MatchingMethodsTests
{
    [TestMethod]
    [DataRow("dc")]
    [DataRow("dsa")]
    [DataRow("dm")]
    public void ShortRunOnAnMnistSubset_BeatsRandomRealImages(string method)
    {
        // One image per digit learned from 100 per digit, from each paper's start (noise for DC and DSA, real images for DM); a small ConvNet (width 16, depth 2) trained by the papers' protocol, shortened.
        var (train, test) = TestData.MnistSubset.Value;
        var network = new ConvNet(1, 28, 28, 10, netWidth: 16, depth: 2);
        DsaOptions? dsa = method == "dc" ? null : new DsaOptions();
        MatchingOptions options = method == "dm"
            ? new DistributionMatchingOptions { Augmentation = dsa }
            : new GradientMatchingOptions { Augmentation = dsa };
        (options.ExamplesPerClass, options.Iterations, options.RealBatchPerClass, options.EvaluationEpochs, options.Seed) = (1, method == "dm" ? 20 : 40, 32, 100, 3);
        var training = new MinibatchTraining { Augmentation = dsa };
        Func<int, float[]> testNetworks = Evaluation.RandomInitializations(network, InitScheme.PyTorchDefault, 5);

        DistilledDataset distilled = (options is GradientMatchingOptions dc ? new DatasetDistiller(network, train, dc) : new DatasetDistiller(network, train, (DistributionMatchingOptions)options)).Run();
        DistilledDataset randomReal = new DatasetDistiller(network, train, new DistributionMatchingOptions { ExamplesPerClass = 1, Iterations = 0, EvaluationEpochs = 100, Seed = 3 }).Run();
        double learned = Evaluation.EvaluateWithMinibatches(network, distilled, test, testNetworks, 3, training, seed: 1).Mean;
        double baseline = Evaluation.EvaluateWithMinibatches(network, randomReal, test, testNetworks, 3, training, seed: 1).Mean;

        Assert.IsGreaterThan(baseline + 0.05, learned, $"{method} {learned:P2}, random real images {baseline:P2}");
    }

    [TestMethod]
    [DataRow(false, DisplayName = "distribution matching")]
    [DataRow(true, DisplayName = "gradient matching, two updates per iteration")]
    public void ResumingFromACheckpointGivesTheSameResultAsAnUninterruptedRun(bool gradientMatching)
    {
        LabeledExamples real = TestData.Blobs(120, [8], 3, seed: 2);
        DatasetDistiller NewDistiller() => gradientMatching
            ? new(new Mlp(8, 3, 6), real, new GradientMatchingOptions { ExamplesPerClass = 2, OuterLoop = 2, InnerLoop = 3, Iterations = 6, RealBatchPerClass = 16, EvaluationEpochs = 20, KeepBestEvery = 2, KeepBestExamples = 60, Seed = 4 })
            : new(new Mlp(8, 3, 6), real, new DistributionMatchingOptions { ExamplesPerClass = 2, Iterations = 6, RealBatchPerClass = 16, EvaluationEpochs = 20, KeepBestEvery = 2, KeepBestExamples = 60, Seed = 4 });
        var (uninterrupted, continued) = TestData.RunAndResume(NewDistiller, stopAfter: 3);

        CollectionAssert.AreEqual(uninterrupted.Examples.Features, continued.Examples.Features);
        CollectionAssert.AreEqual(uninterrupted.LearningRates, continued.LearningRates);
        Assert.AreEqual(1, continued.Steps);
        Assert.AreEqual(20, continued.Epochs);
    }

    [TestMethod]
    public void ACheckpointOfAnotherMethodOrOtherSettingsIsRefused()
    {
        LabeledExamples real = TestData.Blobs(90, [8], 3, seed: 2);
        using var temp = new TempFolder();
        string path = temp.File("checkpoint.mldc");
        new DatasetDistiller(new Mlp(8, 3, 6), real, new DistributionMatchingOptions { ExamplesPerClass = 1, Iterations = 1 }).SaveCheckpoint(path);

        var gradientMatching = new DatasetDistiller(new Mlp(8, 3, 6), real, new GradientMatchingOptions { ExamplesPerClass = 1, Iterations = 1 });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => gradientMatching.LoadCheckpoint(path)).Message,
            "written by the DistributionMatching method, and this run is GradientMatching");
        var paper = new DatasetDistiller(new Mlp(8, 3, 6), real, new DistillationOptions { Steps = 1, Epochs = 1, Iterations = 1 });
        Assert.ThrowsExactly<InvalidDataException>(() => paper.LoadCheckpoint(path));
        var otherRate = new DatasetDistiller(new Mlp(8, 3, 6), real, new DistributionMatchingOptions { ExamplesPerClass = 1, Iterations = 1, LearningRate = 0.5f });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => otherRate.LoadCheckpoint(path)).Message, "LearningRate 0.5 (checkpoint: 1)");
    }

    [TestMethod]
    public void DivergenceUndoesTheIterationsEarlierUpdatesAndNamesTheRate()
    {
        LabeledExamples real = TestData.Blobs(90, [8], 3, seed: 2);
        var distiller = new DatasetDistiller(new Mlp(8, 3, 6), real, new GradientMatchingOptions
        {
            ExamplesPerClass = 2, OuterLoop = 3, InnerLoop = 1, Iterations = 2, RealBatchPerClass = 16, LearningRate = 1e30f,
        });
        float[] before = distiller.Snapshot().Examples.Features;

        DistillationDivergedException e = Assert.ThrowsExactly<DistillationDivergedException>(() => distiller.Run());

        StringAssert.Contains(e.Message, "Distillation diverged at iteration 1");
        StringAssert.Contains(e.Message, "try a lower LearningRate (now 1E+30)");
        Assert.AreEqual(0, distiller.Iteration);
        CollectionAssert.AreEqual(before, distiller.Snapshot().Examples.Features);
    }

    [TestMethod]
    public void CancellationStopsAnIterationOfSeveralUpdatesAtTheNextAndUndoesIt_OneUpdateFinishes()
    {
        LabeledExamples real = TestData.Blobs(90, [8], 3, seed: 2);
        var options = new GradientMatchingOptions { ExamplesPerClass = 2, OuterLoop = 3, InnerLoop = 1, Iterations = 2, RealBatchPerClass = 16, Seed = 4 };
        var distiller = new DatasetDistiller(new Mlp(8, 3, 6), real, options);
        float[] before = distiller.Snapshot().Examples.Features;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        // The first of the three updates is made, then the second finds the token cancelled: the first is undone.
        Assert.ThrowsExactly<OperationCanceledException>(() => distiller.Step(cancelled.Token));
        Assert.AreEqual(0, distiller.Iteration);
        CollectionAssert.AreEqual(before, distiller.Snapshot().Examples.Features);

        // The iteration runs again from its start: as on a distiller never cancelled, optimiser state included.
        var uncancelled = new DatasetDistiller(new Mlp(8, 3, 6), real, options);
        distiller.Run();
        uncancelled.Run();
        CollectionAssert.AreEqual(uncancelled.Snapshot().Examples.Features, distiller.Snapshot().Examples.Features);

        // Distribution matching updates once an iteration: there is nothing left to stop, so the iteration finishes.
        var distributionMatching = new DatasetDistiller(new Mlp(8, 3, 6), real, new DistributionMatchingOptions { ExamplesPerClass = 1, Iterations = 1, RealBatchPerClass = 16 });
        distributionMatching.Step(cancelled.Token);
        Assert.AreEqual(1, distributionMatching.Iteration);
    }

    [TestMethod]
    public void MinibatchTrainingDecaysAtHalfTrainsAndRepeatsForTheSameSeed()
    {
        CollectionAssert.AreEqual(new[] { 0.5f, 0.5f, 0.05f, 0.05f, 0.05f }, MinibatchTraining.StepDecay(5, 0.5f));
        LabeledExamples real = TestData.Blobs(60, [8], 3, seed: 2);
        var network = new Mlp(8, 3, 6);
        var dataset = new DistilledDataset(real.Features, real.Labels, real.ExampleShape, 3, steps: 1, epochs: 30, MinibatchTraining.StepDecay(30, 0.1f));
        var training = new MinibatchTraining { BatchSize = 16 };
        float[] start = Initialization.Draw(network, InitScheme.PyTorchDefault, new Random(1));

        float[] trained = Evaluation.TrainWithMinibatches(network, dataset, start, training, new Random(7));

        Assert.IsGreaterThan(0.95, Evaluation.Accuracy(network, trained, real));
        Assert.IsLessThan(0.7, Evaluation.Accuracy(network, start, real));
        CollectionAssert.AreEqual(trained, Evaluation.TrainWithMinibatches(network, dataset, start, training, new Random(7)));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Evaluation.TrainWithMinibatches(network, dataset, start, training with { Augmentation = new DsaOptions() }, new Random(7))).Message,
            "Augmentation needs image examples [channels, height, width]");
    }

    [TestMethod]
    public void AnAccuracySummaryReadsAsMeanSampleDeviationAndCount_OrOneNetworksAccuracyAlone()
    {
        CultureInfo culture = CultureInfo.CurrentCulture; // the summary is for people: it follows their culture's digits
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            Assert.AreEqual("90.00 ± 14.14 % over 2 networks", AccuracySummary.Of([0.8, 1.0]).ToString());
            Assert.AreEqual("85.00 %", AccuracySummary.Of([0.85]).ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [TestMethod]
    public void MinibatchTrainingStopsWithinAPassWhenCancelled()
    {
        LabeledExamples real = TestData.Blobs(60, [8], 3, seed: 2);
        var dataset = new DistilledDataset(real.Features, real.Labels, real.ExampleShape, 3, steps: 1, epochs: 2, [0.1f, 0.1f]);
        using var stop = new CancellationTokenSource();
        var network = new CancellingLinear(stop, afterPasses: 2);
        float[] start = Initialization.Draw(network, InitScheme.PyTorchDefault, new Random(1));

        Assert.ThrowsExactly<OperationCanceledException>(
            () => Evaluation.TrainWithMinibatches(network, dataset, start, new MinibatchTraining { BatchSize = 16 }, new Random(7), stop.Token));

        Assert.AreEqual(2, network.Passes, "a pass over the 60 examples has 4 batches of 16: training stops after the batch that cancelled");
    }

    /// <summary>A linear classifier over 8 features that cancels <c>stop</c> at its <c>afterPasses</c>-th forward pass.</summary>
    private sealed class CancellingLinear(CancellationTokenSource stop, int afterPasses) : Network([8], 3, [.. LinearSpecs("fc", 8, 3)])
    {
        public int Passes { get; private set; }

        protected override Tensor Features(Tensor[] p, Tensor batch)
        {
            if (++Passes == afterPasses)
            {
                stop.Cancel();
            }

            return batch;
        }
    }
}
