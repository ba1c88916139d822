using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.IO;

[TestClass]
public sealed class MnistDatasetTests
{
    // Loaded once: decompressing and normalising the training set is the slow part (about a second).
    private static LabeledExamples train = null!;
    private static LabeledExamples test = null!;

    private readonly TempFolder temp = new();

    [ClassInitialize]
    public static void LoadShippedData(TestContext context)
    {
        string folder = MnistDataset.FindDataFolder();
        train = MnistDataset.Load(folder, MnistSplit.Train);
        test = MnistDataset.Load(folder, MnistSplit.Test);
    }

    [TestCleanup]
    public void Cleanup() => temp.Dispose();

    [TestMethod]
    public void FindsTheRepositoryDataFolder()
    {
        string folder = MnistDataset.FindDataFolder();

        Assert.AreEqual("mnist", Path.GetFileName(folder));
        Assert.IsTrue(File.Exists(Path.Combine(folder, "train-images-idx3-ubyte.gz")));
    }

    [TestMethod]
    public void TrainSplitHasTheStandardShapeAndLabels()
    {
        Assert.AreEqual(60000, train.Count);
        Assert.AreEqual((1, 28, 28, 10), (train.ExampleShape[0], train.ExampleShape[1], train.ExampleShape[2], train.ClassCount));
        Assert.HasCount(60000 * 784, train.Features);
        Assert.AreEqual(5, train.Labels[0]);
        CollectionAssert.AreEqual(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }, train.ClassCounts());
    }

    [TestMethod]
    public void TestSplitHasTheStandardShapeAndLabels()
    {
        Assert.AreEqual(10000, test.Count);
        Assert.HasCount(10000 * 784, test.Features);
        Assert.AreEqual(7, test.Labels[0]);
        CollectionAssert.AreEqual(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, test.ClassCounts());
    }

    [TestMethod]
    public void PixelsAreNormalisedWithTheStandardConstants()
    {
        // The first training image (a 5): row 5, column 21 is 255 and row 14, column 14 is 240 in the raw file.
        ReadOnlySpan<float> first = train.Example(0);
        Assert.AreEqual((1f - 0.1307f) / 0.3081f, first[5 * 28 + 21], 1e-6f);
        Assert.AreEqual((240f / 255f - 0.1307f) / 0.3081f, first[14 * 28 + 14], 1e-6f);
        Assert.AreEqual(-0.1307f / 0.3081f, first[0], 1e-6f);
        Assert.AreEqual(0.1307f, MnistDataset.Mean);
        Assert.AreEqual(0.3081f, MnistDataset.Std);
    }

    [TestMethod]
    public void LoadsRawFilesAndPrefersThemOverGzipped()
    {
        WriteSplit("t10k", imageCount: 2, labels: [3, 9], gzip: false);
        // A broken .gz beside the raw file proves the raw one was read.
        File.WriteAllBytes(temp.File("t10k-images-idx3-ubyte.gz"), [0x1f, 0x8b]);

        LabeledExamples images = MnistDataset.Load(temp.Path, MnistSplit.Test);

        Assert.AreEqual(2, images.Count);
        CollectionAssert.AreEqual(new[] { 3, 9 }, images.Labels);
        Assert.AreEqual(MnistDataset.Normalize(1), images.Features[1]);
        Assert.AreEqual(MnistDataset.Normalize(2), images.Features[784 + 1]);
    }

    [TestMethod]
    public void RejectsImageAndLabelCountMismatch()
    {
        WriteSplit("train", imageCount: 2, labels: [1, 2, 3], gzip: true);

        InvalidDataException e = Assert.ThrowsExactly<InvalidDataException>(() => MnistDataset.Load(temp.Path, MnistSplit.Train));

        Assert.Contains("holds 2 images", e.Message);
        Assert.Contains("holds 3 labels", e.Message);
    }

    [TestMethod]
    public void RejectsWrongImageShape()
    {
        File.WriteAllBytes(temp.File("train-images-idx3-ubyte"), IdxReaderTests.Idx(0x08, [1, 28, 27], new byte[28 * 27]));
        File.WriteAllBytes(temp.File("train-labels-idx1-ubyte"), IdxReaderTests.Idx(0x08, [1], [0]));

        InvalidDataException e = Assert.ThrowsExactly<InvalidDataException>(() => MnistDataset.Load(temp.Path, MnistSplit.Train));

        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("[1, 28, 27]", e.Message);
    }

    [TestMethod]
    public void RejectsLabelsOutsideTheDigits()
    {
        WriteSplit("train", imageCount: 1, labels: [10], gzip: false);

        InvalidDataException e = Assert.ThrowsExactly<InvalidDataException>(() => MnistDataset.Load(temp.Path, MnistSplit.Train));

        Assert.Contains("label 10 at index 0", e.Message);
    }

    [TestMethod]
    public void MissingFilesNameBothCandidates()
    {
        FileNotFoundException e = Assert.ThrowsExactly<FileNotFoundException>(() => MnistDataset.Load(temp.Path, MnistSplit.Train));

        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
    }

    [TestMethod]
    public void AnyFolderInMnistsFormatIsNormalisedByItsTrainingImages()
    {
        // 6×6 images of three classes; training pixels 0 and 255 in equal numbers: mean ½, standard deviation ½.
        byte[] Images(int count) => [.. Enumerable.Range(0, count * 36).Select(i => (byte)(i % 2 == 0 ? 0 : 255))];
        File.WriteAllBytes(temp.File("train-images-idx3-ubyte"), IdxReaderTests.Idx(0x08, [4, 6, 6], Images(4)));
        File.WriteAllBytes(temp.File("train-labels-idx1-ubyte"), IdxReaderTests.Idx(0x08, [4], [0, 2, 1, 2]));
        File.WriteAllBytes(temp.File("t10k-images-idx3-ubyte"), IdxReaderTests.Idx(0x08, [2, 6, 6], Images(2)));
        File.WriteAllBytes(temp.File("t10k-labels-idx1-ubyte"), IdxReaderTests.Idx(0x08, [2], [1, 0]));

        var (train, test, mean, std) = MnistDataset.LoadNormalizedByTraining(temp.Path);

        Assert.AreEqual(0.5f, mean, 1e-6f);
        Assert.AreEqual(0.5f, std, 1e-6f);
        CollectionAssert.AreEqual(new[] { 1, 6, 6 }, train.ExampleShape);
        Assert.AreEqual(3, train.ClassCount);
        Assert.AreEqual(3, test.ClassCount);
        CollectionAssert.AreEquivalent(new[] { -1f, 1f }, train.Features.Distinct().ToArray());
        CollectionAssert.AreEqual(new[] { 1, 0 }, test.Labels);

        File.WriteAllBytes(temp.File("t10k-labels-idx1-ubyte"), IdxReaderTests.Idx(0x08, [2], [1, 3]));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => MnistDataset.LoadNormalizedByTraining(temp.Path)).Message, "label 3 at index 1 is not one of the 3 training classes");
        File.WriteAllBytes(temp.File("t10k-images-idx3-ubyte"), IdxReaderTests.Idx(0x08, [2, 5, 5], new byte[50]));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => MnistDataset.LoadNormalizedByTraining(temp.Path)).Message, "expected images of shape [count, 6, 6] but found [2, 5, 5]");
    }

    // Image i has every pixel equal to i + 1.
    private void WriteSplit(string prefix, int imageCount, byte[] labels, bool gzip)
    {
        byte[] pixels = [.. Enumerable.Range(0, imageCount).SelectMany(i => Enumerable.Repeat((byte)(i + 1), 784))];
        byte[] images = IdxReaderTests.Idx(0x08, [imageCount, 28, 28], pixels);
        byte[] labelFile = IdxReaderTests.Idx(0x08, [labels.Length], labels);
        string suffix = gzip ? ".gz" : "";
        File.WriteAllBytes(temp.File($"{prefix}-images-idx3-ubyte{suffix}"), gzip ? IdxReaderTests.Gzip(images) : images);
        File.WriteAllBytes(temp.File($"{prefix}-labels-idx1-ubyte{suffix}"), gzip ? IdxReaderTests.Gzip(labelFile) : labelFile);
    }
}
