namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>Which MNIST split to load.</summary>
internal enum MnistSplit
{
    /// <summary>The 60,000 training images (train-*-ubyte files).</summary>
    Train,

    /// <summary>The 10,000 test images (t10k-*-ubyte files).</summary>
    Test,
}

/// <summary>Loads MNIST from its IDX files (raw or gzipped) and finds the copy the repository ships.</summary>
internal static class MnistDataset
{
    /// <summary>The mean pixel value of the MNIST training set on a 0..1 scale, the standard normalisation constant.</summary>
    public const float Mean = 0.1307f;

    /// <summary>The standard deviation of MNIST training pixels on a 0..1 scale, the standard normalisation constant.</summary>
    public const float Std = 0.3081f;

    /// <summary>MNIST images are 28 × 28 pixels.</summary>
    public const int ImageSide = 28;

    /// <summary>MNIST has ten classes, the digits 0 to 9.</summary>
    public const int ClassCount = 10;

    // The data folder's path relative to the repository root.
    private static readonly string RelativeDataFolder = Path.Combine("data", "mnist");

    /// <summary>
    /// Loads a split as normalised images of shape [count, 1, 28, 28] with labels 0..9. Each pixel p becomes
    /// (p / 255 − <see cref="Mean"/>) / <see cref="Std"/>.
    /// </summary>
    /// <param name="folder">The folder holding the IDX files, named as published, with or without a .gz suffix.</param>
    /// <param name="split">Which split to load.</param>
    /// <exception cref="FileNotFoundException">A file of the split is missing under both names.</exception>
    /// <exception cref="InvalidDataException">A file is not valid IDX, has the wrong shape, or images and labels disagree in count.</exception>
    public static LabeledExamples Load(string folder, MnistSplit split)
    {
        var (pixels, labels, side) = ReadSplit(folder, split, expectedSide: ImageSide);
        if (Array.FindIndex(labels, label => label >= ClassCount) is var bad and >= 0)
        {
            throw new InvalidDataException($"{LabelsPath(folder, split)}: label {labels[bad]} at index {bad} is not a digit 0-9.");
        }

        return new LabeledExamples(Normalize(pixels), labels, [1, side, side], ClassCount);
    }

    /// <summary>
    /// Loads both splits of a folder in MNIST's format and file names holding any square grey images and up to 256
    /// classes (Fashion-MNIST, KMNIST, …), normalised by the training images' own statistics: each pixel p becomes
    /// (p / 255 − mean) / std with the mean and standard deviation of all training pixels on a 0..1 scale. The class count
    /// is one more than the largest training label.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing under both names.</exception>
    /// <exception cref="InvalidDataException">A file is not valid IDX, the images are not square or differ in size between
    /// the splits, images and labels disagree in count, the training images are all one value, or a test label is not a
    /// training class.</exception>
    public static (LabeledExamples Train, LabeledExamples Test, float Mean, float Std) LoadNormalizedByTraining(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var (trainPixels, trainLabels, side) = ReadSplit(folder, MnistSplit.Train, expectedSide: null);
        var (testPixels, testLabels, _) = ReadSplit(folder, MnistSplit.Test, expectedSide: side);
        int classes = Math.Max(2, trainLabels.Length == 0 ? 0 : trainLabels.Max() + 1);
        if (Array.FindIndex(testLabels, label => label >= classes) is var bad and >= 0)
        {
            throw new InvalidDataException($"{LabelsPath(folder, MnistSplit.Test)}: label {testLabels[bad]} at index {bad} is not one of the {classes} training classes.");
        }

        // Statistics of p / 255 over every training pixel, accumulated exactly over the 256 possible values.
        var histogram = new long[256];
        foreach (byte pixel in trainPixels)
        {
            histogram[pixel]++;
        }

        double count = trainPixels.Length, mean = 0, squares = 0;
        for (int p = 0; p < histogram.Length; p++)
        {
            mean += histogram[p] * (p / 255.0) / count;
            squares += histogram[p] * (p / 255.0) * (p / 255.0) / count;
        }

        double std = Math.Sqrt(Math.Max(0, squares - mean * mean));
        if (!(std > 0))
        {
            throw new InvalidDataException($"{ImagesPath(folder, MnistSplit.Train)}: every training pixel has the same value, so the images cannot be normalised by their standard deviation.");
        }

        float m = (float)mean, s = (float)std;
        int[] shape = [1, side, side];
        return (new LabeledExamples(Normalize(trainPixels, m, s), trainLabels, shape, classes), new LabeledExamples(Normalize(testPixels, m, s), testLabels, shape, classes), m, s);
    }

