using System.Buffers.Binary;
using System.IO.Compression;

namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>
/// Reads files in the IDX format used by MNIST: two zero bytes, a data-type byte, a dimension count, one
/// big-endian 32-bit size per dimension, then the values in row-major order. Files may be gzipped.
/// </summary>
internal static class IdxReader
{
    /// <summary>The IDX data-type code for unsigned bytes, the only type this reader returns.</summary>
    public const byte UnsignedByteType = 0x08;

    // IDX allows at most 255 dimensions; anything past a handful is a corrupt header, not real data.
    private const int MaxDimensions = 16;

    /// <summary>
    /// Reads an IDX file of unsigned bytes, raw or gzipped. Gzip is recognised by its magic bytes
    /// (0x1f 0x8b), not by the file name.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The dimensions and the values.</returns>
    /// <exception cref="InvalidDataException">
    /// The file is not valid IDX (bad magic, unsupported data type, truncated, or longer than its header
    /// declares), or its gzip data are corrupt. The message names the file and the problem.
    /// </exception>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Unbuffered: the payload is read straight into its array, and GZipStream keeps its own input buffer.
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        if (!IsGzip(file))
        {
            return ReadIdx(file, path, file.Length);
        }

        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        return ReadIdx(gzip, path, knownLength: null);
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    // knownLength is the raw file length, which lets a size mismatch be reported before anything is allocated.
    private static IdxArray ReadIdx(Stream stream, string path, long? knownLength)
    {
        Span<byte> prefix = stackalloc byte[4];
        if (Fill(stream, prefix, path) < prefix.Length)
        {
            throw Invalid(path, "truncated header: the file is shorter than the 4-byte IDX magic number");
        }

        if (prefix[0] != 0 || prefix[1] != 0)
        {
            throw Invalid(path, $"bad magic number 0x{prefix[0]:x2}{prefix[1]:x2}{prefix[2]:x2}{prefix[3]:x2}: an IDX file starts with two zero bytes");
        }

        byte dataType = prefix[2];
        if (dataType != UnsignedByteType)
        {
            throw Invalid(path, $"unsupported data type 0x{dataType:x2} ({DataTypeName(dataType)}); only 0x08 (unsigned byte) is supported");
        }

        int rank = prefix[3];
        if (rank is 0 or > MaxDimensions)
        {
            throw Invalid(path, $"bad dimension count {rank}; expected 1 to {MaxDimensions}");
        }

        Span<byte> sizeBytes = stackalloc byte[4 * rank];
        if (Fill(stream, sizeBytes, path) < sizeBytes.Length)
        {
            throw Invalid(path, $"truncated header: expected {rank} dimension sizes");
        }

        var dimensions = new int[rank];
        long total = 1;
        for (int d = 0; d < rank; d++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes.Slice(4 * d, 4));
            if (size < 0)
            {
                throw Invalid(path, $"dimension {d} has negative size {size}");
            }

            dimensions[d] = size;
            total *= size;
            if (total > Array.MaxLength)
            {
                throw Invalid(path, $"the declared payload exceeds the largest array .NET can hold ({Array.MaxLength} bytes)");
            }
        }

        long headerLength = 4 + sizeBytes.Length;
        if (knownLength is long length && length != headerLength + total)
        {
            throw length < headerLength + total
                ? Truncated(path, total, length - headerLength)
                : SizeMismatch(path, total, length - headerLength);
        }

        // A raw file's length was checked above, so its payload is allocated whole; a compressed one's grows as it arrives.
        byte[] data = knownLength is null ? ReadPayload(stream, (int)total, path) : new byte[total];
        int got = knownLength is null ? data.Length : Fill(stream, data, path);
        if (got < total)
        {
            throw Truncated(path, total, got);
        }

        // A compressed stream has no length up front: one more byte means the payload is longer than declared.
        if (knownLength is null && Fill(stream, stackalloc byte[1], path) > 0)
        {
            throw Invalid(path, $"size mismatch: the dimensions declare {total} data bytes but more follow");
        }

        return new IdxArray(dimensions, data);
    }

    // Reads until the buffer is full or the stream ends. GZipStream reports corrupt input as
    // InvalidDataException without the file name, so it is rethrown with it.
    private static int Fill(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw CorruptGzip(path, e);
        }
    }

    // Memory follows the bytes that arrive, not the header: a small gzip file declaring millions of images
    // fails as truncated after holding no more than it decompressed to.
    private static byte[] ReadPayload(Stream stream, int count, string path)
    {
        try
        {
            return FramedFile.ReadUpTo(stream, count);
        }
        catch (InvalidDataException e)
        {
            throw CorruptGzip(path, e);
        }
    }

    private static InvalidDataException CorruptGzip(string path, InvalidDataException e) => new($"{path}: corrupt gzip data ({e.Message})", e);

    private static InvalidDataException Truncated(string path, long expected, long actual) =>
        Invalid(path, $"truncated data: the dimensions declare {expected} data bytes but only {actual} are present");

    private static InvalidDataException SizeMismatch(string path, long expected, long actual) =>
        Invalid(path, $"size mismatch: the dimensions declare {expected} data bytes but {actual} are present");

    private static InvalidDataException Invalid(string path, string problem) =>
        new($"{path}: {problem}.");

    private static string DataTypeName(byte dataType) => dataType switch
    {
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not an IDX type",
    };
}
