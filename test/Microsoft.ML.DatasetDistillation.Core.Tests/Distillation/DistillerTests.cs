using System.Collections.Concurrent;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.IO;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

[TestClass]
public sealed class DistillerTests
{
    private static readonly int[] Features = [8];

    [TestMethod]
    public void SameSeedGivesTheSameDistilledData()
    {
        DistilledDataset first = Distil(seed: 11), second = Distil(seed: 11), other = Distil(seed: 12);

        AssertSameData(first, second);
        CollectionAssert.AreNotEqual(first.Examples.Features, other.Examples.Features);
    }

    [TestMethod]
    public void ResultDoesNotDependOnTheThreadCount()
    {
        LabeledExamples real = TestData.Blobs(60, [1, 6, 6], 3, seed: 2);
        DistilledDataset Run(int threads) => new DatasetDistiller(new TestData.SmoothConvNet(1, 6, 3), real,
            new DistillationOptions { Steps = 3, Epochs = 2, Iterations = 3, RealBatchSize = 30, Seed = 3, Threads = threads }).Run();

        AssertSameData(Run(1), Run(2));
    }

    [TestMethod]
    public void ThreadsOptionHoldsForTheRunOnly()
    {
        LabeledExamples real = TestData.Blobs(40, Features, 2, seed: 2);
        var network = new ThreadRecordingMlp();
        var options = new DistillationOptions { Steps = 2, Epochs = 1, Iterations = 2, RealBatchSize = 20, Seed = 3, Threads = 3, KeepBestEvery = 1 };
        using TensorThreads.Scope caller = TensorThreads.Limit(5);

        new DatasetDistiller(network, real, options).Run();

        // Every forward pass, the pipelined step graphs and the keep-best scoring included, ran under the run's limit.
        CollectionAssert.AreEqual(new[] { 3 }, network.ThreadLimits.Distinct().ToArray());
        Assert.AreEqual(5, TensorThreads.Current);
    }

