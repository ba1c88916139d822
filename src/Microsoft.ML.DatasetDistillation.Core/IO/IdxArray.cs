namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>The contents of an IDX file of unsigned bytes: its dimensions and its values in row-major order.</summary>
internal sealed class IdxArray
{
    /// <summary>Creates an array from its dimensions and values.</summary>
    /// <param name="dimensions">The size of each dimension, outermost first.</param>
    /// <param name="data">The values in row-major order; kept, not copied. Its length must be the product of the dimensions.</param>
    public IdxArray(IReadOnlyList<int> dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        long total = 1;
        foreach (int size in dimensions)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(size, nameof(dimensions));
            // Capping keeps the product from overflowing; any capped value already differs from data.Length.
            total = Math.Min(total * size, (long)int.MaxValue + 1);
        }

        if (dimensions.Count == 0 || total != data.Length)
        {
            throw new ArgumentException($"The data length {data.Length} is not the product of the dimensions [{string.Join(", ", dimensions)}].", nameof(data));
        }

        Dimensions = [.. dimensions];
        Data = data;
    }

    /// <summary>The size of each dimension, outermost first (for MNIST images: count, rows, columns).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The values in row-major order. Shared, not copied: treat as read-only.</summary>
    public byte[] Data { get; }

    /// <summary>The size of the outermost dimension: the number of items (images or labels).</summary>
    public int Count => Dimensions[0];
}
