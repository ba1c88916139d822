namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>How <see cref="ImageGrid"/> maps float pixel values to bytes 0..255.</summary>
internal sealed class PixelScaling
{
    private readonly float[]? mean;
    private readonly float[]? std;

    private PixelScaling(float[]? mean, float[]? std)
    {
        this.mean = mean;
        this.std = std;
    }

    /// <summary>
    /// Stretches each image on its own so that its smallest value becomes 0 and its largest 255 (over all
    /// channels, so colours keep their balance). A constant image becomes black.
    /// </summary>
    public static PixelScaling PerImageMinMax { get; } = new(null, null);

    /// <summary>
    /// Undoes a (mean, std) normalisation, value × std + mean, then maps 0..1 to 0..255, clipping outside.
    /// For MNIST: <c>Denormalize(MnistDataset.Mean, MnistDataset.Std)</c>.
    /// </summary>
    /// <param name="mean">The mean that was subtracted, on a 0..1 scale.</param>
    /// <param name="std">The standard deviation that was divided by; must be positive.</param>
    public static PixelScaling Denormalize(float mean, float std) => Denormalize([mean], [std]);

    /// <summary>Undoes a per-channel (mean, std) normalisation, like <see cref="Denormalize(float, float)"/>.</summary>
    /// <param name="mean">One mean per channel, or a single one for all.</param>
    /// <param name="std">One positive standard deviation per channel, or a single one for all; as many as <paramref name="mean"/>.</param>
    public static PixelScaling Denormalize(ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
        {
            throw new ArgumentException($"Need as many standard deviations as means (at least one), got {mean.Length} and {std.Length}.", nameof(std));
        }

        foreach (float s in std)
        {
            if (!(s > 0) || !float.IsFinite(s))
            {
                throw new ArgumentOutOfRangeException(nameof(std), s, "Standard deviations must be positive and finite.");
            }
        }

        return new PixelScaling(mean.ToArray(), std.ToArray());
    }

    /// <summary>Scales one image of shape [channels, height × width] into bytes of the same layout.</summary>
    internal void Apply(ReadOnlySpan<float> image, int channels, Span<byte> result)
    {
        int plane = image.Length / channels;
        if (mean is null || std is null)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (float v in image)
            {
                min = v < min ? v : min;
                max = v > max ? v : max;
            }

            float scale = max > min ? 255f / (max - min) : 0f;
            for (int i = 0; i < image.Length; i++)
            {
                result[i] = ToByte((image[i] - min) * scale);
            }

            return;
        }

        if (mean.Length != 1 && mean.Length != channels)
        {
            throw new ArgumentException($"The scaling has {mean.Length} channel means but the images have {channels} channels.");
        }

        for (int c = 0; c < channels; c++)
        {
            float m = mean[mean.Length == 1 ? 0 : c];
            float s = std[std.Length == 1 ? 0 : c];
            for (int i = c * plane; i < (c + 1) * plane; i++)
            {
                result[i] = ToByte((image[i] * s + m) * 255f);
            }
        }
    }

    // Rounds and clips; NaN fails both comparisons and becomes 0 so a diverged image still renders.
    private static byte ToByte(float value) => value >= 255f ? (byte)255 : value > 0f ? (byte)(value + 0.5f) : (byte)0;
}