    [TestMethod]
    public void NonPositiveThreadsAreRefusedByName()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DistillationOptions { Threads = 0 }.Validate());
        Assert.AreEqual(nameof(DistillationOptions.Threads), error.ParamName);
        error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DistributionMatchingOptions { Threads = -1 }.Validate());
        Assert.AreEqual(nameof(MatchingOptions.Threads), error.ParamName);
    }

    [TestMethod]
    public void DistillingLowersTheOuterLossAndLearnsTheData()
    {
        LabeledExamples real = TestData.Blobs(300, Features, 3, seed: 2);
        var network = new Mlp(8, 3, 16);
        var options = new DistillationOptions { Steps = 2, Epochs = 1, Iterations = 60, RealBatchSize = 100, InitialStepLearningRate = 0.3f, LearningRate = 0.05f, Initialization = InitializationMode.Random, Seed = 4 };
        var distiller = new DatasetDistiller(network, real, options);
        var losses = new List<double>();

        DistilledDataset distilled = distiller.Run(new Collect(losses));

        Assert.HasCount(60, losses);
        Assert.IsLessThan(losses.Take(10).Average() * 0.5, losses.TakeLast(10).Average());
        AccuracySummary accuracy = Evaluation.Evaluate(network, distilled, real, Evaluation.RandomInitializations(network, InitScheme.XavierNormal, 9), 5);
        Assert.IsGreaterThan(0.9, accuracy.Mean, accuracy.ToString());
    }

    [TestMethod]
    public void ResultHasOneStepPerStepAndClassesInOrder()
    {
        DistilledDataset distilled = Distil(seed: 1);

        Assert.AreEqual(3 * 2 * 2, distilled.Examples.Count);
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2 }, distilled.Examples.Labels);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, Enumerable.Range(0, 12).Select(distilled.StepOf).ToArray());
        Assert.HasCount(2 * 3, distilled.LearningRates);
    }

    [TestMethod]
    public void LearnedLabelsStartOneHotMoveWithTheDataAndTrainingUsesThem()
    {
        LabeledExamples real = TestData.Blobs(90, Features, 3, seed: 2);
        var network = new Mlp(8, 3, 6);
        var options = new DistillationOptions { ExamplesPerClassPerStep = 2, Steps = 2, Epochs = 3, Iterations = 5, RealBatchSize = 32, Seed = 1, LearnLabels = true };
        var distiller = new DatasetDistiller(network, real, options);
        DistilledDataset start = distiller.Snapshot();
        float[] oneHot = start.Examples.Labels.SelectMany(c => Enumerable.Range(0, 3).Select(k => k == c ? 1f : 0f)).ToArray();
        CollectionAssert.AreEqual(oneHot, start.SoftLabels);

        DistilledDataset learned = distiller.Run();

        Assert.IsNotNull(learned.SoftLabels);
        Assert.IsTrue(learned.SoftLabels.Zip(oneHot).All(pair => pair.First != pair.Second), "every label value was updated");
        CollectionAssert.AreEqual(start.Examples.Labels, learned.Examples.Labels, "the classes stay as they were");

        // Training follows the soft labels: the same data without them trains another network, and one-hot soft labels
        // train exactly the network the classes alone train.
        float[] w0 = Initialization.Draw(network, InitScheme.XavierNormal, new Random(3));
        DistilledDataset classesOnly = WithSoftLabels(learned, null), oneHotLabels = WithSoftLabels(learned, oneHot);
        CollectionAssert.AreNotEqual(Evaluation.Train(network, classesOnly, w0), Evaluation.Train(network, learned, w0));
        CollectionAssert.AreEqual(Evaluation.Train(network, classesOnly, w0), Evaluation.Train(network, oneHotLabels, w0));
    }

    [TestMethod]
    public void LabelLearningRateScaleSlowsTheLabelsAndNothingElse()
    {
        LabeledExamples real = TestData.Blobs(90, Features, 3, seed: 2);
        DatasetDistiller Distiller(float scale) => new(new Mlp(8, 3, 6), real, new DistillationOptions
        {
            Steps = 2, Epochs = 1, Iterations = 1, RealBatchSize = 32, Seed = 1, LearnLabels = true, LabelLearningRateScale = scale,
        });
        DatasetDistiller full = Distiller(1f), quarter = Distiller(0.25f);
        float[] start = full.Snapshot().SoftLabels!;

        full.Step();
        quarter.Step();

        // One Adam step from the same state: the same gradients, so the examples and rates move alike and the labels a quarter as far.
        CollectionAssert.AreEqual(full.Snapshot().Examples.Features, quarter.Snapshot().Examples.Features);
        CollectionAssert.AreEqual(full.LearningRates, quarter.LearningRates);
        float[] movedFull = full.Snapshot().SoftLabels!.Zip(start, (now, was) => now - was).ToArray();
        float[] movedQuarter = quarter.Snapshot().SoftLabels!.Zip(start, (now, was) => now - was).ToArray();
        for (int i = 0; i < start.Length; i++)
        {
            Assert.AreEqual(0.25f * movedFull[i], movedQuarter[i], 1e-7f, $"label value {i}");
        }

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Distiller(0f)).Message, "label learning-rate scale must be a positive number");
    }

    [TestMethod]
    [DataRow(InitializationMode.Random, 0.1f)]
    [DataRow(InitializationMode.Fixed, 1f)]
    public void LabelLearningRateScaleDefaultsToATenthWithRandomInitAndToOneOtherwise(InitializationMode init, float expected)
    {
        LabeledExamples real = TestData.Blobs(90, Features, 3, seed: 2);
        DistillationOptions Options(float? scale) => new()
        {
            Steps = 2, Epochs = 1, Iterations = 1, RealBatchSize = 32, Seed = 1, Initialization = init, LearnLabels = true, LabelLearningRateScale = scale,
        };
        Assert.AreEqual(expected, Options(null).EffectiveLabelLearningRateScale);
        Assert.AreEqual(0.5f, Options(0.5f).EffectiveLabelLearningRateScale);

        DatasetDistiller byDefault = new(new Mlp(8, 3, 6), real, Options(null)), explicitly = new(new Mlp(8, 3, 6), real, Options(expected));
        byDefault.Step();
        explicitly.Step();
        CollectionAssert.AreEqual(explicitly.Snapshot().SoftLabels, byDefault.Snapshot().SoftLabels);
    }

    [TestMethod]
    public void SoftLabelsOfTheWrongSizeOrNotFiniteAreRefused()
    {
        DistilledDataset distilled = Distil(seed: 1);
        float[] values = new float[distilled.Examples.Count * 3];

        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => WithSoftLabels(distilled, values[1..])).Message, "12 examples of 3 classes need 36 soft label values, but got 35");
        values[3 * 4 + 2] = float.NaN;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => WithSoftLabels(distilled, values)).Message, "Soft label 2 of example 4 is NaN");
    }

    [TestMethod]
    public void SaveAndLoadRoundTripExactly()
    {
        DistilledDataset distilled = Distil(seed: 1);
        using var temp = new TempFolder();
        string path = temp.File("distilled.mldd");
        distilled.Save(path);
        DistilledDataset loaded = DistilledDataset.Load(path);

        CollectionAssert.AreEqual(distilled.Examples.Features, loaded.Examples.Features);
        CollectionAssert.AreEqual(distilled.Examples.Labels, loaded.Examples.Labels);
        CollectionAssert.AreEqual(distilled.LearningRates, loaded.LearningRates);
        CollectionAssert.AreEqual(distilled.Examples.ExampleShape, loaded.Examples.ExampleShape);
        Assert.AreEqual((distilled.Steps, distilled.Epochs, distilled.Examples.ClassCount), (loaded.Steps, loaded.Epochs, loaded.Examples.ClassCount));
        Assert.IsNull(loaded.SoftLabels);

        DistilledDataset soft = Distil(seed: 1, learnLabels: true);
        soft.Save(path);
        DistilledDataset softLoaded = DistilledDataset.Load(path);
        AssertSameData(soft, softLoaded);
        CollectionAssert.AreEqual(soft.Examples.Labels, softLoaded.Examples.Labels);
    }

    [TestMethod]
    public void VersionOneAndTwoFilesWithoutTheFrameStillLoad()
    {
        DistilledDataset distilled = Distil(seed: 1);
        using var temp = new TempFolder();
        string path = temp.File("distilled.mldd");
        distilled.Save(path);
        byte[] payload = File.ReadAllBytes(path)[FramedFile.HeaderLength..];

        // Version 2 was the magic and version, then today's payload, without length or checksum; version 1 is version 2
        // without the soft-label flag, which follows the 12 labels.
        int flagAt = payload.Length - distilled.Examples.Features.Length * sizeof(float) - sizeof(int);
        byte[] versionTwo = [.. "MLDD"u8, 2, 0, 0, 0, .. payload];
        byte[] versionOne = [.. "MLDD"u8, 1, 0, 0, 0, .. payload[..flagAt], .. payload[(flagAt + sizeof(int))..]];
        foreach (byte[] bytes in new[] { versionOne, versionTwo })
        {
            File.WriteAllBytes(path, bytes);
            DistilledDataset loaded = DistilledDataset.Load(path);
            AssertSameData(distilled, loaded);
            CollectionAssert.AreEqual(distilled.Examples.Labels, loaded.Examples.Labels);
        }

        versionTwo[8 + flagAt] = 7;
        File.WriteAllBytes(path, versionTwo);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => DistilledDataset.Load(path)).Message, "soft-label flag is 7");
    }

    [TestMethod]
    public void LoadRejectsTruncatedAndForeignFiles()
    {
        using var temp = new TempFolder();
        string path = temp.File("distilled.mldd");
        Distil(seed: 1).Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^7]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => DistilledDataset.Load(path)).Message, "truncated");

        File.WriteAllBytes(path, [.. bytes, 1, 2]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => DistilledDataset.Load(path)).Message, "2 unexpected bytes");

        File.WriteAllBytes(path, [(byte)'P', (byte)'K', .. bytes[2..]]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => DistilledDataset.Load(path)).Message, "instead of 'MLDD'");
    }

    [TestMethod]
    public void NonFiniteOrOverflowingSettingsAndNonFiniteFeaturesAreRefusedUpFront()
    {
        void Refused(string option, DistillationOptions options) =>
            Assert.AreEqual(option, Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate).ParamName);

        Refused(nameof(DistillationOptions.InitialStepLearningRate), new DistillationOptions { InitialStepLearningRate = float.PositiveInfinity });
        Refused(nameof(DistillationOptions.LearningRate), new DistillationOptions { LearningRate = float.NaN });
        Refused(nameof(DistillationOptions.Epochs), new DistillationOptions { Epochs = int.MaxValue });
        Refused(nameof(DistillationOptions.ExamplesPerClassPerStep), new DistillationOptions { Steps = 1 << 16, Epochs = 1, ExamplesPerClassPerStep = 1 << 16 });
        Refused(nameof(DistillationOptions.AdamBeta2), new DistillationOptions { AdamBeta2 = 1 });

        LabeledExamples real = TestData.Blobs(30, Features, 3, seed: 2);
        float[] features = (float[])real.Features.Clone();
        features[5 * Features[0] + 3] = float.NaN;
        StringAssert.Contains(
            Assert.ThrowsExactly<ArgumentException>(() => new LabeledExamples(features, real.Labels, real.ExampleShape, 3)).Message,
            "Feature 3 of example 5 is NaN");
    }

    [TestMethod]
    public void ImpossibleRequestsAreRefusedWithClearMessages()
    {
        LabeledExamples real = TestData.Blobs(30, Features, 3, seed: 2);
        var network = new Mlp(8, 3, 4);

        string tooMany = Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(network, real, new DistillationOptions { ExamplesPerClassPerStep = 11 })).Message;
        StringAssert.Contains(tooMany, "11 examples per class were asked for, but class 0 has only 10");

        var oneClass = new LabeledExamples(new float[8 * 4], [1, 1, 1, 1], Features, 3);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(network, oneClass, new DistillationOptions())).Message, "at least 2 classes");

        var empty = new LabeledExamples([], [], Features, 3);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(network, empty, new DistillationOptions())).Message, "empty");

        var images = TestData.Blobs(30, [1, 4, 2], 3, seed: 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(network, images, new DistillationOptions())).Message,
            "expects examples [8] in 3 classes, but the data has [1, 4, 2]");

        string tooFewToStartFrom = Assert.ThrowsExactly<ArgumentException>(
            () => new DatasetDistiller(network, real, new DistillationOptions { Steps = 6, ExamplesPerClassPerStep = 2, InitializeFromRealExamples = true })).Message;
        StringAssert.Contains(tooFewToStartFrom, "needs 12 distinct examples of every class (Steps × ExamplesPerClassPerStep), but class 0 has only 10");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DatasetDistiller(network, real, new DistillationOptions { Steps = 0 }));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DatasetDistiller(network, real, new DistillationOptions { KeepBestEvery = -1 })).Message, "KeepBestEvery");
    }

    [TestMethod]
    public void StartingFromRealExamplesTakesDistinctExamplesOfEachStepsClasses()
    {
        LabeledExamples real = TestData.Blobs(30, Features, 3, seed: 2);
        var options = new DistillationOptions { Steps = 5, ExamplesPerClassPerStep = 2, InitializeFromRealExamples = true };

        DistilledDataset start = new DatasetDistiller(new Mlp(8, 3, 4), real, options).Snapshot();

        // Each class has 10 examples and needs 5 × 2, so the start is every example of every class, each once.
        var used = new List<int>();
        for (int i = 0; i < start.Examples.Count; i++)
        {
            float[] example = start.Examples.Example(i).ToArray();
            int source = Enumerable.Range(0, real.Count).Single(r => real.Example(r).SequenceEqual(example));
            Assert.AreEqual(start.Examples.Labels[i], real.Labels[source], $"distilled example {i}");
            used.Add(source);
        }

        CollectionAssert.AreEquivalent(Enumerable.Range(0, real.Count).ToArray(), used);
    }

    [TestMethod]
    public void DivergenceStopsWithAClearErrorAndLeavesTheDataAsItWas()
    {
        LabeledExamples real = TestData.Blobs(60, Features, 3, seed: 2);
        // An inner rate of 10^30 sends the weights, and with them the outer loss, to infinity at the first iteration.
        var distiller = new DatasetDistiller(new Mlp(8, 3, 4), real, new DistillationOptions { Steps = 1, Epochs = 2, Iterations = 5, RealBatchSize = 30, InitialStepLearningRate = 1e30f });
        DistilledDataset before = distiller.Snapshot();

        DistillationDivergedException e = Assert.ThrowsExactly<DistillationDivergedException>(() => distiller.Run());

        Assert.AreEqual(1, e.Iteration);
        StringAssert.Contains(e.Message, "Distillation diverged at iteration 1");
        StringAssert.Contains(e.Message, "left as it was after iteration 0; try a lower LearningRate (now 0.01)");
        Assert.AreEqual(0, distiller.Iteration);
        AssertSameData(before, distiller.Snapshot());
    }

    [TestMethod]
    public void CancellationStopsBetweenIterations()
    {
        LabeledExamples real = TestData.Blobs(60, Features, 3, seed: 2);
        var distiller = new DatasetDistiller(new Mlp(8, 3, 4), real, new DistillationOptions { Steps = 1, Epochs = 1, Iterations = 100, RealBatchSize = 30 });
        using var cancellation = new CancellationTokenSource();
        var progress = new Collect([], afterReport: count => { if (count == 3) { cancellation.Cancel(); } });

        Assert.ThrowsExactly<OperationCanceledException>(() => distiller.Run(progress, cancellation.Token));
        Assert.AreEqual(3, distiller.Iteration);
    }

    [TestMethod]
    [DataRow(false, DisplayName = "fixed labels")]
    [DataRow(true, DisplayName = "learned labels")]
    public void ResumingFromACheckpointGivesTheSameResultAsAnUninterruptedRun(bool learnLabels)
    {
        LabeledExamples real = TestData.Blobs(90, Features, 3, seed: 2);
        var options = new DistillationOptions { ExamplesPerClassPerStep = 2, Steps = 2, Epochs = 2, Iterations = 6, RealBatchSize = 32, Seed = 5, LearnLabels = learnLabels };
        DistilledDataset uninterrupted = new DatasetDistiller(new Mlp(8, 3, 6), real, options).Run();
        using var temp = new TempFolder();
        string path = temp.File("checkpoint.mldc");
        var first = new DatasetDistiller(new Mlp(8, 3, 6), real, options);
        first.Step();
        first.Step();
        first.SaveCheckpoint(path);

        var resumed = new DatasetDistiller(new Mlp(8, 3, 6), real, options);
        resumed.LoadCheckpoint(path);
        Assert.AreEqual(2, resumed.Iteration);
        DistilledDataset result = resumed.Run();

        AssertSameData(uninterrupted, result);

        var otherSettings = new DatasetDistiller(new Mlp(8, 3, 6), real, new DistillationOptions { ExamplesPerClassPerStep = 2, Steps = 2, Epochs = 3, RealBatchSize = 32, Seed = 5, LearnLabels = learnLabels });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => otherSettings.LoadCheckpoint(path)).Message, "other settings or data: Epochs 3 (checkpoint: 2)");
        var otherLabels = new DatasetDistiller(new Mlp(8, 3, 6), real, new DistillationOptions { ExamplesPerClassPerStep = 2, Steps = 2, Epochs = 2, RealBatchSize = 32, Seed = 5, LearnLabels = !learnLabels });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => otherLabels.LoadCheckpoint(path)).Message, $"LearnLabels {(learnLabels ? 0 : 1)} (checkpoint: {(learnLabels ? 1 : 0)})");
    }

    [TestMethod]
    public void ACheckpointOfOtherDataAnotherNetworkOrAnotherFormatIsRefused()
    {
        LabeledExamples real = TestData.Blobs(90, Features, 3, seed: 2);
        var options = new DistillationOptions { Steps = 1, Epochs = 1, Iterations = 2, RealBatchSize = 32, Seed = 5 };
        using var temp = new TempFolder();
        string path = temp.File("checkpoint.mldc");
        new DatasetDistiller(new Mlp(8, 3, 6), real, options).SaveCheckpoint(path);

        // Same counts and sizes, so the settings fingerprint matches; only the values differ.
        LabeledExamples otherValues = TestData.Blobs(90, Features, 3, seed: 3);
        var onOtherData = new DatasetDistiller(new Mlp(8, 3, 6), otherValues, options);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => onOtherData.LoadCheckpoint(path)).Message,
            "was written for other data: the checksum of the network's layout, the training examples and their labels (an attack's relabelling included) and the pretrained weights is");
        int[] swappedLabels = (int[])real.Labels.Clone();
        (swappedLabels[0], swappedLabels[1]) = (swappedLabels[1], swappedLabels[0]);
        Assert.AreNotEqual(swappedLabels[0], swappedLabels[1]);
        var onOtherLabels = new DatasetDistiller(new Mlp(8, 3, 6), new LabeledExamples(real.Features, swappedLabels, real.ExampleShape, 3), options);
        Assert.ThrowsExactly<InvalidDataException>(() => onOtherLabels.LoadCheckpoint(path));
        var forAnotherNetwork = new DatasetDistiller(new Mlp(8, 3, 7), real, options);
        Assert.ThrowsExactly<InvalidDataException>(() => forAnotherNetwork.LoadCheckpoint(path));

        // Version 5 was the magic and version, then today's payload, without length or checksum: it still loads.
        var stepped = new DatasetDistiller(new Mlp(8, 3, 6), real, options);
        stepped.Step();
        stepped.SaveCheckpoint(path);
        byte[] framed = File.ReadAllBytes(path);
        File.WriteAllBytes(path, [.. "MLDC"u8, 5, 0, 0, 0, .. framed[(FramedFile.HeaderLength + sizeof(int))..]]); // version 7 adds the method before the payload of 5 and 6
        var fromVersionFive = new DatasetDistiller(new Mlp(8, 3, 6), real, options);
        fromVersionFive.LoadCheckpoint(path);
        Assert.AreEqual(1, fromVersionFive.Iteration);
        AssertSameData(stepped.Snapshot(), fromVersionFive.Snapshot());

        byte[] bytes = framed;
        bytes[4] = 4; // the format version follows the four magic bytes
        File.WriteAllBytes(path, bytes);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => new DatasetDistiller(new Mlp(8, 3, 6), real, options).LoadCheckpoint(path)).Message,
            "has format version 4; this library reads versions 5 to 7");
    }

    [TestMethod]
    public void KeepBestReturnsTheSnapshotThatScoresBestOnTrainingExamples()
    {
        DistillationOptions options = KeepBestOptions();
        DatasetDistiller distiller = KeepBestDistiller();
        DistilledDataset kept = distiller.Run();

        // The same run by hand, scoring every second iteration.
        DatasetDistiller manual = KeepBestDistiller();
        var scored = new List<(int Iteration, double Accuracy, DistilledDataset Snapshot)>();
        while (manual.Iteration < options.Iterations)
        {
            manual.Step();
            if (manual.Iteration % options.KeepBestEvery == 0)
            {
                DistilledDataset snapshot = manual.Snapshot();
                scored.Add((manual.Iteration, manual.Score(snapshot), snapshot));
            }
        }

        var bestScored = scored.First(s => s.Accuracy == scored.Max(t => t.Accuracy));
        Assert.AreEqual((bestScored.Iteration, bestScored.Accuracy), distiller.Best);
        AssertSameData(bestScored.Snapshot, kept);
        // These settings are chosen so that the last snapshot is not the best: the test then shows a real choice.
        Assert.IsLessThan(options.Iterations, bestScored.Iteration);
        CollectionAssert.AreNotEqual(distiller.Snapshot().Examples.Features, kept.Examples.Features);
    }

    [TestMethod]
    [DataRow(false, DisplayName = "fixed labels")]
    [DataRow(true, DisplayName = "learned labels")]
    public void ResumingKeepsTheBestSnapshotFoundBeforeTheCheckpoint(bool learnLabels)
    {
        DatasetDistiller uninterrupted = KeepBestDistiller(learnLabels);
        DistilledDataset expected = uninterrupted.Run();
        using var temp = new TempFolder();
        string path = temp.File("checkpoint.mldc");
        DatasetDistiller first = KeepBestDistiller(learnLabels);
        using var cancellation = new CancellationTokenSource();
        var stopAfterSix = new Collect([], afterReport: count => { if (count == 6) { cancellation.Cancel(); } });
        Assert.ThrowsExactly<OperationCanceledException>(() => first.Run(stopAfterSix, cancellation.Token));
        Assert.IsNotNull(first.Best);
        first.SaveCheckpoint(path);

        DatasetDistiller resumed = KeepBestDistiller(learnLabels);
        resumed.LoadCheckpoint(path);
        Assert.AreEqual(first.Best, resumed.Best);
        DistilledDataset result = resumed.Run();

        Assert.AreEqual(uninterrupted.Best, resumed.Best);
        AssertSameData(expected, result);
    }

    [TestMethod]
    public void KeepBestScoresRandomInitOnItsOwnDrawsAndPretrainedOnThePool()
    {
        LabeledExamples real = TestData.Blobs(60, Features, 3, seed: 2);
        var network = new Mlp(8, 3, 6);
        var random = new DistillationOptions { Steps = 1, Epochs = 2, Iterations = 2, RealBatchSize = 30, KeepBestEvery = 1, KeepBestNetworks = 3, Seed = 4 };
        var distiller = new DatasetDistiller(network, real, random);
        DistilledDataset kept = distiller.Run();
        double expected = Evaluation.Evaluate(network, kept, real, i => Initialization.Draw(network, InitScheme.XavierNormal, Seeds.Random(4, Seeds.Stream.KeepBest, i)), 3).Mean;
        Assert.AreEqual(expected, distiller.Score(kept));
        Assert.AreEqual(expected, distiller.Best!.Value.Accuracy);
        double otherDraws = Evaluation.Evaluate(network, kept, real, Evaluation.RandomInitializations(network, InitScheme.XavierNormal, 4), 3).Mean;
        Assert.AreNotEqual(expected, otherDraws, "other networks score differently, so the check above can tell them apart");

        float[][] pool = Enumerable.Range(0, 5).Select(i => Initialization.Draw(network, InitScheme.XavierNormal, new Random(100 + i))).ToArray();
        var pretrained = new DistillationOptions
        {
            Steps = 1, Epochs = 2, Iterations = 2, RealBatchSize = 30, KeepBestEvery = 1, KeepBestNetworks = 2,
            Initialization = InitializationMode.Pretrained, PretrainedWeights = pool,
        };
        distiller = new DatasetDistiller(network, real, pretrained);
        kept = distiller.Run();
        Assert.AreEqual(Evaluation.Evaluate(network, kept, real, i => pool[i], 2).Mean, distiller.Score(kept));
    }

    private static DatasetDistiller KeepBestDistiller(bool learnLabels = false) => new(new Mlp(8, 3, 6), TestData.Blobs(90, Features, 3, seed: 2), KeepBestOptions(learnLabels));

    // Fixed init with a large outer rate, so that the scores go up and down; 60 of the 90 examples are scored.
    private static DistillationOptions KeepBestOptions(bool learnLabels = false) => new()
    {
        Steps = 1, Epochs = 2, Iterations = 16, RealBatchSize = 32, LearningRate = 0.3f, InitialStepLearningRate = 0.3f,
        Initialization = InitializationMode.Fixed, KeepBestEvery = 2, KeepBestExamples = 60, Seed = 7, LearnLabels = learnLabels,
    };

    private static void AssertSameData(DistilledDataset expected, DistilledDataset actual)
    {
        CollectionAssert.AreEqual(expected.Examples.Features, actual.Examples.Features);
        CollectionAssert.AreEqual(expected.LearningRates, actual.LearningRates);
        CollectionAssert.AreEqual(expected.SoftLabels, actual.SoftLabels);
    }

    private static DistilledDataset Distil(int seed, bool learnLabels = false)
    {
        LabeledExamples real = TestData.Blobs(90, Features, 3, seed: 2);
        var options = new DistillationOptions { ExamplesPerClassPerStep = 2, Steps = 2, Epochs = 3, Iterations = 5, RealBatchSize = 32, Seed = seed, LearnLabels = learnLabels };
        return new DatasetDistiller(new Mlp(8, 3, 6), real, options).Run();
    }

    private static DistilledDataset WithSoftLabels(DistilledDataset distilled, float[]? softLabels) => new(
        distilled.Examples.Features, distilled.Examples.Labels, distilled.Examples.ExampleShape, distilled.Examples.ClassCount,
        distilled.Steps, distilled.Epochs, distilled.LearningRates, softLabels);

    /// <summary>Records losses synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Collect(List<double> losses, Action<int>? afterReport = null) : IProgress<DistillationProgress>
    {
        public void Report(DistillationProgress value)
        {
            losses.Add(value.Loss);
            afterReport?.Invoke(value.Iteration);
        }
    }

    /// <summary>A linear classifier over 8 features that notes the thread limit in force at every forward pass.</summary>
    private sealed class ThreadRecordingMlp() : Network([8], 2, [.. LinearSpecs("fc", 8, 2)])
    {
        public ConcurrentBag<int> ThreadLimits { get; } = [];

        protected override Tensor Features(Tensor[] p, Tensor batch)
        {
            ThreadLimits.Add(TensorThreads.Current);
            return batch;
        }
    }
}
