using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.IO;

[TestClass]
public sealed class PngWriterTests
{
    private readonly TempFolder temp = new();

    [TestCleanup]
    public void Cleanup() => temp.Dispose();

    [TestMethod]
    public void Crc32MatchesTheStandardCheckValue()
    {
        Assert.AreEqual(0xCBF43926u, Crc32.Append(0, "123456789"u8));
        Assert.AreEqual(0xCBF43926u, Crc32.Append(Crc32.Append(0, "1234"u8), "56789"u8));
    }

    [TestMethod]
    public void WritesSignatureAndHeaderBytes()
    {
        byte[] png = Encode([1, 2, 3, 4, 5, 6], 3, 2, PngColorType.Grayscale);

        CollectionAssert.AreEqual(PngTestDecoder.Signature, png[..8]);
        // IHDR: length 13, type, width 3, height 2, depth 8, colour type 0, compression 0, filter 0, interlace 0.
        byte[] ihdr = [0, 0, 0, 13, .. "IHDR"u8, 0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0];
        CollectionAssert.AreEqual(ihdr, png[8..(8 + ihdr.Length)]);
        // The last chunk is an empty IEND with its fixed CRC.
        byte[] iend = [0, 0, 0, 0, .. "IEND"u8, 0xAE, 0x42, 0x60, 0x82];
        CollectionAssert.AreEqual(iend, png[^12..]);
    }

    [TestMethod]
    public void GrayscaleRoundTripsExactly()
    {
        byte[] pixels = [.. Enumerable.Range(0, 5 * 4).Select(i => (byte)(i * 13))];

        PngTestDecoder.Image image = PngTestDecoder.Decode(Encode(pixels, 5, 4, PngColorType.Grayscale));

        Assert.AreEqual((5, 4, (byte)0), (image.Width, image.Height, image.ColorType));
        CollectionAssert.AreEqual(pixels, image.Pixels);
        CollectionAssert.AreEqual(new[] { "IHDR", "IDAT", "IEND" }, image.ChunkTypes.ToArray());
    }

    [TestMethod]
    public void RgbRoundTripsExactly()
    {
        byte[] pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];

        PngTestDecoder.Image image = PngTestDecoder.Decode(Encode(pixels, 2, 2, PngColorType.Rgb));

        Assert.AreEqual((2, 2, (byte)2), (image.Width, image.Height, image.ColorType));
        CollectionAssert.AreEqual(pixels, image.Pixels);
    }

    [TestMethod]
    public void WritesFileAndReplacesExistingOneWithoutLeftovers()
    {
        string path = temp.File("out.png");
        File.WriteAllText(path, "old");

        PngWriter.Write(path, [7, 8], 1, 2, PngColorType.Grayscale);

        CollectionAssert.AreEqual(new byte[] { 7, 8 }, PngTestDecoder.Decode(path).Pixels);
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(temp.Path));
    }

    [TestMethod]
    public void FailedWriteKeepsTheOldFileAndLeavesNoTemporary()
    {
        string path = temp.File("out.png");
        File.WriteAllText(path, "old");

        Assert.ThrowsExactly<ArgumentException>(() => PngWriter.Write(path, [1, 2, 3], 2, 2, PngColorType.Grayscale));

        Assert.AreEqual("old", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(temp.Path));
    }

    [TestMethod]
    public void TheNextWriteDeletesTemporariesThatAKilledWriteLeftBehind()
    {
        string path = temp.File("out.png");
        string stale = temp.File($".out.png.{Guid.NewGuid():N}.tmp");
        string otherTargets = temp.File($".other.png.{Guid.NewGuid():N}.tmp");
        string notOurs = temp.File(".out.png.notes.tmp");
        File.WriteAllText(stale, "half a file");
        File.WriteAllText(otherTargets, "half another file");
        File.WriteAllText(notOurs, "a user's file");

        PngWriter.Write(path, [7, 8], 1, 2, PngColorType.Grayscale);

        CollectionAssert.AreEquivalent(new[] { path, otherTargets, notOurs }, Directory.GetFiles(temp.Path));
    }

    [TestMethod]
    public void RejectsBadArguments()
    {
        using var stream = new MemoryStream();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PngWriter.Write(stream, [], 0, 1, PngColorType.Grayscale));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PngWriter.Write(stream, [1], 1, 1, (PngColorType)6));
        Assert.ThrowsExactly<ArgumentException>(() => PngWriter.Write(stream, [1, 2], 1, 1, PngColorType.Rgb));
        Assert.AreEqual(0, stream.Length);
    }

    private static byte[] Encode(byte[] pixels, int width, int height, PngColorType colorType)
    {
        using var stream = new MemoryStream();
        PngWriter.Write(stream, pixels, width, height, colorType);
        return stream.ToArray();
    }
}
