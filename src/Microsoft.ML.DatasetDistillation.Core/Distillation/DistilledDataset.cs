using System.Text;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// The result of distillation: a few synthetic examples per class for each step, and one learned learning rate
/// per inner step. Training runs step t = 0 … T−1 on the examples of step t mod Steps with rate LearningRates[t].
/// Each example has the class it was distilled for and, when labels were learned too, a learned label vector that
/// training uses in place of the one-hot class (<see cref="SoftLabels"/>).
/// </summary>
public sealed class DistilledDataset
{
    private const string Magic = "MLDD";
    private const int FormatVersion = 2; // 2 added the soft labels; version 1 files still load

    /// <summary>Creates a dataset; validates every size against the others.</summary>
    /// <param name="features">The examples' features, example after example.</param>
    /// <param name="labels">The class each example was distilled for.</param>
    /// <param name="exampleShape">The shape of one example.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="steps">Distinct steps; the examples are split evenly between them, in order.</param>
    /// <param name="epochs">Passes over the steps.</param>
    /// <param name="learningRates">The rate of each of the steps × epochs inner steps.</param>
    /// <param name="softLabels">Learned label vectors, [examples × classCount], finite; null when training uses the
    /// one-hot classes.</param>
    public DistilledDataset(
        float[] features, int[] labels, int[] exampleShape, int classCount, int steps, int epochs, float[] learningRates, float[]? softLabels = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(learningRates);
        Examples = new LabeledExamples(features, labels, exampleShape, classCount);
        if (steps < 1 || epochs < 1 || labels.Length % steps != 0 || labels.Length == 0)
        {
            throw new ArgumentException($"{labels.Length} examples cannot be split evenly into {steps} steps (epochs {epochs}).", nameof(steps));
        }

        if (learningRates.Length != steps * epochs)
        {
            throw new ArgumentException($"{steps} steps × {epochs} epochs need {steps * epochs} learning rates, but got {learningRates.Length}.", nameof(learningRates));
        }

        if (softLabels is not null && softLabels.Length != (long)labels.Length * classCount)
        {
            throw new ArgumentException($"{labels.Length} examples of {classCount} classes need {labels.Length * classCount} soft label values, but got {softLabels.Length}.", nameof(softLabels));
        }

        if (softLabels is not null && Array.FindIndex(softLabels, v => !float.IsFinite(v)) is var bad and >= 0)
        {
            throw new ArgumentException($"Soft label {bad % classCount} of example {bad / classCount} is {softLabels[bad]}, not a finite number.", nameof(softLabels));
        }

        Steps = steps;
        Epochs = epochs;
        LearningRates = learningRates;
        SoftLabels = softLabels;
    }

    /// <summary>All distilled examples, step by step; within a step, class by class.</summary>
    public LabeledExamples Examples { get; }

    /// <summary>Distinct steps.</summary>
    public int Steps { get; }

    /// <summary>Passes over the steps.</summary>
    public int Epochs { get; }

    /// <summary>The learned rate of each of the Steps × Epochs inner steps.</summary>
    public float[] LearningRates { get; }

    /// <summary>
    /// The learned label vector of every example, [Count × ClassCount] row by row, or null when labels were not learned.
    /// Training takes the cross-entropy against these rows instead of the one-hot classes; a row need not be a
    /// probability distribution (the learning may make entries negative or rows sum to more than 1).
    /// </summary>
    public float[]? SoftLabels { get; }

    /// <summary>Examples in each step.</summary>
    public int ExamplesPerStep => Examples.Count / Steps;

    /// <summary>The step that example <paramref name="index"/> belongs to.</summary>
    public int StepOf(int index) => index / ExamplesPerStep;

    /// <summary>The features of step <paramref name="step"/>, [ExamplesPerStep, ..ExampleShape].</summary>
    public ReadOnlySpan<float> StepFeatures(int step) =>
        Examples.Features.AsSpan(step * ExamplesPerStep * Examples.ExampleSize, ExamplesPerStep * Examples.ExampleSize);

    /// <summary>The labels of step <paramref name="step"/>.</summary>
    public ReadOnlySpan<int> StepLabels(int step) => Examples.Labels.AsSpan(step * ExamplesPerStep, ExamplesPerStep);

    /// <summary>What training on step <paramref name="step"/> aims at: the soft labels, or the one-hot classes.</summary>
    internal Tensor StepTargets(int step) => SoftLabels is null
        ? Tensor.OneHot(StepLabels(step), Examples.ClassCount)
        : Tensor.FromValues(SoftLabels.AsSpan(step * ExamplesPerStep * Examples.ClassCount, ExamplesPerStep * Examples.ClassCount), ExamplesPerStep, Examples.ClassCount);

