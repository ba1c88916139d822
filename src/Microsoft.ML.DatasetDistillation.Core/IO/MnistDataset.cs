namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>Which MNIST split to load.</summary>
public enum MnistSplit
{
    /// <summary>The 60,000 training images (train-*-ubyte files).</summary>
    Train,

    /// <summary>The 10,000 test images (t10k-*-ubyte files).</summary>
    Test,
}

/// <summary>Loads MNIST from its IDX files (raw or gzipped) and finds the copy the repository ships.</summary>
public static class MnistDataset
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
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string prefix = split == MnistSplit.Train ? "train" : "t10k";
        string imagesPath = FindFile(folder, $"{prefix}-images-idx3-ubyte");
        string labelsPath = FindFile(folder, $"{prefix}-labels-idx1-ubyte");

        IdxArray images = IdxReader.Read(imagesPath);
        if (images.Dimensions is not [_, ImageSide, ImageSide])
        {
            throw new InvalidDataException($"{imagesPath}: expected images of shape [count, {ImageSide}, {ImageSide}] but found [{string.Join(", ", images.Dimensions)}].");
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

        var labelValues = new int[labels.Count];
        for (int i = 0; i < labelValues.Length; i++)
        {
            labelValues[i] = labels.Data[i];
            if (labelValues[i] >= ClassCount)
            {
                throw new InvalidDataException($"{labelsPath}: label {labelValues[i]} at index {i} is not a digit 0-9.");
            }
        }

        return new LabeledExamples(Normalize(images.Data), labelValues, [1, ImageSide, ImageSide], ClassCount);
    }

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

    // The files are published under these names; many copies keep them gzipped, others unpacked.
    private static string FindFile(string folder, string name)
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

    private static float[] Normalize(byte[] pixels)
    {
        // A 256-entry table gives the same floats as Normalize(byte) without a division per pixel.
        Span<float> table = stackalloc float[256];
        for (int p = 0; p < table.Length; p++)
        {
            table[p] = Normalize((byte)p);
        }

        var result = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            result[i] = table[pixels[i]];
        }

        return result;
    }
}
