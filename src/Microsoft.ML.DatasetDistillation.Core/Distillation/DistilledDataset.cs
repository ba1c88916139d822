using System.Text;
using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// The result of distillation: a few synthetic examples per class for each step, and one learned learning rate
/// per inner step. Training runs step t = 0 … T−1 on the examples of step t mod Steps with rate LearningRates[t].
/// </summary>
public sealed class DistilledDataset
{
    private const string Magic = "MLDD";
    private const int FormatVersion = 1;

    /// <summary>Creates a dataset; validates every size against the others.</summary>
    public DistilledDataset(float[] features, int[] labels, int[] exampleShape, int classCount, int steps, int epochs, float[] learningRates)
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

        Steps = steps;
        Epochs = epochs;
        LearningRates = learningRates;
    }

    /// <summary>All distilled examples, step by step; within a step, class by class.</summary>
    public LabeledExamples Examples { get; }

    /// <summary>Distinct steps.</summary>
    public int Steps { get; }

    /// <summary>Passes over the steps.</summary>
    public int Epochs { get; }

    /// <summary>The learned rate of each of the Steps × Epochs inner steps.</summary>
    public float[] LearningRates { get; }

    /// <summary>Examples in each step.</summary>
    public int ExamplesPerStep => Examples.Count / Steps;

    /// <summary>The step that example <paramref name="index"/> belongs to.</summary>
    public int StepOf(int index) => index / ExamplesPerStep;

    /// <summary>The features of step <paramref name="step"/>, [ExamplesPerStep, ..ExampleShape].</summary>
    public ReadOnlySpan<float> StepFeatures(int step) =>
        Examples.Features.AsSpan(step * ExamplesPerStep * Examples.ExampleSize, ExamplesPerStep * Examples.ExampleSize);

    /// <summary>The labels of step <paramref name="step"/>.</summary>
    public ReadOnlySpan<int> StepLabels(int step) => Examples.Labels.AsSpan(step * ExamplesPerStep, ExamplesPerStep);

    /// <summary>
    /// Writes the dataset to a file in its binary format: "MLDD", version, example shape, class count, steps, epochs,
    /// the learning rates, the labels and the features, little-endian. The file is written to a temporary name
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
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"Distilled dataset format version {version} is not supported (expected {FormatVersion}).");
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

        float[] features = ReadFloats(reader, checked(count * shape.Aggregate(1, (a, b) => checked(a * b))));
        return new DistilledDataset(features, labels, shape, classes, steps, epochs, rates);
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
