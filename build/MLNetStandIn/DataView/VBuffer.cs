namespace Microsoft.ML.Data;

/// <summary>
/// A vector, dense or sparse; the representation of <see cref="VectorDataViewType"/> values. A sparse buffer holds
/// only its explicit values (at increasing <see cref="GetIndices"/>); every other item is <c>default(T)</c>.
/// </summary>
public readonly struct VBuffer<T>
{
    private readonly T[]? _values;
    private readonly int[]? _indices;
    private readonly int _count;

    /// <summary>The logical length, implicit items included.</summary>
    public readonly int Length;

    /// <summary>Creates a dense buffer over the first <paramref name="length"/> items of <paramref name="values"/>, taking ownership of the arrays.</summary>
    public VBuffer(int length, T[]? values, int[]? indices = null)
    {
        if (length < 0)
            throw new ArgumentOutOfRangeException(nameof(length));
        if ((values?.Length ?? 0) < length)
            throw new ArgumentOutOfRangeException(nameof(values));
        Length = length;
        _count = length;
        _values = values;
        _indices = indices;
    }

    /// <summary>Creates a buffer with <paramref name="count"/> explicit values, sparse when <paramref name="count"/> &lt; <paramref name="length"/>, taking ownership of the arrays.</summary>
    public VBuffer(int length, int count, T[]? values, int[]? indices)
    {
        if (length < 0)
            throw new ArgumentOutOfRangeException(nameof(length));
        if (count < 0 || count > length)
            throw new ArgumentOutOfRangeException(nameof(count));
        if ((values?.Length ?? 0) < count)
            throw new ArgumentOutOfRangeException(nameof(values));
        if (count < length && (indices?.Length ?? 0) < count)
            throw new ArgumentOutOfRangeException(nameof(indices));
        Length = length;
        _count = count;
        _values = values;
        _indices = indices;
    }

    /// <summary>Whether every item is explicit.</summary>
    public bool IsDense => _count == Length;

    /// <summary>The explicit values: all <see cref="Length"/> items when dense.</summary>
    public ReadOnlySpan<T> GetValues() => _values.AsSpan(0, _count);

    /// <summary>The indices of the explicit values when sparse; empty when dense.</summary>
    public ReadOnlySpan<int> GetIndices() => IsDense ? default : _indices.AsSpan(0, _count);

    /// <summary>Copies into <paramref name="destination"/> as a dense buffer, reusing its arrays.</summary>
    public void CopyToDense(ref VBuffer<T> destination)
    {
        var editor = VBufferEditor.Create(ref destination, Length);
        CopyTo(editor.Values);
        destination = editor.Commit();
    }

    /// <summary>Copies into <paramref name="destination"/> keeping the representation, reusing its arrays.</summary>
    public void CopyTo(ref VBuffer<T> destination)
    {
        var editor = VBufferEditor.Create(ref destination, Length, _count);
        GetValues().CopyTo(editor.Values);
        if (!IsDense)
            GetIndices().CopyTo(editor.Indices);
        destination = editor.Commit();
    }

    /// <summary>Copies items <paramref name="sourceIndex"/> to <paramref name="sourceIndex"/> + <paramref name="length"/> into <paramref name="destination"/>.</summary>
    public void CopyTo(ref VBuffer<T> destination, int sourceIndex, int length)
    {
        if (sourceIndex < 0 || sourceIndex > Length)
            throw new ArgumentOutOfRangeException(nameof(sourceIndex));
        if (length < 0 || sourceIndex > Length - length)
            throw new ArgumentOutOfRangeException(nameof(length));
        if (IsDense)
        {
            var dense = VBufferEditor.Create(ref destination, length, length);
            GetValues().Slice(sourceIndex, length).CopyTo(dense.Values);
            destination = dense.Commit();
            return;
        }
        ReadOnlySpan<int> indices = GetIndices();
        int first = LowerBound(indices, sourceIndex);
        int last = LowerBound(indices, sourceIndex + length);
        var editor = VBufferEditor.Create(ref destination, length, last - first);
        GetValues()[first..last].CopyTo(editor.Values);
        if (last - first < length)
        {
            for (int i = first; i < last; i++)
                editor.Indices[i - first] = indices[i] - sourceIndex;
        }
        destination = editor.Commit();
    }

    /// <summary>Copies all <see cref="Length"/> items, implicit ones included, into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<T> destination) => CopyTo(destination, 0);

    /// <summary>Copies all items into <paramref name="destination"/> from <paramref name="destinationIndex"/>, writing <paramref name="defaultValue"/> for implicit ones.</summary>
    public void CopyTo(Span<T> destination, int destinationIndex, T defaultValue = default!)
    {
        if (destinationIndex < 0 || destinationIndex > destination.Length - Length)
            throw new ArgumentOutOfRangeException(nameof(destination), "Not large enough to hold these values.");
        Span<T> target = destination.Slice(destinationIndex, Length);
        if (IsDense)
        {
            GetValues().CopyTo(target);
            return;
        }
        target.Fill(defaultValue);
        ReadOnlySpan<T> values = GetValues();
        ReadOnlySpan<int> indices = GetIndices();
        for (int i = 0; i < values.Length; i++)
            target[indices[i]] = values[i];
    }

    /// <summary>Copies <paramref name="length"/> items of <paramref name="source"/> from <paramref name="sourceIndex"/> into a dense <paramref name="destination"/>.</summary>
    public static void Copy(T[] source, int sourceIndex, ref VBuffer<T> destination, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (length < 0 || length > source.Length)
            throw new ArgumentOutOfRangeException(nameof(length));
        if (sourceIndex < 0 || sourceIndex > source.Length - length)
            throw new ArgumentOutOfRangeException(nameof(sourceIndex));
        var editor = VBufferEditor.Create(ref destination, length, length);
        source.AsSpan(sourceIndex, length).CopyTo(editor.Values);
        destination = editor.Commit();
    }

    /// <summary>The index/value pairs: the explicit ones, or all <see cref="Length"/> of them when <paramref name="all"/>.</summary>
    public IEnumerable<KeyValuePair<int, T>> Items(bool all = false)
    {
        T[] values = GetValues().ToArray();
        int[] indices = IsDense ? Enumerable.Range(0, Length).ToArray() : GetIndices().ToArray();
        if (!all || IsDense)
            return indices.Select((index, i) => new KeyValuePair<int, T>(index, values[i]));
        return DenseValues().Select((value, index) => new KeyValuePair<int, T>(index, value));
    }

    /// <summary>All <see cref="Length"/> items, implicit ones as <c>default(T)</c>.</summary>
    public IEnumerable<T> DenseValues()
    {
        var dense = new T[Length];
        CopyTo(dense);
        return dense;
    }

    /// <summary>Reads the item at <paramref name="index"/> into <paramref name="destination"/>.</summary>
    public void GetItemOrDefault(int index, ref T destination) => destination = GetItemOrDefault(index);

    /// <summary>The item at <paramref name="index"/>, <c>default(T)</c> when implicit.</summary>
    public T GetItemOrDefault(int index)
    {
        if (index < 0 || index >= Length)
            throw new ArgumentOutOfRangeException(nameof(index));
        if (IsDense)
            return GetValues()[index];
        int found = GetIndices().BinarySearch(index);
        return found >= 0 ? GetValues()[found] : default!;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        IsDense ? $"Dense vector of size {Length}" : $"Sparse vector of size {Length}, {_count} explicit values";

    internal VBufferEditor<T> GetEditor(int newLogicalLength, int? valuesCount, int? maxValuesCapacity, bool keepOldOnResize, bool requireIndicesOnDense)
    {
        if (newLogicalLength < 0)
            throw new ArgumentOutOfRangeException(nameof(newLogicalLength), "Must be non-negative.");
        if (valuesCount < 0 || valuesCount > newLogicalLength)
            throw new ArgumentOutOfRangeException(nameof(valuesCount), "If specified, must be non-negative and no greater than " + nameof(newLogicalLength));
        int count = valuesCount ?? newLogicalLength;
        int capacity = maxValuesCapacity ?? Array.MaxLength;

        T[] values = EnsureSize(_values, count, capacity, keepOldOnResize, out bool createdNewValues);
        bool dense = count == newLogicalLength;
        int[]? indices = _indices;
        bool createdNewIndices = false;
        if (!dense || requireIndicesOnDense)
            indices = EnsureSize(_indices, count, capacity, keepOldOnResize, out createdNewIndices);
        return new VBufferEditor<T>(newLogicalLength, count, values, indices, requireIndicesOnDense, createdNewValues, createdNewIndices);
    }

    private static TItem[] EnsureSize<TItem>(TItem[]? array, int size, int capacity, bool keepOld, out bool created)
    {
        if (array != null && array.Length >= size)
        {
            created = false;
            return array;
        }
        if (size > capacity)
            throw new ArgumentOutOfRangeException(nameof(size), "The requested size exceeds the maximum capacity.");
        var grown = new TItem[Math.Min(capacity, Math.Max(size, (array?.Length ?? 0) * 2))];
        if (keepOld && array != null)
            array.CopyTo(grown, 0);
        created = true;
        return grown;
    }

    private static int LowerBound(ReadOnlySpan<int> sorted, int value)
    {
        int found = sorted.BinarySearch(value);
        return found >= 0 ? found : ~found;
    }
}
