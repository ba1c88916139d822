using System.Buffers.Binary;

namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>Writes unsigned-byte IDX files, as <see cref="IdxReader"/> reads them (raw, not gzipped).</summary>
internal static class IdxWriter
{
    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> (atomically: the file is always whole).</summary>
    public static void Write(string path, IdxArray array)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(array);
        using var file = new AtomicFile(path);
        Span<byte> header = stackalloc byte[4 + 4 * array.Dimensions.Count];
        header[2] = IdxReader.UnsignedByteType;
        header[3] = (byte)array.Dimensions.Count;
        for (int d = 0; d < array.Dimensions.Count; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * d)..], array.Dimensions[d]);
        }

        file.Stream.Write(header);
        file.Stream.Write(array.Data);
        file.Commit();
    }
}
