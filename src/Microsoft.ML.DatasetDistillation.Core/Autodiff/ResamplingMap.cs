namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// A fixed linear map from H×W image planes to OH×OW planes: each output pixel is a weighted sum of a few input pixels
/// (its taps; a source of −1 reads zero). One map may serve every sample of a batch, or the map may hold one table per
/// sample. <see cref="Tensor.Resample"/> applies it; integer translations, flips and bilinear affine warps are built here.
/// </summary>
internal sealed class ResamplingMap
{
    /// <summary>Creates a map from its tap table: <paramref name="sources"/> and <paramref name="weights"/> hold
    /// <paramref name="taps"/> entries per output pixel, row-major, for one sample or for each of <paramref name="samples"/>.</summary>
    public ResamplingMap(int inHeight, int inWidth, int outHeight, int outWidth, int taps, int samples, int[] sources, float[] weights)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(weights);
        if (inHeight < 1 || inWidth < 1 || outHeight < 1 || outWidth < 1 || taps < 1 || samples < 1
            || sources.Length != samples * outHeight * outWidth * taps || weights.Length != sources.Length)
        {
            throw new ArgumentException(
                $"A resampling map {inHeight}×{inWidth} → {outHeight}×{outWidth} with {taps} taps for {samples} sample(s) needs " +
                $"{samples * outHeight * outWidth * taps} sources and weights, but got {sources.Length} and {weights.Length}.");
        }

        int inPixels = inHeight * inWidth;
        if (sources.Any(s => s < -1 || s >= inPixels))
        {
            throw new ArgumentException($"A resampling map's sources must lie in [-1, {inPixels}).", nameof(sources));
        }

        (InHeight, InWidth, OutHeight, OutWidth, Taps, Samples, Sources, Weights) = (inHeight, inWidth, outHeight, outWidth, taps, samples, sources, weights);
    }

    /// <summary>Input plane height.</summary>
    public int InHeight { get; }

    /// <summary>Input plane width.</summary>
    public int InWidth { get; }

    /// <summary>Output plane height.</summary>
    public int OutHeight { get; }

    /// <summary>Output plane width.</summary>
    public int OutWidth { get; }

    /// <summary>Input pixels read per output pixel.</summary>
    public int Taps { get; }

    /// <summary>1 when one table serves every sample, else the batch size it was built for.</summary>
    public int Samples { get; }

    internal int[] Sources { get; }

    internal float[] Weights { get; }

    /// <summary>
    /// Shifts each sample's image by whole pixels, zero where the shift uncovers it: output (i, j) reads input
    /// (i + rowShift, j + columnShift). One shift pair per sample.
    /// </summary>
    public static ResamplingMap Translation(int height, int width, ReadOnlySpan<int> rowShifts, ReadOnlySpan<int> columnShifts)
    {
        CheckPerSample(rowShifts.Length, columnShifts.Length, "shifts");
        int samples = rowShifts.Length, pixels = height * width;
        var sources = new int[samples * pixels];
        for (int n = 0; n < samples; n++)
        {
            for (int i = 0; i < height; i++)
            {
                for (int j = 0; j < width; j++)
                {
                    int row = i + rowShifts[n], column = j + columnShifts[n];
                    bool inside = row >= 0 && row < height && column >= 0 && column < width;
                    sources[n * pixels + i * width + j] = inside ? row * width + column : -1;
                }
            }
        }

        return new ResamplingMap(height, width, height, width, 1, samples, sources, Enumerable.Repeat(1f, sources.Length).ToArray());
    }

    /// <summary>Mirrors left-right the samples whose flag is set and leaves the others unchanged.</summary>
    public static ResamplingMap HorizontalFlip(int height, int width, ReadOnlySpan<bool> flip)
    {
        CheckPerSample(flip.Length, flip.Length, "flags");
        int pixels = height * width;
        var sources = new int[flip.Length * pixels];
        for (int n = 0; n < flip.Length; n++)
        {
            for (int i = 0; i < height; i++)
            {
                for (int j = 0; j < width; j++)
                {
                    sources[n * pixels + i * width + j] = i * width + (flip[n] ? width - 1 - j : j);
                }
            }
        }

        return new ResamplingMap(height, width, height, width, 1, flip.Length, sources, Enumerable.Repeat(1f, sources.Length).ToArray());
    }

    /// <summary>
    /// A bilinear affine warp with zeros outside, as PyTorch's affine_grid + grid_sample with align_corners false: in
    /// coordinates normalised to [−1, 1] (x along the width), output point (x, y) samples the input at
    /// (a·x + b·y + c, d·x + e·y + f), one row [a, b, c, d, e, f] per sample in <paramref name="thetas"/>.
    /// </summary>
    public static ResamplingMap Affine(int height, int width, ReadOnlySpan<float> thetas)
    {
        if (thetas.Length == 0 || thetas.Length % 6 != 0)
        {
            throw new ArgumentException($"Affine needs six coefficients per sample, but got {thetas.Length}.", nameof(thetas));
        }

        int samples = thetas.Length / 6, pixels = height * width;
        var sources = new int[samples * pixels * 4];
        var weights = new float[sources.Length];
        for (int n = 0; n < samples; n++)
        {
            ReadOnlySpan<float> t = thetas.Slice(n * 6, 6);
            for (int i = 0; i < height; i++)
            {
                for (int j = 0; j < width; j++)
                {
                    double x = (2.0 * j + 1) / width - 1, y = (2.0 * i + 1) / height - 1;
                    double sourceX = ((t[0] * x + t[1] * y + t[2] + 1) * width - 1) / 2;
                    double sourceY = ((t[3] * x + t[4] * y + t[5] + 1) * height - 1) / 2;
                    int left = (int)Math.Floor(sourceX), top = (int)Math.Floor(sourceY);
                    float fx = (float)(sourceX - left), fy = (float)(sourceY - top);
                    int tap = ((n * pixels) + i * width + j) * 4;
                    SetTap(tap, top, left, (1 - fy) * (1 - fx));
                    SetTap(tap + 1, top, left + 1, (1 - fy) * fx);
                    SetTap(tap + 2, top + 1, left, fy * (1 - fx));
                    SetTap(tap + 3, top + 1, left + 1, fy * fx);
                }
            }
        }

        return new ResamplingMap(height, width, height, width, 4, samples, sources, weights);

        void SetTap(int tap, int row, int column, float weight)
        {
            bool inside = row >= 0 && row < height && column >= 0 && column < width;
            sources[tap] = inside ? row * width + column : -1;
            weights[tap] = inside ? weight : 0f;
        }
    }

    private static void CheckPerSample(int first, int second, string what)
    {
        if (first < 1 || first != second)
        {
            throw new ArgumentException($"A resampling map needs one entry per sample and at least one sample, but got {first} and {second} {what}.");
        }
    }
}
