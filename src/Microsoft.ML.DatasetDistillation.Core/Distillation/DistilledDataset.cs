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
    /// Writes the dataset to a file in its binary format, little-endian: "MLDD", format version (3), payload length (int64)
    /// and the CRC-32 of those and the payload (the frame all of the library's files share), then the payload: example
    /// shape, class count, steps, epochs, example count, the learning rates, the labels, a flag (1 when soft labels
    /// follow, else 0) and the soft labels, then the features. Versions 1 and 2 (no frame, no checksum; version 1 had no
    /// flag and no soft labels) are still read. The file is written to a temporary name and moved into place, so a
    /// reader never sees half a file.
    /// </summary>
    public void Save(string path) => FramedFile.Save(path, Format, WritePayload);

    /// <summary>Writes the dataset to <paramref name="stream"/> in the format <see cref="Save(string)"/> describes.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        FramedFile.Write(stream, Format, FramedFile.Payload(WritePayload));
    }

    /// <summary>Reads a dataset written by <see cref="Save(string)"/>, checking its checksum and every field.</summary>
    /// <exception cref="InvalidDataException">The file is damaged, truncated, of another format or version, or inconsistent;
    /// the message names the file and the field.</exception>
    public static DistilledDataset Load(string path) => FramedFile.Load(path, Format, Parse);

    /// <summary>Reads one dataset from <paramref name="stream"/>, leaving the stream just after it.</summary>
    /// <exception cref="InvalidDataException">The data are damaged, truncated, of another format or version, or inconsistent.</exception>
    public static DistilledDataset Load(Stream stream) => Parse(FramedFile.Read(stream, Format));

    private static readonly FileFormat Format = new("MLDD", "distilled dataset", 3) { OldestVersion = 1, FirstFramedVersion = 3 };

    private void WritePayload(BinaryWriter writer)
    {
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

    private static DistilledDataset Parse(FramedPayload payload)
    {
        var reader = new PayloadReader(payload.Bytes);
        int rank = reader.Count("rank", 1, 8);
        int[] shape = new int[rank];
        long exampleSize = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = reader.Count($"example dimension {i}", 1, 1 << 20);
            exampleSize = Math.Min(exampleSize * shape[i], int.MaxValue + 1L); // capped: the features' check below refuses it
        }

        int classes = reader.Count("class count", 2, 1 << 20);
        int steps = reader.Count("steps", 1, 1 << 20);
        int epochs = reader.Count("epochs", 1, 1 << 20);
        int count = reader.Count("example count", 1, 1 << 26);
        if (count % ((long)steps * classes) != 0)
        {
            throw new InvalidDataException($"The example count {count} is not a multiple of steps ({steps}) × classes ({classes}).");
        }

        float[] rates = reader.FiniteFloats((long)steps * epochs, "learning rates");
        int[] labels = reader.Int32s(count, "labels");
        if (Array.FindIndex(labels, label => (uint)label >= (uint)classes) is var badLabel and >= 0)
        {
            throw new InvalidDataException($"The label of example {badLabel} is {labels[badLabel]}, outside [0, {classes}).");
        }

        // Version 1 had no soft labels; from version 2 a flag says whether they follow.
        bool soft = payload.Version >= 2 && reader.Count("soft-label flag", 0, 1) == 1;
        float[]? softLabels = soft ? reader.FiniteFloats((long)count * classes, "soft labels") : null;
        float[] features = reader.FiniteFloats(count * exampleSize, "features");
        reader.End("distilled dataset");
        try
        {
            return new DistilledDataset(features, labels, shape, classes, steps, epochs, rates, softLabels);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Inconsistent distilled dataset: {e.Message}", e);
        }
    }

    internal static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values) =>
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    internal static float[] ReadFloats(BinaryReader reader, int count)
    {
        // A count the stream cannot hold is refused before the array is allocated.
        if (reader.BaseStream.CanSeek && (long)count * sizeof(float) > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new EndOfStreamException();
        }

        var values = new float[count];
        Span<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        if (reader.BaseStream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) != bytes.Length)
        {
            throw new EndOfStreamException();
        }

        return values;
    }
}