    /// <summary>A split's raw pixels, its labels and the images' side, checked to be square (and of <paramref name="expectedSide"/> when given).</summary>
    private static (byte[] Pixels, int[] Labels, int Side) ReadSplit(string folder, MnistSplit split, int? expectedSide)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string imagesPath = ImagesPath(folder, split), labelsPath = LabelsPath(folder, split);
        IdxArray images = IdxReader.Read(imagesPath);
        if (images.Dimensions is not [_, var height, var width] || height != width || (expectedSide is { } side && height != side))
        {
            string expected = expectedSide is { } s ? $"{s}, {s}" : "side, side";
            throw new InvalidDataException($"{imagesPath}: expected images of shape [count, {expected}] but found [{string.Join(", ", images.Dimensions)}].");
        }

        IdxArray labels = IdxReader.Read(labelsPath);
        if (labels.Dimensions.Count != 1)
        {
            throw new InvalidDataException($"{labelsPath}: expected a one-dimensional label file but found [{string.Join(", ", labels.Dimensions)}].");
        }

        if (labels.Count != images.Count)
        {
            throw new InvalidDataException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Count} labels.");
        }

        return (images.Data, [.. labels.Data.Take(labels.Count).Select(label => (int)label)], images.Dimensions[1]);
    }

    private static string ImagesPath(string folder, MnistSplit split) => FindFile(folder, $"{Prefix(split)}-images-idx3-ubyte");

    private static string LabelsPath(string folder, MnistSplit split) => FindFile(folder, $"{Prefix(split)}-labels-idx1-ubyte");

    private static string Prefix(MnistSplit split) => split == MnistSplit.Train ? "train" : "t10k";

    /// <summary>The normalised value of one raw pixel: (pixel / 255 − <see cref="Mean"/>) / <see cref="Std"/>.</summary>
    /// <param name="pixel">The raw pixel value, 0..255.</param>
    public static float Normalize(byte pixel) => (pixel / 255f - Mean) / Std;

    /// <summary>
    /// Finds the repository's data/mnist folder by walking up from the current directory, then from the
    /// directory of the running application (so samples and tests work wherever they are started).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No ancestor of either directory has a data/mnist folder.</exception>
    public static string FindDataFolder()
    {
        string[] starts = [Directory.GetCurrentDirectory(), AppContext.BaseDirectory];
        foreach (string start in starts)
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, RelativeDataFolder);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException($"No {RelativeDataFolder} folder was found above {starts[0]} or {starts[1]}.");
    }

    /// <summary>The file <paramref name="name"/> in <paramref name="folder"/>, unpacked or with ".gz": the files are published
    /// under these names, and many copies keep them gzipped, others unpacked.</summary>
    internal static string FindFile(string folder, string name)
    {
        string raw = Path.Combine(folder, name);
        if (File.Exists(raw))
        {
            return raw;
        }

        string gzipped = raw + ".gz";
        if (File.Exists(gzipped))
        {
            return gzipped;
        }

        throw new FileNotFoundException($"Neither {raw} nor {gzipped} exists.", raw);
    }

    private static float[] Normalize(byte[] pixels, float mean = Mean, float std = Std)
    {
        // A 256-entry table gives the same floats as Normalize(byte) without a division per pixel.
        Span<float> table = stackalloc float[256];
        for (int p = 0; p < table.Length; p++)
        {
            table[p] = (p / 255f - mean) / std;
        }

        var result = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            result[i] = table[pixels[i]];
        }

        return result;
    }
}