    /// <summary>
    /// Writes the dataset to a file in its binary format: "MLDD", version (2), example shape, class count, steps, epochs,
    /// the learning rates, the labels, a flag (1 when soft labels follow, else 0) and the soft labels, then the features,
    /// little-endian (version 1, still read, had no flag and no soft labels). The file is written to a temporary name
    /// and moved into place, so a reader never sees half a file.
    /// </summary>
    public void Save(string path)
    {
        using var file = new AtomicFile(path);
        Save(file.Stream);
        file.Commit();
    }

    /// <summary>Writes the dataset to <paramref name="stream"/> in the format <see cref="Save(string)"/> describes.</summary>
    public void Save(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        Write(writer);
    }

    /// <summary>Reads a dataset written by <see cref="Save(string)"/>, validating every field.</summary>
    public static DistilledDataset Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        try
        {
            DistilledDataset dataset = Load(stream);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"{stream.Length - stream.Position} unexpected bytes after the dataset.");
            }

            return dataset;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Reads one dataset from <paramref name="stream"/>, leaving the stream just after it.</summary>
    public static DistilledDataset Load(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            return Read(reader);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("The data is truncated: it ends inside the distilled dataset.");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Inconsistent distilled dataset: {e.Message}", e);
        }
    }

    internal void Write(BinaryWriter writer)
    {
        writer.Write(Encoding.ASCII.GetBytes(Magic));
        writer.Write(FormatVersion);
        writer.Write(Examples.ExampleShape.Length);
        foreach (int d in Examples.ExampleShape)
        {
            writer.Write(d);
        }

        writer.Write(Examples.ClassCount);
        writer.Write(Steps);
        writer.Write(Epochs);
        writer.Write(Examples.Count);
        WriteFloats(writer, LearningRates);
        foreach (int label in Examples.Labels)
        {
            writer.Write(label);
        }

        writer.Write(SoftLabels is null ? 0 : 1);
        if (SoftLabels is not null)
        {
            WriteFloats(writer, SoftLabels);
        }

        WriteFloats(writer, Examples.Features);
    }

    internal static DistilledDataset Read(BinaryReader reader)
    {
        string magic = Encoding.ASCII.GetString(reader.ReadBytes(4));
        if (magic != Magic)
        {
            throw new InvalidDataException($"Not a distilled dataset: the file starts with '{magic}' instead of '{Magic}'.");
        }

        int version = reader.ReadInt32();
        if (version is < 1 or > FormatVersion)
        {
            throw new InvalidDataException($"Distilled dataset format version {version} is not supported (expected 1 to {FormatVersion}).");
        }

        int rank = ReadCount(reader, 1, 8, "rank");
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = ReadCount(reader, 1, 1 << 20, "example dimension");
        }

        int classes = ReadCount(reader, 2, 1 << 20, "class count");
        int steps = ReadCount(reader, 1, 1 << 20, "steps");
        int epochs = ReadCount(reader, 1, 1 << 20, "epochs");
        int count = ReadCount(reader, 1, 1 << 26, "example count");
        float[] rates = ReadFloats(reader, checked(steps * epochs));
        if (rates.Any(r => !float.IsFinite(r)))
        {
            throw new InvalidDataException("A learning rate is not a finite number.");
        }

        int[] labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = reader.ReadInt32();
        }

        float[]? softLabels = null;
        if (version >= 2)
        {
            int flag = reader.ReadInt32();
            if (flag is not (0 or 1))
            {
                throw new InvalidDataException($"The soft-label flag is {flag}; it must be 0 or 1.");
            }

            softLabels = flag == 1 ? ReadFloats(reader, checked(count * classes)) : null;
        }

        float[] features = ReadFloats(reader, checked(count * shape.Aggregate(1, (a, b) => checked(a * b))));
        return new DistilledDataset(features, labels, shape, classes, steps, epochs, rates, softLabels);
    }

    private static int ReadCount(BinaryReader reader, int min, int max, string what)
    {
        int value = reader.ReadInt32();
        if (value < min || value > max)
        {
            throw new InvalidDataException($"The {what} is {value}, outside [{min}, {max}].");
        }

        return value;
    }

    internal static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values) =>
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    internal static float[] ReadFloats(BinaryReader reader, int count)
    {
        var values = new float[count];
        Span<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        if (reader.BaseStream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) != bytes.Length)
        {
            throw new EndOfStreamException();
        }

        return values;
    }
}
