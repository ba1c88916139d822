namespace Microsoft.ML.Data;

/// <summary>Creates <see cref="VBufferEditor{T}"/>s that reuse a buffer's arrays.</summary>
public static class VBufferEditor
{
    /// <summary>An editor with the length and density of <paramref name="destination"/>.</summary>
    public static VBufferEditor<T> CreateFromBuffer<T>(ref VBuffer<T> destination) =>
        destination.GetEditor(destination.Length, destination.GetValues().Length, null, false, false);

    /// <summary>An editor of a buffer of <paramref name="newLogicalLength"/> items, <paramref name="valuesCount"/> of them explicit (all when omitted).</summary>
    public static VBufferEditor<T> Create<T>(
        ref VBuffer<T> destination,
        int newLogicalLength,
        int? valuesCount = null,
        int? maxValuesCapacity = null,
        bool keepOldOnResize = false,
        bool requireIndicesOnDense = false) =>
        destination.GetEditor(newLogicalLength, valuesCount, maxValuesCapacity, keepOldOnResize, requireIndicesOnDense);
}

/// <summary>Fills the arrays of a <see cref="VBuffer{T}"/>, then makes the buffer with <see cref="Commit"/>.</summary>
public readonly ref struct VBufferEditor<T>
{
    private readonly int _logicalLength;
    private readonly T[] _values;
    private readonly int[]? _indices;

    /// <summary>The explicit values to fill.</summary>
    public readonly Span<T> Values;

    /// <summary>The indices to fill when sparse.</summary>
    public readonly Span<int> Indices;

    internal VBufferEditor(int logicalLength, int physicalValuesCount, T[] values, int[]? indices, bool requireIndicesOnDense, bool createdNewValues, bool createdNewIndices)
    {
        _logicalLength = logicalLength;
        _values = values;
        _indices = indices;
        Values = values.AsSpan(0, physicalValuesCount);
        Indices = logicalLength != physicalValuesCount || requireIndicesOnDense ? indices.AsSpan(0, physicalValuesCount) : default;
        CreatedNewValues = createdNewValues;
        CreatedNewIndices = createdNewIndices;
    }

    /// <summary>Whether a new values array was allocated.</summary>
    public bool CreatedNewValues { get; }

    /// <summary>Whether a new indices array was allocated.</summary>
    public bool CreatedNewIndices { get; }

    /// <summary>The buffer made of the edited arrays.</summary>
    public VBuffer<T> Commit() => new(_logicalLength, Values.Length, _values, _indices);

    /// <summary>The buffer made of the first <paramref name="physicalValuesCount"/> edited values.</summary>
    public VBuffer<T> CommitTruncated(int physicalValuesCount)
    {
        if (physicalValuesCount > Values.Length)
            throw new ArgumentOutOfRangeException(nameof(physicalValuesCount), "Updating physicalValuesCount during CommitTruncated cannot be greater than the original physicalValuesCount value used in Create.");
        return new VBuffer<T>(_logicalLength, physicalValuesCount, _values, _indices);
    }
}
