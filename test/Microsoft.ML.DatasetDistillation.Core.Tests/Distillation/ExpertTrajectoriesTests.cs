using Microsoft.ML.DatasetDistillation.Core.Tests.IO;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

/// <summary>Training, saving, resuming and checking the expert trajectories of trajectory matching.</summary>
[TestClass]
public sealed class ExpertTrajectoriesTests
{
    private static readonly LabeledExamples Real = TestData.Blobs(60, [8], 3, seed: 2);
    private static readonly Mlp Network = new(8, 3, 6);
    private static ExpertTrainingOptions Options() => new() { Experts = 2, Epochs = 3, BatchSize = 16, LearningRate = 0.1f, Augmentation = null, Seed = 5 };

    [TestMethod]
    public void TrainingRecordsEveryEpoch_AndLearns()
    {
        ExpertTrajectories experts = ExpertTrajectories.Train(Network, Real, Options());

        Assert.AreEqual(2, experts.ExpertCount);
        Assert.AreEqual(3, experts.Epochs);
        Assert.AreEqual(Network.ParameterCount, experts.ParameterCount);
        CollectionAssert.AreNotEqual(experts.Parameters(0, 0), experts.Parameters(1, 0), "each expert starts from its own draw");
        Assert.IsGreaterThan(Evaluation.Accuracy(Network, experts.Parameters(0, 0), Real) + 0.2, Evaluation.Accuracy(Network, experts.Parameters(0, 3), Real));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => experts.Parameters(0, 4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => experts.Parameters(2, 0));
    }

    [TestMethod]
    public void TheFileRoundTrips_AndRefusesDamageAndTruncation()
    {
        using var temp = new TempFolder();
        string path = temp.File("experts.mlet");
        ExpertTrajectories experts = ExpertTrajectories.Train(Network, Real, Options(), path);

        ExpertTrajectories loaded = ExpertTrajectories.Load(path);
        Assert.AreEqual(experts.ExpertCount, loaded.ExpertCount);
        Assert.AreEqual(experts.Epochs, loaded.Epochs);
        for (int e = 0; e < 2; e++)
        {
            for (int t = 0; t <= 3; t++)
            {
                CollectionAssert.AreEqual(experts.Parameters(e, t), loaded.Parameters(e, t));
            }
        }

        byte[] bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ExpertTrajectories.Load(path)).Message, "The expert trajectory file is damaged");
        File.WriteAllBytes(path, bytes[..^7]);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ExpertTrajectories.Load(path)).Message, "The expert trajectory file is truncated");
    }

    [TestMethod]
    public void ACancelledTrainingResumesFromItsFile_ToTheSameBits_AndAFinishedFileIsReused()
    {
        ExpertTrajectories uninterrupted = ExpertTrajectories.Train(Network, Real, Options());
        using var temp = new TempFolder();
        string path = temp.File("experts.mlet");
        using (var stop = new CancellationTokenSource())
        {
            var progress = new TestData.Recorder<ExpertTrainingProgress>(p => { if (p.EpochsDone == 4) stop.Cancel(); });
            Assert.ThrowsExactly<OperationCanceledException>(() => ExpertTrajectories.Train(Network, Real, Options(), path, progress, stop.Token));
        }

        Assert.AreEqual(1, ExpertTrajectories.Load(path).ExpertCount, "the first expert and one epoch of the second are in the file");
        var reports = new List<ExpertTrainingProgress>();
        ExpertTrajectories resumed = ExpertTrajectories.Train(Network, Real, Options(), path, new TestData.Recorder<ExpertTrainingProgress>(reports.Add));

        CollectionAssert.AreEqual(new[] { 5, 6 }, reports.Select(r => r.EpochsDone).ToArray());
        Assert.AreEqual((6, 6, 2, 3), (reports[^1].EpochsDone, reports[^1].TotalEpochs, reports[^1].Expert, reports[^1].Epoch));
        CollectionAssert.AreEqual(resumed.Parameters(1, 3), reports[^1].Weights);
        CollectionAssert.AreEqual(uninterrupted.Parameters(1, 3), resumed.Parameters(1, 3));
        reports.Clear();
        ExpertTrajectories.Train(Network, Real, Options(), path, new TestData.Recorder<ExpertTrainingProgress>(reports.Add));
        Assert.IsEmpty(reports, "a finished file is returned without training");
    }

    [TestMethod]
    public void AFileTrainedForOtherDataOrSettings_IsRefusedByName()
    {
        using var temp = new TempFolder();
        string path = temp.File("experts.mlet");
        ExpertTrajectories.Train(Network, Real, Options(), path);

        var otherRate = Options();
        otherRate.LearningRate = 0.2f;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ExpertTrajectories.Train(Network, Real, otherRate, path)).Message,
            "the expert trajectories were trained with other settings: LearningRate 0.2 (file: 0.1)");
        var otherSeed = Options();
        otherSeed.Seed = 1_388_319_001;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ExpertTrajectories.Train(Network, Real, otherSeed, path)).Message,
            $"Seed 1388319001 (file: {Options().Seed})");
        LabeledExamples otherData = TestData.Blobs(60, [8], 3, seed: 3);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ExpertTrajectories.Train(Network, otherData, Options(), path)).Message,
            "the expert trajectories were trained for another network or other data");
        var tooMany = Options();
        tooMany.Experts = 10_000_000;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ExpertTrajectories.Train(Network, Real, tooMany, path)).Message, "more than one trajectory file holds (2 GiB)");
    }
}
