using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>The PNG colour types <see cref="PngWriter"/> writes, all at 8 bits per sample.</summary>
internal enum PngColorType
{
    /// <summary>One byte per pixel, 0 black to 255 white.</summary>
    Grayscale = 0,

    /// <summary>Three bytes per pixel: red, green, blue.</summary>
    Rgb = 2,
}

/// <summary>
/// A small PNG encoder: 8-bit grayscale or RGB, not interlaced, every row stored with filter type 0 (None)
/// in a single zlib-compressed IDAT chunk.
/// </summary>
internal static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Bytes per pixel for a colour type.</summary>
    /// <param name="colorType">The colour type.</param>
    public static int BytesPerPixel(PngColorType colorType) => colorType switch
    {
        PngColorType.Grayscale => 1,
        PngColorType.Rgb => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(colorType), colorType, "Only grayscale and RGB are supported."),
    };

    /// <summary>Encodes an image as PNG into a stream.</summary>
    /// <param name="stream">The stream to write to; left open.</param>
    /// <param name="pixels">Row-major pixels, top row first; for RGB, three interleaved bytes per pixel.</param>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="colorType">How to read <paramref name="pixels"/>.</param>
    public static void Write(Stream stream, ReadOnlySpan<byte> pixels, int width, int height, PngColorType colorType)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        int rowBytes = checked(width * BytesPerPixel(colorType));
        if (pixels.Length != checked(rowBytes * height))
        {
            throw new ArgumentException($"A {width}x{height} {colorType} image needs {(long)rowBytes * height} bytes, but {pixels.Length} were given.", nameof(pixels));
        }

        stream.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bit depth
        header[9] = (byte)colorType;
        header[10] = 0; // compression method: deflate
        header[11] = 0; // filter method: adaptive, of which only type 0 is used
        header[12] = 0; // no interlace
        WriteChunk(stream, "IHDR", header);

        // The compressed size must be known before the IDAT length field, so compress into memory first.
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(pixels.Slice(y * rowBytes, rowBytes));
            }
        }

        WriteChunk(stream, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(stream, "IEND", []);
    }

    /// <summary>
    /// Encodes an image as PNG into a file. The file is written under a temporary name in the same folder
    /// and then moved into place, replacing any existing file, so it is never seen half-written.
    /// </summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="pixels">Row-major pixels, top row first; for RGB, three interleaved bytes per pixel.</param>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="colorType">How to read <paramref name="pixels"/>.</param>
    public static void Write(string path, ReadOnlySpan<byte> pixels, int width, int height, PngColorType colorType)
    {
        using var file = new AtomicFile(path);
        Write(file.Stream, pixels, width, height, colorType);
        file.Commit();
    }

    // Chunk layout: 4-byte big-endian data length, 4-byte ASCII type, data, CRC-32 of type and data.
    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        Span<byte> field = stackalloc byte[4];

        BinaryPrimitives.WriteInt32BigEndian(field, data.Length);
        stream.Write(field);
        stream.Write(typeBytes);
        stream.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(field, Crc32.Append(Crc32.Append(0, typeBytes), data));
        stream.Write(field);
    }
}
