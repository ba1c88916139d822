using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// Sums over a sliding window of neighbouring channels, the reduction inside local response normalisation.
/// </summary>
internal static unsafe class ChannelWindow
{
    /// <summary>Elements a thread must add before a second thread pays for its hand-off.</summary>
    private const long MinParallelWork = 1L << 18;

    /// <summary>
    /// Overwrites <paramref name="output"/> [batch, channels, spatial] with
    /// output[n, c, s] = Σ input[n, c', s] over c' in [c − <paramref name="before"/>, c + <paramref name="after"/>]
    /// clipped to [0, channels), added in increasing c'. PyTorch's LocalResponseNorm of size k uses
    /// before = k / 2 and after = (k − 1) / 2 (size 4: before 2, after 1). The spans must not overlap.
    /// </summary>
    /// <remarks>
    /// The operator is linear and its adjoint (transpose) is the same sum with <paramref name="before"/> and
    /// <paramref name="after"/> swapped: c' is in c's window exactly when c is in the swapped window of c'.
    /// Backward passes call <c>Sum(batch, channels, spatial, after, before, outputGradient, inputGradient)</c>.
    /// </remarks>
    /// <exception cref="ArgumentException">A size is not positive, a window side is negative, or a span length does not match the sizes.</exception>
    public static void Sum(int batch, int channels, int spatial, int before, int after, ReadOnlySpan<float> input, Span<float> output)
    {
        const string owner = nameof(ChannelWindow) + "." + nameof(Sum);
        ConvArgumentChecks.Positive(batch, nameof(batch), owner);
        ConvArgumentChecks.Positive(channels, nameof(channels), owner);
        ConvArgumentChecks.Positive(spatial, nameof(spatial), owner);
        ConvArgumentChecks.NonNegative(before, nameof(before), owner);
        ConvArgumentChecks.NonNegative(after, nameof(after), owner);
        ConvArgumentChecks.Length(input.Length, nameof(input), ("N", batch), ("C", channels), ("S", spatial));
        ConvArgumentChecks.Length(output.Length, nameof(output), ("N", batch), ("C", channels), ("S", spatial));

        long workPerImage = (long)channels * spatial * (Math.Min(before, channels) + Math.Min(after, channels) + 1);
        int minImages = (int)Math.Clamp(MinParallelWork / workPerImage, 1, int.MaxValue);
        int imageSize = channels * spatial;
        fixed (float* inputPointer = input, outputPointer = output)
        {
            float* x = inputPointer, y = outputPointer;
            KernelParallel.For(batch, minImages, (first, end) =>
            {
                for (int n = first; n < end; n++)
                {
                    var image = new ReadOnlySpan<float>(x + (nint)n * imageSize, imageSize);
                    var sums = new Span<float>(y + (nint)n * imageSize, imageSize);
                    for (int c = 0; c < channels; c++)
                    {
                        int low = Math.Max(0, c - before), high = (int)Math.Min(channels - 1, (long)c + after);
                        var target = sums.Slice(c * spatial, spatial);
                        image.Slice(low * spatial, spatial).CopyTo(target);
                        for (int source = low + 1; source <= high; source++)
                        {
                            TensorPrimitives.Add(target, image.Slice(source * spatial, spatial), target);
                        }
                    }
                }
            });
        }
    }
}
