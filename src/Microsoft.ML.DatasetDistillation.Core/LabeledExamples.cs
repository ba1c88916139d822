namespace Microsoft.ML.DatasetDistillation;

/// <summary>
/// A labelled set of fixed-size examples stored contiguously: images [count, C, H, W] or feature vectors
/// [count, F], with class indices in [0, ClassCount).
/// </summary>
public sealed class LabeledExamples
{
    /// <summary>Wraps the arrays without copying; validates their sizes, labels and that every feature is finite.</summary>
    public LabeledExamples(float[] features, int[] labels, int[] exampleShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(exampleShape);
        if (exampleShape.Length == 0 || exampleShape.Any(d => d < 1))
        {
            throw new ArgumentException($"Example shape [{string.Join(", ", exampleShape)}] must have positive sizes.", nameof(exampleShape));
        }

        ExampleSize = exampleShape.Aggregate(1, (a, b) => a * b);
        if (features.Length != (long)labels.Length * ExampleSize)
        {
            throw new ArgumentException(
                $"{labels.Length} labels with examples of shape [{string.Join(", ", exampleShape)}] need {(long)labels.Length * ExampleSize} feature values, but there are {features.Length}.",
                nameof(features));
        }

        // Refused here, naming the value, rather than surfacing later as a diverged run.
        if (Array.FindIndex(features, v => !float.IsFinite(v)) is var bad and >= 0)
        {
            throw new ArgumentException(
                $"Feature {bad % ExampleSize} of example {bad / ExampleSize} is {features[bad]}, not a finite number.", nameof(features));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), $"Label {labels[i]} of example {i} is outside [0, {classCount}).");
            }
        }

        Features = features;
        Labels = labels;
        ExampleShape = exampleShape;
        ClassCount = classCount;
    }

    /// <summary>All examples, one after another.</summary>
    public float[] Features { get; }

    /// <summary>The class of each example.</summary>
    public int[] Labels { get; }

    /// <summary>The shape of one example.</summary>
    public int[] ExampleShape { get; }

    /// <summary>Elements in one example.</summary>
    public int ExampleSize { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Labels.Length;

    /// <summary>The values of example <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Example(int index) => Features.AsSpan(index * ExampleSize, ExampleSize);

    /// <summary>How many examples each class has.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels)
        {
            counts[label]++;
        }

        return counts;
    }

    /// <summary>Copies the examples at <paramref name="indices"/> into a batch [n, ..ExampleShape] and their labels.</summary>
    public (float[] Features, int[] Labels) Gather(ReadOnlySpan<int> indices)
    {
        var features = GC.AllocateUninitializedArray<float>(indices.Length * ExampleSize);
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Example(indices[i]).CopyTo(features.AsSpan(i * ExampleSize));
            labels[i] = Labels[indices[i]];
        }

        return (features, labels);
    }
}
