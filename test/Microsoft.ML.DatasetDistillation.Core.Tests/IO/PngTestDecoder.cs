using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.IO;

/// <summary>
/// Just enough of a PNG reader to check what PngWriter produces: the signature, chunk CRCs (with its own
/// bitwise CRC, independent of the writer's table), IHDR, and 8-bit non-interlaced rows with filter 0.
/// </summary>
internal static class PngTestDecoder
{
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public sealed record Image(int Width, int Height, byte ColorType, byte[] Pixels, IReadOnlyList<string> ChunkTypes);

    public static Image Decode(byte[] png)
    {
        Assert.IsTrue(png.AsSpan(0, 8).SequenceEqual(Signature), "PNG signature");
        var chunkTypes = new List<string>();
        var idat = new MemoryStream();
        int width = 0, height = 0;
        byte colorType = 0;
        int offset = 8;
        while (offset < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            string type = Encoding.ASCII.GetString(png, offset + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(offset + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            Assert.AreEqual(BitwiseCrc32(png.AsSpan(offset + 4, 4 + length)), crc, $"CRC of {type}");
            chunkTypes.Add(type);
            switch (type)
            {
                case "IHDR":
                    Assert.AreEqual(13, length);
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    Assert.AreEqual(8, data[8], "bit depth");
                    colorType = data[9];
                    Assert.IsTrue(data[10..13].SequenceEqual(new byte[3]), "compression, filter and interlace methods are 0");
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            offset += 12 + length;
        }

        Assert.AreEqual(png.Length, offset, "chunks end exactly at the end of the file");
        Assert.AreEqual("IEND", chunkTypes[^1]);
        int rowBytes = width * (colorType == 2 ? 3 : 1);
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new byte[(rowBytes + 1) * height];
        zlib.ReadExactly(raw);
        Assert.AreEqual(-1, zlib.ReadByte(), "no data after the last row");

        var pixels = new byte[rowBytes * height];
        for (int y = 0; y < height; y++)
        {
            Assert.AreEqual(0, raw[y * (rowBytes + 1)], $"filter type of row {y}");
            raw.AsSpan(y * (rowBytes + 1) + 1, rowBytes).CopyTo(pixels.AsSpan(y * rowBytes));
        }

        return new Image(width, height, colorType, pixels, chunkTypes);
    }

    public static Image Decode(string path) => Decode(System.IO.File.ReadAllBytes(path));

    public static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
            }
        }

        return ~c;
    }
}
