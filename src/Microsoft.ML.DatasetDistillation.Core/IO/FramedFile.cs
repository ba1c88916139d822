using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>
/// One saved format: its 4-character magic, the name errors use, the version written, and the oldest version still
/// read. Versions from <see cref="FirstFramedVersion"/> on are framed (length and checksum); older ones, written before
/// the frame existed, are read without a checksum (their payload is the rest of the stream).
/// </summary>
internal sealed record FileFormat(string Magic, string Name, int Version)
{
    /// <summary>The oldest version read; older versions are refused, naming theirs.</summary>
    public int OldestVersion { get; init; } = Version;

    /// <summary>The first version with the frame; versions from <see cref="OldestVersion"/> up to this one exclusive are read unframed.</summary>
    public int FirstFramedVersion { get; init; } = Version;
}

/// <summary>A payload read by <see cref="FramedFile"/>: its format version and bytes, checksum already verified (framed versions).</summary>
internal sealed record FramedPayload(int Version, byte[] Bytes);

/// <summary>
/// The frame every binary file of the library shares, little-endian: magic (4 ASCII bytes), format version (int32),
/// payload length (int64), CRC-32 of those 16 bytes and the payload (uint32), then the payload. The reader checks
/// magic, version, the length against the stream's remaining bytes and the checksum before the payload is parsed, and
/// reads no more than the stream holds, so a damaged or hostile file fails with an <see cref="InvalidDataException"/>
/// naming the source and the field, never with a huge allocation.
/// </summary>
internal static class FramedFile
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderLength = 20;

    // The first allocation for a payload whose length cannot be checked against the stream (not seekable);
    // later ones double, so memory follows the bytes that actually arrive.
    private const int FirstChunk = 1 << 20;

    /// <summary>Writes <paramref name="payload"/> framed as <paramref name="format"/>'s current version.</summary>
    public static void Write(Stream stream, FileFormat format, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        Encoding.ASCII.GetBytes(format.Magic, header[..4]);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], format.Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], Crc32.Append(Crc32.Append(0, header[..16]), payload));
        stream.Write(header);
        stream.Write(payload);
    }

    /// <summary>Writes the payload that <paramref name="writePayload"/> produces to <paramref name="path"/>, framed and atomically.</summary>
    public static void Save(string path, FileFormat format, Action<BinaryWriter> writePayload)
    {
        byte[] payload = Payload(writePayload);
        using var file = new AtomicFile(path);
        Write(file.Stream, format, payload);
        file.Commit();
    }

    /// <summary>The bytes <paramref name="writePayload"/> writes, little-endian.</summary>
    public static byte[] Payload(Action<BinaryWriter> writePayload)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writePayload(writer);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Reads a whole file of <paramref name="format"/> and parses its payload; any problem, in the frame or found by
    /// <paramref name="parse"/>, becomes an <see cref="InvalidDataException"/> that starts with the path.
    /// </summary>
    public static T Load<T>(string path, FileFormat format, Func<FramedPayload, T> parse)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        try
        {
            FramedPayload payload = Read(stream, format);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"{stream.Length - stream.Position} unexpected bytes follow the {format.Name}.");
            }

            return parse(payload);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Reads one frame of <paramref name="format"/> from <paramref name="stream"/>, leaving the stream just after it.</summary>
    /// <exception cref="InvalidDataException">Wrong magic, unsupported version, a length the stream cannot hold, truncation or a checksum mismatch.</exception>
    public static FramedPayload Read(Stream stream, FileFormat format)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[HeaderLength];
        if (stream.ReadAtLeast(header[..8], 8, throwOnEndOfStream: false) < 8)
        {
            throw new InvalidDataException($"The {format.Name} is truncated: it ends inside the magic and version (8 bytes).");
        }

        if (!header[..4].SequenceEqual(Encoding.ASCII.GetBytes(format.Magic)))
        {
            throw new InvalidDataException($"Not a {format.Name}: the magic is '{Printable(header[..4])}' instead of '{format.Magic}'.");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (version < format.OldestVersion || version > format.Version)
        {
            throw new InvalidDataException(format.OldestVersion == format.Version
                ? $"The {format.Name} has format version {version}; this library reads version {format.Version} only."
                : $"The {format.Name} has format version {version}; this library reads versions {format.OldestVersion} to {format.Version}.");
        }

        if (version < format.FirstFramedVersion)
        {
            // Written before the frame: no length, no checksum; the payload is the rest of the stream.
            return new FramedPayload(version, ReadUpTo(stream, (int)Math.Min(Remaining(stream), Array.MaxLength)));
        }

        if (stream.ReadAtLeast(header[8..], HeaderLength - 8, throwOnEndOfStream: false) < HeaderLength - 8)
        {
            throw new InvalidDataException($"The {format.Name} is truncated: it ends inside the payload length and checksum.");
        }

        long length = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (length < 0 || length > Array.MaxLength)
        {
            throw new InvalidDataException($"The {format.Name}'s payload length {length} is out of range [0, {Array.MaxLength}].");
        }

        if (length > Remaining(stream))
        {
            throw new InvalidDataException($"The {format.Name} is truncated: its payload length is {length} bytes but only {Remaining(stream)} follow.");
        }

        byte[] payload = ReadUpTo(stream, (int)length);
        if (payload.Length < length)
        {
            throw new InvalidDataException($"The {format.Name} is truncated: its payload length is {length} bytes but only {payload.Length} follow.");
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        uint actual = Crc32.Append(Crc32.Append(0, header[..16]), payload);
        if (stored != actual)
        {
            throw new InvalidDataException($"The {format.Name} is damaged: its checksum is {stored:X8} but its contents give {actual:X8}.");
        }

        return new FramedPayload(version, payload);
    }

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes, fewer when the stream ends first. Memory grows with the bytes that
    /// arrive, not with <paramref name="count"/>, so a header that declares far more than a (compressed) stream holds
    /// costs no more than what it holds.
    /// </summary>
    public static byte[] ReadUpTo(Stream stream, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var data = new byte[Math.Min(count, FirstChunk)];
        int filled = 0;
        while (true)
        {
            filled += stream.ReadAtLeast(data.AsSpan(filled), data.Length - filled, throwOnEndOfStream: false);
            if (filled < data.Length)
            {
                return data[..filled];
            }

            if (filled == count)
            {
                return data;
            }

            Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
        }
    }

    private static long Remaining(Stream stream) => stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;

    private static string Printable(ReadOnlySpan<byte> bytes) =>
        string.Concat(bytes.ToArray().Select(b => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}"));
}
