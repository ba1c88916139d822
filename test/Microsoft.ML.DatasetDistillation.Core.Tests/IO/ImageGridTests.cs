using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.IO;

[TestClass]
public sealed class ImageGridTests
{
    private static readonly PixelScaling Identity = PixelScaling.Denormalize(0f, 1f);

    private readonly TempFolder temp = new();

    [TestCleanup]
    public void Cleanup() => temp.Dispose();

    [TestMethod]
    public void LaysOutUpscaledCellsWithGaps()
    {
        // 2 rows x 3 columns of 2x2 grayscale images; image k has pixel values 10k + (0, 1, 2, 3) / 255.
        float[] images = [.. Enumerable.Range(0, 6 * 4).Select(i => (10 * (i / 4) + i % 4) / 255f)];

        RasterImage grid = ImageGrid.Render(images, rows: 2, columns: 3, channels: 1, height: 2, width: 2, Identity, upscale: 2, gap: 1);

        // Cells are 4x4; width 3 * 4 + 2 gaps, height 2 * 4 + 1 gap.
        Assert.AreEqual((14, 9, PngColorType.Grayscale), (grid.Width, grid.Height, grid.ColorType));
        Assert.AreEqual(0, Pixel(grid, 0, 0));
        Assert.AreEqual(1, Pixel(grid, x: 3, y: 1));
        Assert.AreEqual(255, Pixel(grid, x: 4, y: 0), "gap column");
        Assert.AreEqual(255, Pixel(grid, x: 0, y: 4), "gap row");
        // Image 5 (row 1, column 2) starts at x = 2 * 5 = 10, y = 5; its pixel (x 0, y 1) covers x 10-11, y 7-8.
        Assert.AreEqual(52, Pixel(grid, x: 10, y: 7));
        Assert.AreEqual(52, Pixel(grid, x: 11, y: 8));
        Assert.AreEqual(53, Pixel(grid, x: 13, y: 8));
    }

    [TestMethod]
    public void LabelsRowsAndColumnsInMarginsWithTheDigitFont()
    {
        // One row of two 12x12 gray images, labelled step 3 and digits 0 and 12.
        float[] images = [.. Enumerable.Repeat(128 / 255f, 2 * 12 * 12)];

        RasterImage grid = ImageGrid.Render(images, rows: 1, columns: 2, channels: 1, height: 12, width: 12, Identity, rowLabels: [3], columnLabels: [0, 12]);

        // Margins: left = width of "3" (6) + 2 × 4 padding, top = glyph height (10) + 2 × 4; the cells follow them.
        const int left = 14, top = 18;
        Assert.AreEqual((left + 2 * 12 + 1, top + 12), (grid.Width, grid.Height));
        Assert.AreEqual(128, Pixel(grid, x: left, y: top));
        Assert.AreEqual(255, Pixel(grid, x: left - 1, y: top), "margin");
        // "0" is centred over column 0 (x = 14 + 3 = 17, y = 4): its top bar is black, its middle hollow.
        foreach (int x in Enumerable.Range(17, 6))
        {
            Assert.AreEqual(0, Pixel(grid, x, y: 4), $"top bar of 0 at x {x}");
        }

        Assert.AreEqual(255, Pixel(grid, x: 19, y: 8), "inside of 0");
        // "3" is right-aligned in the left margin (x = 4) and centred on the row (y = 18 + 1 = 19): its top-left pixel is black,
        // the left pixel of its second glyph row white.
        Assert.AreEqual(0, Pixel(grid, x: 4, y: 19));
        Assert.AreEqual(255, Pixel(grid, x: 4, y: 21));
        Assert.ThrowsExactly<ArgumentException>(() => ImageGrid.Render(images, 1, 2, 1, 12, 12, Identity, columnLabels: [0]));
    }

    [TestMethod]
    public void InterleavesRgbChannels()
    {
        // One 3x1x2 image, planar: R = (10, 20), G = (30, 40), B = (50, 60).
        float[] image = [.. new[] { 10, 20, 30, 40, 50, 60 }.Select(v => v / 255f)];

        RasterImage grid = ImageGrid.Render(image, 1, 1, channels: 3, height: 1, width: 2, Identity);

        Assert.AreEqual(PngColorType.Rgb, grid.ColorType);
        CollectionAssert.AreEqual(new byte[] { 10, 30, 50, 20, 40, 60 }, grid.Pixels);
    }

    [TestMethod]
    public void DenormalisationInvertsMnistNormalisationAndClips()
    {
        float[] images = [.. Enumerable.Range(0, 256).Select(p => MnistDataset.Normalize((byte)p)), -10f, 10f, float.NaN, 0f];

        RasterImage grid = ImageGrid.Render(images, 1, 1, 1, height: 1, width: 260, PixelScaling.Denormalize(MnistDataset.Mean, MnistDataset.Std));

        CollectionAssert.AreEqual(Enumerable.Range(0, 256).Select(p => (byte)p).ToArray(), grid.Pixels[..256]);
        CollectionAssert.AreEqual(new byte[] { 0, 255, 0, 33 }, grid.Pixels[256..]);
    }

    [TestMethod]
    public void PerChannelDenormalisationUsesEachChannelsConstants()
    {
        var scaling = PixelScaling.Denormalize([0.5f, 0f, 0f], [0.25f, 1f, 0.5f]);

        RasterImage grid = ImageGrid.Render([1f, 0.5f, 1f], 1, 1, channels: 3, height: 1, width: 1, scaling);

        CollectionAssert.AreEqual(new byte[] { 191, 128, 128 }, grid.Pixels);
    }

    [TestMethod]
    public void MinMaxScalesEachImageOnItsOwn()
    {
        float[] images = [-1f, 0f, 1f, 3f, 100f, 100f, 100f, 100f];

        RasterImage grid = ImageGrid.Render(images, 1, 2, 1, height: 1, width: 4, PixelScaling.PerImageMinMax, gap: 2);

        CollectionAssert.AreEqual(new byte[] { 0, 64, 128, 255, 255, 255, 0, 0, 0, 0 }, grid.Pixels);
    }

    [TestMethod]
    public void WritesPng()
    {
        string path = temp.File("grid.png");

        ImageGrid.Write(path, new float[4 * 10 * 28 * 28], rows: 4, columns: 10, channels: 1, height: 28, width: 28, PixelScaling.PerImageMinMax, upscale: 2, gap: 2);

        PngTestDecoder.Image png = PngTestDecoder.Decode(path);
        Assert.AreEqual((10 * 56 + 9 * 2, 4 * 56 + 3 * 2), (png.Width, png.Height));
        Assert.AreEqual(0, png.Pixels[0]);
        Assert.AreEqual(255, png.Pixels[56]);
    }

    [TestMethod]
    public void RejectsBadArguments()
    {
        Assert.ThrowsExactly<ArgumentException>(() => ImageGrid.Render(new float[3], 1, 1, 1, 2, 2, Identity));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageGrid.Render(new float[8], 1, 1, 2, 2, 2, Identity));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageGrid.Render(new float[4], 1, 1, 1, 2, 2, Identity, upscale: 0));
        Assert.ThrowsExactly<ArgumentException>(() => ImageGrid.Render(new float[12], 1, 1, 3, 2, 2, PixelScaling.Denormalize([0f, 0f], [1f, 1f])));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PixelScaling.Denormalize(0f, 0f));
    }

    private static byte Pixel(RasterImage image, int x, int y) => image.Pixels[y * image.Width + x];
}
