namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// A linear resampling of NCHW planes given by a tap table: output pixel p of a plane is
/// Σ_t weights[p·taps + t] · input[sources[p·taps + t]] over the plane's pixels, a source of −1 reading zero. A table
/// holds either one map for every sample or one map per sample (tables laid end to end); every channel of a sample
/// uses the same map. Translations, flips and bilinear affine warps (scale, rotation) are all such maps.
/// </summary>
internal static class Resampling
{
    /// <summary>Overwrites <paramref name="output"/> [N, C, outPixels] with the resampled <paramref name="input"/> [N, C, inPixels].</summary>
    /// <exception cref="ArgumentException">A span length does not match the sizes.</exception>
    public static void Gather(int samples, int channels, int inPixels, int outPixels, int taps, ReadOnlySpan<int> sources,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> input, Span<float> output)
    {
        bool perSample = Validate(samples, channels, inPixels, outPixels, taps, sources, weights, input.Length, output.Length);
        int mapLength = outPixels * taps;
        for (int n = 0; n < samples; n++)
        {
            int map = perSample ? n * mapLength : 0;
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> plane = input.Slice((n * channels + c) * inPixels, inPixels);
                Span<float> target = output.Slice((n * channels + c) * outPixels, outPixels);
                for (int p = 0; p < outPixels; p++)
                {
                    float sum = 0f;
                    for (int t = map + p * taps, end = t + taps; t < end; t++)
                    {
                        int source = sources[t];
                        if (source >= 0)
                        {
                            sum += weights[t] * plane[source];
                        }
                    }

                    target[p] = sum;
                }
            }
        }
    }

    /// <summary>
    /// The transpose of <see cref="Gather"/>: overwrites <paramref name="input"/> [N, C, inPixels] with each output
    /// pixel's value spread back over its sources by the same weights.
    /// </summary>
    /// <exception cref="ArgumentException">A span length does not match the sizes.</exception>
    public static void Scatter(int samples, int channels, int inPixels, int outPixels, int taps, ReadOnlySpan<int> sources,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> output, Span<float> input)
    {
        bool perSample = Validate(samples, channels, inPixels, outPixels, taps, sources, weights, input.Length, output.Length);
        input.Clear();
        int mapLength = outPixels * taps;
        for (int n = 0; n < samples; n++)
        {
            int map = perSample ? n * mapLength : 0;
            for (int c = 0; c < channels; c++)
            {
                Span<float> plane = input.Slice((n * channels + c) * inPixels, inPixels);
                ReadOnlySpan<float> spread = output.Slice((n * channels + c) * outPixels, outPixels);
                for (int p = 0; p < outPixels; p++)
                {
                    for (int t = map + p * taps, end = t + taps; t < end; t++)
                    {
                        int source = sources[t];
                        if (source >= 0)
                        {
                            plane[source] += weights[t] * spread[p];
                        }
                    }
                }
            }
        }
    }

    private static bool Validate(int samples, int channels, int inPixels, int outPixels, int taps, ReadOnlySpan<int> sources,
        ReadOnlySpan<float> weights, int inputLength, int outputLength)
    {
        if (samples < 0 || channels < 0 || inPixels < 1 || outPixels < 0 || taps < 1)
        {
            throw new ArgumentException($"Resampling needs non-negative sizes and at least one tap, but got {samples} samples, {channels} channels, {inPixels}→{outPixels} pixels, {taps} taps.");
        }

        int mapLength = outPixels * taps;
        bool perSample = sources.Length == samples * mapLength && samples != 1;
        if ((sources.Length != mapLength && !perSample) || weights.Length != sources.Length
            || inputLength != samples * channels * inPixels || outputLength != samples * channels * outPixels)
        {
            throw new ArgumentException(
                $"Resampling of {samples}×{channels} planes, {inPixels}→{outPixels} pixels, {taps} taps needs a map of {mapLength} or {samples * mapLength} taps, " +
                $"input {samples * channels * inPixels} and output {samples * channels * outPixels}, but got {sources.Length} sources, {weights.Length} weights, " +
                $"input {inputLength}, output {outputLength}.");
        }

        return perSample;
    }
}
