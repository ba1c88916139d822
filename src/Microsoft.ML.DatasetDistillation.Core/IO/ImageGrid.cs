namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>
/// Lays images out in a grid and renders it as one 8-bit image, for figures such as one row per distillation
/// step and one column per class. Cells are separated by white gap lines; there is no outer border.
/// </summary>
internal static class ImageGrid
{
    private const byte GapValue = 255;

    /// <summary>Renders a grid of images.</summary>
    /// <param name="images">
    /// rows × columns images of shape [channels, height, width], row-major, the grid filled row by row:
    /// image r × columns + c goes to row r, column c.
    /// </param>
    /// <param name="rows">Grid rows, at least 1.</param>
    /// <param name="columns">Grid columns, at least 1.</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="height">Height of each image in pixels.</param>
    /// <param name="width">Width of each image in pixels.</param>
    /// <param name="scaling">How float values become bytes.</param>
    /// <param name="upscale">Each source pixel becomes an upscale × upscale block (nearest neighbour), at least 1.</param>
    /// <param name="gap">Pixels of white between neighbouring cells (not scaled), at least 0.</param>
    /// <param name="rowLabels">A non-negative number for each row (such as its step), written in black in a margin to the left; null for none.</param>
    /// <param name="columnLabels">A non-negative number for each column (such as its class), written in black in a margin above; null for none.</param>
    /// <returns>A grayscale image for one channel, RGB for three, of width columns × width × upscale + (columns − 1) × gap and the matching height,
    /// plus the label margins.</returns>
    public static RasterImage Render(
        ReadOnlySpan<float> images, int rows, int columns, int channels, int height, int width,
        PixelScaling scaling, int upscale = 1, int gap = 1, IReadOnlyList<int>? rowLabels = null, IReadOnlyList<int>? columnLabels = null)
    {
        ArgumentNullException.ThrowIfNull(scaling);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images must have 1 or 3 channels.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(upscale, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(gap);
        int imageSize = channels * height * width;
        if (images.Length != (long)rows * columns * imageSize)
        {
            throw new ArgumentException($"A {rows}x{columns} grid of {channels}x{height}x{width} images needs {(long)rows * columns * imageSize} values, but {images.Length} were given.", nameof(images));
        }

        CheckLabels(rowLabels, rows, nameof(rowLabels));
        CheckLabels(columnLabels, columns, nameof(columnLabels));
        int cellWidth = width * upscale, cellHeight = height * upscale;
        int left = rowLabels is null ? 0 : DigitFont.Width(rowLabels.Max()) + 2 * LabelPadding;
        int top = columnLabels is null ? 0 : DigitFont.Height + 2 * LabelPadding;
        int outWidth = checked(left + columns * cellWidth + (columns - 1) * gap);
        int outHeight = checked(top + rows * cellHeight + (rows - 1) * gap);
        var pixels = new byte[checked(outWidth * outHeight * channels)];
        pixels.AsSpan().Fill(GapValue);

        var scaled = new byte[imageSize];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                scaling.Apply(images.Slice((r * columns + c) * imageSize, imageSize), channels, scaled);
                int cellTop = top + r * (cellHeight + gap), cellLeft = left + c * (cellWidth + gap);
                for (int y = 0; y < cellHeight; y++)
                {
                    int sourceRow = y / upscale * width;
                    int target = ((cellTop + y) * outWidth + cellLeft) * channels;
                    for (int x = 0; x < cellWidth; x++)
                    {
                        int source = sourceRow + x / upscale;
                        // Planar [channel, y, x] in, interleaved RGB out.
                        for (int ch = 0; ch < channels; ch++)
                        {
                            pixels[target++] = scaled[ch * height * width + source];
                        }
                    }
                }
            }
        }

        // Each label is centred on its row (right-aligned in the margin) or its column (centred above it).
        for (int r = 0; r < (rowLabels?.Count ?? 0); r++)
        {
            int y = top + r * (cellHeight + gap) + (cellHeight - DigitFont.Height) / 2;
            DigitFont.Draw(pixels, outWidth, channels, left - LabelPadding - DigitFont.Width(rowLabels![r]), y, rowLabels[r]);
        }

        for (int c = 0; c < (columnLabels?.Count ?? 0); c++)
        {
            int x = left + c * (cellWidth + gap) + (cellWidth - DigitFont.Width(columnLabels![c])) / 2;
            DigitFont.Draw(pixels, outWidth, channels, x, LabelPadding, columnLabels[c]);
        }

        return new RasterImage(pixels, outWidth, outHeight, channels == 1 ? PngColorType.Grayscale : PngColorType.Rgb);
    }

    private const int LabelPadding = 4;

    private static void CheckLabels(IReadOnlyList<int>? labels, int count, string name)
    {
        if (labels is not null && (labels.Count != count || labels.Any(label => label < 0)))
        {
            throw new ArgumentException($"Expected {count} non-negative labels, one per {(name == "rowLabels" ? "row" : "column")}, but got [{string.Join(", ", labels)}].", name);
        }
    }

    /// <summary>
    /// Renders a grid of images (see <see cref="Render"/>) and writes it as a PNG file, replacing any existing
    /// file atomically.
    /// </summary>
    /// <param name="path">The PNG file to create or replace; its folder must exist.</param>
    /// <param name="images">rows × columns images of shape [channels, height, width], filled row by row.</param>
    /// <param name="rows">Grid rows, at least 1.</param>
    /// <param name="columns">Grid columns, at least 1.</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="height">Height of each image in pixels.</param>
    /// <param name="width">Width of each image in pixels.</param>
    /// <param name="scaling">How float values become bytes.</param>
    /// <param name="upscale">Each source pixel becomes an upscale × upscale block, at least 1.</param>
    /// <param name="gap">Pixels of white between neighbouring cells, at least 0.</param>
    /// <param name="rowLabels">A non-negative number for each row, written to its left; null for none.</param>
    /// <param name="columnLabels">A non-negative number for each column, written above it; null for none.</param>
    public static void Write(
        string path, ReadOnlySpan<float> images, int rows, int columns, int channels, int height, int width,
        PixelScaling scaling, int upscale = 1, int gap = 1, IReadOnlyList<int>? rowLabels = null, IReadOnlyList<int>? columnLabels = null) =>
        Render(images, rows, columns, channels, height, width, scaling, upscale, gap, rowLabels, columnLabels).WritePng(path);
}
