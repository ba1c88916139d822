namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>
/// A 3 × 5 pixel font of the digits 0–9, drawn at twice that size, for labelling image grids without a font library.
/// </summary>
internal static class DigitFont
{
    private const int Scale = 2, GlyphWidth = 3, GlyphHeight = 5;

    // One 15-bit mask per digit, row by row from the top, the leftmost pixel of a row in its highest bit.
    private static readonly ushort[] Glyphs =
    [
        0b111_101_101_101_111, 0b010_110_010_010_111, 0b111_001_111_100_111, 0b111_001_111_001_111, 0b101_101_111_001_001,
        0b111_100_111_001_111, 0b111_100_111_101_111, 0b111_001_001_001_001, 0b111_101_111_101_111, 0b111_101_111_001_111,
    ];

    /// <summary>Height of a number in pixels.</summary>
    public const int Height = GlyphHeight * Scale;

    /// <summary>Width of <paramref name="value"/> in pixels (one blank column between digits).</summary>
    public static int Width(int value) => Scale * ((GlyphWidth + 1) * value.ToString(System.Globalization.CultureInfo.InvariantCulture).Length - 1);

    /// <summary>Draws non-negative <paramref name="value"/> in black with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public static void Draw(byte[] pixels, int imageWidth, int channels, int x, int y, int value)
    {
        foreach (char digit in value.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            ushort glyph = Glyphs[digit - '0'];
            for (int row = 0; row < GlyphHeight * Scale; row++)
            {
                for (int column = 0; column < GlyphWidth * Scale; column++)
                {
                    int bit = (GlyphHeight - 1 - row / Scale) * GlyphWidth + (GlyphWidth - 1 - column / Scale);
                    if ((glyph >> bit & 1) != 0)
                    {
                        pixels.AsSpan(((y + row) * imageWidth + x + column) * channels, channels).Clear();
                    }
                }
            }

            x += (GlyphWidth + 1) * Scale;
        }
    }
}
