using System.Numerics;
using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// Per-channel bias kernels on data laid out as [outer, channels, inner]: [N, F] rows have inner = 1,
/// NCHW images have inner = H·W.
/// </summary>
internal static class Bias
{
    /// <summary>Elements per thread below which splitting a memory-bound pass across threads costs more than it saves.</summary>
    private const int MinParallelChunk = 1 << 17;

    /// <summary>output[o, c, i] = input[o, c, i] · scale[c]: a per-channel scale, one pass.</summary>
    public static void Scale(int outer, int channels, int inner, ReadOnlySpan<float> input, ReadOnlySpan<float> scale, Span<float> output)
    {
        CheckLengths(outer, channels, inner, input.Length, scale.Length, output.Length);
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                TensorPrimitives.Multiply(input.Slice(o * channels, channels), scale, output.Slice(o * channels, channels));
                continue;
            }

            for (int c = 0; c < channels; c++)
            {
                int start = (o * channels + c) * inner;
                TensorPrimitives.Multiply(input.Slice(start, inner), scale[c], output.Slice(start, inner));
            }
        }
    }

    /// <summary>
    /// output[o, c, i] = input[o, c, i] · scale[c] + shift[c]: a normalisation layer's per-channel affine map in one pass
    /// (each element rounded after the product and after the sum, as <see cref="Scale"/> then <see cref="Add"/> round it).
    /// With <paramref name="rectify"/> each value then becomes max(value, 0), as <see cref="Activation.Relu"/> computes it,
    /// while its plane is still in the cache: the affine map and the ReLU after it in one pass over memory.
    /// </summary>
    public static void ScaleAdd(
        int outer, int channels, int inner, ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool rectify, Span<float> output)
    {
        CheckLengths(outer, channels, inner, input.Length, scale.Length, output.Length);
        CheckLengths(outer, channels, inner, input.Length, shift.Length, output.Length);
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                int row = o * channels;
                TensorPrimitives.MultiplyAdd(input.Slice(row, channels), scale, shift, output.Slice(row, channels));
                if (rectify)
                {
                    TensorPrimitives.Max(output.Slice(row, channels), 0f, output.Slice(row, channels));
                }

                continue;
            }

            for (int c = 0; c < channels; c++)
            {
                int start = (o * channels + c) * inner;
                ScaleAdd(input.Slice(start, inner), scale[c], shift[c], output.Slice(start, inner));
                if (rectify)
                {
                    TensorPrimitives.Max(output.Slice(start, inner), 0f, output.Slice(start, inner));
                }
            }
        }
    }

    /// <summary>output = input · scale + shift, the product rounded before the sum (never a fused multiply-add).</summary>
    private static void ScaleAdd(ReadOnlySpan<float> input, float scale, float shift, Span<float> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var scales = new Vector<float>(scale);
            var shifts = new Vector<float>(shift);
            for (; i <= input.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                (new Vector<float>(input[i..]) * scales + shifts).CopyTo(output[i..]);
            }
        }

        for (; i < input.Length; i++)
        {
            output[i] = input[i] * scale + shift;
        }
    }

    /// <summary>
    /// result[c] = Σ over o and i of a[o, c, i] · b[o, c, i], always summed in the same order: the gradient of a per-channel
    /// scale without the product ever stored.
    /// </summary>
    public static void SumProductTo(int outer, int channels, int inner, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result)
    {
        CheckLengths(outer, channels, inner, a.Length, result.Length, b.Length);
        result.Clear();
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                int row = o * channels;
                TensorPrimitives.MultiplyAdd(a.Slice(row, channels), b.Slice(row, channels), result, result);
                continue;
            }

            for (int c = 0; c < channels; c++)
            {
                int start = (o * channels + c) * inner;
                result[c] += TensorPrimitives.Dot(a.Slice(start, inner), b.Slice(start, inner));
            }
        }
    }

    /// <summary>output[o, c, i] = input[o, c, i] + bias[c].</summary>
    public static void Add(int outer, int channels, int inner, ReadOnlySpan<float> input, ReadOnlySpan<float> bias, Span<float> output)
    {
        CheckLengths(outer, channels, inner, input.Length, bias.Length, output.Length);
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                int row = o * channels;
                TensorPrimitives.Add(input.Slice(row, channels), bias, output.Slice(row, channels));
            }

            return;
        }

        // Images are independent: split them across threads when the pass is large (memory-bound at batch 1024).
        unsafe
        {
            fixed (float* x = input, b = bias, y = output)
            {
                float* source = x, shift = b, target = y;
                KernelParallel.For(outer, Math.Max(1, MinParallelChunk / Math.Max(1, channels * inner)), (first, end) =>
                {
                    for (int o = first; o < end; o++)
                    {
                        for (int c = 0; c < channels; c++)
                        {
                            long start = ((long)o * channels + c) * inner;
                            TensorPrimitives.Add(new ReadOnlySpan<float>(source + start, inner), shift[c], new Span<float>(target + start, inner));
                        }
                    }
                });
            }
        }
    }

    /// <summary>output[o, c, i] = bias[c]: the adjoint of <see cref="SumTo"/>.</summary>
    public static void Broadcast(int outer, int channels, int inner, ReadOnlySpan<float> bias, Span<float> output)
    {
        CheckLengths(outer, channels, inner, output.Length, bias.Length, output.Length);
        for (int o = 0; o < outer; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                output.Slice((o * channels + c) * inner, inner).Fill(bias[c]);
            }
        }
    }

    /// <summary>biasGradient[c] = Σ over o and i of input[o, c, i], always summed in the same order.</summary>
    public static void SumTo(int outer, int channels, int inner, ReadOnlySpan<float> input, Span<float> biasGradient)
    {
        CheckLengths(outer, channels, inner, input.Length, biasGradient.Length, input.Length);
        biasGradient.Clear();
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                TensorPrimitives.Add(biasGradient, input.Slice(o * channels, channels), biasGradient);
                continue;
            }

            for (int c = 0; c < channels; c++)
            {
                biasGradient[c] += TensorPrimitives.Sum(input.Slice((o * channels + c) * inner, inner));
            }
        }
    }

    private static void CheckLengths(int outer, int channels, int inner, int dataLength, int biasLength, int outputLength)
    {
        long expected = (long)outer * channels * inner;
        if (outer < 0 || channels < 0 || inner < 0 || dataLength != expected || outputLength != expected || biasLength != channels)
        {
            throw new ArgumentException(
                $"Bias over [outer={outer}, channels={channels}, inner={inner}] needs data of {expected} and a bias of {channels} elements, " +
                $"but got data {dataLength}, bias {biasLength}, output {outputLength}.");
        }
    }
}
