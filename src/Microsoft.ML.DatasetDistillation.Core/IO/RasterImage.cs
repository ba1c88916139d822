namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>An 8-bit image ready to encode: row-major pixels, top row first, RGB interleaved.</summary>
internal sealed class RasterImage
{
    /// <summary>Creates an image from its pixels.</summary>
    /// <param name="pixels">Row-major pixels; kept, not copied. Length must be width × height × bytes per pixel.</param>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="colorType">Grayscale (one byte per pixel) or RGB (three).</param>
    public RasterImage(byte[] pixels, int width, int height, PngColorType colorType)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long expected = (long)width * height * PngWriter.BytesPerPixel(colorType);
        if (pixels.Length != expected)
        {
            throw new ArgumentException($"A {width}x{height} {colorType} image needs {expected} bytes, but {pixels.Length} were given.", nameof(pixels));
        }

        Pixels = pixels;
        Width = width;
        Height = height;
        ColorType = colorType;
    }

    /// <summary>Row-major pixels, top row first; for RGB, three interleaved bytes per pixel.</summary>
    public byte[] Pixels { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Grayscale or RGB.</summary>
    public PngColorType ColorType { get; }

    /// <summary>Encodes the image as PNG into a stream, which is left open.</summary>
    /// <param name="stream">The stream to write to.</param>
    public void WritePng(Stream stream) => PngWriter.Write(stream, Pixels, Width, Height, ColorType);

    /// <summary>Encodes the image as PNG into a file, replacing it atomically (see <see cref="PngWriter.Write(string, ReadOnlySpan{byte}, int, int, PngColorType)"/>).</summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    public void WritePng(string path) => PngWriter.Write(path, Pixels, Width, Height, ColorType);
}
