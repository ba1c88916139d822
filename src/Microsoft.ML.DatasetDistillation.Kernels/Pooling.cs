using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// Max and average 2-D pooling over NCHW data with the sizes of <see cref="Pool2dGeometry"/>, and their adjoints.
/// Planes (one image, one channel) are independent, so threads split planes and results never depend on
/// <see cref="KernelParallel.MaxThreads"/>. Padding must be at most half the kernel (as in PyTorch), so every
/// window holds at least one input element.
/// </summary>
internal static unsafe class Pooling
{
    /// <summary>Window elements a thread must visit before a second thread pays for its hand-off (≈50 µs).</summary>
    private const long MinParallelWork = 1L << 16;

    /// <summary>Largest gather table (taps · outputs per plane) worth building per call; bigger windows stay scalar.</summary>
    private const int MaxTapTable = 1 << 18;

    /// <summary>
    /// Overwrites <paramref name="output"/> [N, C, OH, OW] with the window maxima of <paramref name="input"/>
    /// [N, C, H, W], padding counting as −∞, and <paramref name="argmax"/> with the flat index into
    /// <paramref name="input"/> of each chosen element: the first maximum in row-major window order, or the first
    /// NaN, which wins as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a span length does not match it.</exception>
    public static void MaxForward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output, Span<int> argmax)
    {
        Validate(g, input.Length, "input", output.Length, "output");
        ConvArgumentChecks.Length(argmax.Length, "argmax", ("N", g.Batch), ("C", g.Channels), ("OH", g.OutHeight), ("OW", g.OutWidth));
        var geometry = g;
        int outputsPerPlane = g.OutHeight * g.OutWidth;
        bool pairs = Avx2.IsSupported && IsPairs(g) && g.OutWidth >= Vector256<float>.Count;
        bool gathered = !pairs && Avx2.IsSupported && outputsPerPlane >= Vector256<float>.Count
            && (long)g.KernelHeight * g.KernelWidth * outputsPerPlane <= MaxTapTable;
        int[]? taps = gathered ? TapTable(g) : null;
        fixed (float* inputPointer = input, outputPointer = output)
        fixed (int* argmaxPointer = argmax, tapsPointer = taps)
        {
            float* x = inputPointer, y = outputPointer;
            int* indices = argmaxPointer, table = tapsPointer;
            int tapCount = g.KernelHeight * g.KernelWidth;
            ForEachPlane(geometry, (inputStart, outputStart) =>
            {
                if (pairs)
                {
                    MaxPlanePairs(geometry, x + inputStart, (int)inputStart, y + outputStart, indices + outputStart);
                }
                else if (gathered)
                {
                    MaxPlaneGathered(table, tapCount, outputsPerPlane, x + inputStart, (int)inputStart, y + outputStart, indices + outputStart);
                }
                else
                {
                    MaxPlane(geometry, x + inputStart, (int)inputStart, y + outputStart, indices + outputStart);
                }
            });
        }

        if (taps is not null)
        {
            ArrayPool<int>.Shared.Return(taps);
        }
    }

    /// <summary>
    /// Overwrites <paramref name="inputGradient"/> [N, C, H, W] with zeros, then adds each element of
    /// <paramref name="outputGradient"/> [N, C, OH, OW] at its <paramref name="argmax"/> index, so overlapping windows add.
    /// </summary>
    /// <exception cref="ArgumentException">The geometry is invalid, a span length does not match it, or an argmax index lies outside its own plane.</exception>
    public static void MaxBackward(in Pool2dGeometry g, ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, Span<float> inputGradient)
    {
        Validate(g, inputGradient.Length, "inputGradient", outputGradient.Length, "outputGradient");
        ConvArgumentChecks.Length(argmax.Length, "argmax", ("N", g.Batch), ("C", g.Channels), ("OH", g.OutHeight), ("OW", g.OutWidth));
        var geometry = g;
        int inputPlane = g.Height * g.Width, outputPlane = g.OutHeight * g.OutWidth;
        long firstBad = long.MaxValue;
        fixed (float* gradientPointer = outputGradient, inputGradientPointer = inputGradient)
        fixed (int* argmaxPointer = argmax)
        {
            float* dy = gradientPointer, dx = inputGradientPointer;
            int* indices = argmaxPointer;
            ForEachPlane(geometry, (inputStart, outputStart) =>
            {
                // Each plane scatters only into itself, which keeps threads apart; a foreign index is an error.
                var target = new Span<float>(dx + inputStart, inputPlane);
                target.Clear();
                for (int i = 0; i < outputPlane; i++)
                {
                    long local = indices[outputStart + i] - inputStart;
                    if ((ulong)local >= (ulong)inputPlane)
                    {
                        InterlockedMin(ref firstBad, outputStart + i);
                        return;
                    }

                    target[(int)local] += dy[outputStart + i];
                }
            });
        }

        if (firstBad != long.MaxValue)
        {
            int plane = (int)(firstBad / outputPlane);
            throw new ArgumentException(
                $"argmax[{firstBad}] = {argmax[(int)firstBad]} lies outside plane {plane} of the input, indices [{(long)plane * inputPlane}, {(long)(plane + 1) * inputPlane}).");
        }
    }

    /// <summary>
    /// outputShaped[i] = inputShaped[argmax[i]]: the adjoint of the scatter in <see cref="MaxBackward"/>, used for
    /// second-order gradients of max pooling.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths of <paramref name="argmax"/> and <paramref name="outputShaped"/> differ, or an index is outside <paramref name="inputShaped"/>.</exception>
    public static void GatherByArgmax(ReadOnlySpan<float> inputShaped, ReadOnlySpan<int> argmax, Span<float> outputShaped)
    {
        if (argmax.Length != outputShaped.Length)
        {
            throw new ArgumentException($"argmax has {argmax.Length} elements but outputShaped has {outputShaped.Length}; they must match.");
        }

        for (int i = 0; i < argmax.Length; i++)
        {
            int index = argmax[i];
            if ((uint)index >= (uint)inputShaped.Length)
            {
                throw new ArgumentException($"argmax[{i}] = {index} is outside inputShaped, which has {inputShaped.Length} elements.");
            }

            outputShaped[i] = inputShaped[index];
        }
    }

    /// <summary>
    /// Overwrites <paramref name="output"/> [N, C, OH, OW] with window means of <paramref name="input"/> [N, C, H, W]:
    /// the divisor is always KernelHeight·KernelWidth, padding counting as zeros (PyTorch's count_include_pad=True).
    /// </summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a span length does not match it.</exception>
    public static void AverageForward(in Pool2dGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        Validate(g, input.Length, "input", output.Length, "output");
        var geometry = g;
        fixed (float* inputPointer = input, outputPointer = output)
        {
            float* x = inputPointer, y = outputPointer;
            if (IsPairs(geometry))
            {
                ForEachPlane(geometry, (inputStart, outputStart) => AveragePlanePairs(geometry, x + inputStart, y + outputStart));
            }
            else
            {
                ForEachPlane(geometry, (inputStart, outputStart) => AveragePlane(geometry, x + inputStart, y + outputStart));
            }
        }
    }

    /// <summary>
    /// Overwrites <paramref name="inputGradient"/> [N, C, H, W] with the adjoint of <see cref="AverageForward"/>
    /// applied to <paramref name="outputGradient"/> [N, C, OH, OW]: each output gradient, divided by
    /// KernelHeight·KernelWidth, is added to every input element of its window.
    /// </summary>
    /// <exception cref="ArgumentException">The geometry is invalid or a span length does not match it.</exception>
    public static void AverageBackward(in Pool2dGeometry g, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        Validate(g, inputGradient.Length, "inputGradient", outputGradient.Length, "outputGradient");
        var geometry = g;
        fixed (float* gradientPointer = outputGradient, inputGradientPointer = inputGradient)
        {
            float* dy = gradientPointer, dx = inputGradientPointer;
            if (IsPairs(geometry))
            {
                ForEachPlane(geometry, (inputStart, outputStart) => AverageBackwardPlanePairs(geometry, dy + outputStart, dx + inputStart));
            }
            else
            {
                ForEachPlane(geometry, (inputStart, outputStart) => AverageBackwardPlane(geometry, dy + outputStart, dx + inputStart));
            }
        }
    }

    private static void MaxPlane(in Pool2dGeometry g, float* x, int planeStart, float* y, int* indices)
    {
        var (width, outHeight, outWidth) = (g.Width, g.OutHeight, g.OutWidth);
        for (int oh = 0; oh < outHeight; oh++)
        {
            var (hStart, hEnd) = Window(oh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.Height);
            for (int ow = 0; ow < outWidth; ow++)
            {
                var (wStart, wEnd) = Window(ow, g.StrideWidth, g.PadWidth, g.KernelWidth, width);

                // Start from the window's first element rather than the −∞ padding, so argmax always points
                // into the input; a NaN replaces any number and then stays.
                int best = hStart * width + wStart;
                float max = x[best];
                for (int h = hStart; h < hEnd; h++)
                {
                    for (int w = wStart; w < wEnd; w++)
                    {
                        float value = x[h * width + w];
                        if (value > max || (float.IsNaN(value) && !float.IsNaN(max)))
                        {
                            max = value;
                            best = h * width + w;
                        }
                    }
                }

                int o = oh * outWidth + ow;
                y[o] = max;
                indices[o] = planeStart + best;
            }
        }
    }

    /// <summary>
    /// For each window tap t (row-major) and output o of a plane, the in-plane index that tap reads:
    /// table[t·outputs + o]. A tap on padding reads the window's first real element instead, which can never
    /// be strictly greater than the running maximum, so gathering every tap in order gives the scalar result.
    /// </summary>
    private static int[] TapTable(in Pool2dGeometry g)
    {
        int outHeight = g.OutHeight, outWidth = g.OutWidth, outputs = outHeight * outWidth;
        int[] table = ArrayPool<int>.Shared.Rent(g.KernelHeight * g.KernelWidth * outputs);
        for (int oh = 0; oh < outHeight; oh++)
        {
            var (hStart, _) = Window(oh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.Height);
            for (int ow = 0; ow < outWidth; ow++)
            {
                var (wStart, _) = Window(ow, g.StrideWidth, g.PadWidth, g.KernelWidth, g.Width);
                int o = oh * outWidth + ow, t = 0;
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.KernelWidth; kw++, t++)
                    {
                        int h = oh * g.StrideHeight - g.PadHeight + kh, w = ow * g.StrideWidth - g.PadWidth + kw;
                        bool inside = (uint)h < (uint)g.Height && (uint)w < (uint)g.Width;
                        table[t * outputs + o] = inside ? h * g.Width + w : hStart * g.Width + wStart;
                    }
                }
            }
        }

        return table;
    }

    /// <summary>
    /// <see cref="MaxPlane"/> for eight outputs at a time with AVX2 gathers through <see cref="TapTable"/>:
    /// a scalar compare-and-branch on random data mispredicts about once per window.
    /// </summary>
    private static void MaxPlaneGathered(int* table, int taps, int outputs, float* x, int planeStart, float* y, int* indices)
    {
        for (int block = 0; block < outputs; block += Vector256<int>.Count)
        {
            // The last block may overlap the one before: it recomputes the same outputs.
            int o = Math.Min(block, outputs - Vector256<int>.Count);
            var best = Vector256.Load(table + o);
            var max = Avx2.GatherVector256(x, best, sizeof(float));
            for (int t = 1; t < taps; t++)
            {
                var index = Vector256.Load(table + t * outputs + o);
                TakeLarger(ref max, ref best, Avx2.GatherVector256(x, index, sizeof(float)), index);
            }

            max.Store(y + o);
            (best + Vector256.Create(planeStart)).Store(indices + o);
        }
    }

    /// <summary>
    /// <see cref="MaxPlane"/> for 2×2 windows at stride 2 without padding (LeNet's), eight outputs at a time: two input
    /// rows of sixteen elements each are split into even and odd columns, the four taps of eight windows, with no
    /// gathers (four to five times faster than <see cref="MaxPlaneGathered"/> on LeNet's first pooling here).
    /// </summary>
    private static void MaxPlanePairs(in Pool2dGeometry g, float* x, int planeStart, float* y, int* indices)
    {
        int width = g.Width, outWidth = g.OutWidth;
        var evenThenOdd = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var firstTaps = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        for (int oh = 0; oh < g.OutHeight; oh++)
        {
            int rowStart = 2 * oh * width;
            for (int block = 0; block < outWidth; block += Vector256<float>.Count)
            {
                // The last block may overlap the one before: it recomputes the same outputs.
                int ow = Math.Min(block, outWidth - Vector256<float>.Count), first = rowStart + 2 * ow;
                var (topEven, topOdd) = SplitColumns(x + first, evenThenOdd);
                var (bottomEven, bottomOdd) = SplitColumns(x + first + width, evenThenOdd);
                var index = firstTaps + Vector256.Create(first);
                var max = topEven;
                var best = index;
                TakeLarger(ref max, ref best, topOdd, index + Vector256.Create(1));
                TakeLarger(ref max, ref best, bottomEven, index + Vector256.Create(width));
                TakeLarger(ref max, ref best, bottomOdd, index + Vector256.Create(width + 1));
                int o = oh * outWidth + ow;
                max.Store(y + o);
                (best + Vector256.Create(planeStart)).Store(indices + o);
            }
        }
    }

    /// <summary>The even and the odd elements of the sixteen at <paramref name="source"/>, in order.</summary>
    private static (Vector256<float> Even, Vector256<float> Odd) SplitColumns(float* source, Vector256<int> evenThenOdd)
    {
        var low = Avx2.PermuteVar8x32(Avx.LoadVector256(source), evenThenOdd);
        var high = Avx2.PermuteVar8x32(Avx.LoadVector256(source + Vector256<float>.Count), evenThenOdd);
        return (Avx2.Permute2x128(low, high, 0x20), Avx2.Permute2x128(low, high, 0x31));
    }

    /// <summary>Takes <paramref name="value"/> where it is larger than <paramref name="max"/>, or the first NaN, as the scalar loop does.</summary>
    private static void TakeLarger(ref Vector256<float> max, ref Vector256<int> best, Vector256<float> value, Vector256<int> index)
    {
        var take = Vector256.GreaterThan(value, max) | (Vector256.IsNaN(value) & ~Vector256.IsNaN(max));
        max = Vector256.ConditionalSelect(take, value, max);
        best = Vector256.ConditionalSelect(take.AsInt32(), index, best);
    }

    private static void AveragePlane(in Pool2dGeometry g, float* x, float* y)
    {
        var (width, outHeight, outWidth) = (g.Width, g.OutHeight, g.OutWidth);
        float divisor = g.KernelHeight * g.KernelWidth;
        for (int oh = 0; oh < outHeight; oh++)
        {
            var (hStart, hEnd) = Window(oh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.Height);
            for (int ow = 0; ow < outWidth; ow++)
            {
                var (wStart, wEnd) = Window(ow, g.StrideWidth, g.PadWidth, g.KernelWidth, width);
                float sum = 0;
                for (int h = hStart; h < hEnd; h++)
                {
                    for (int w = wStart; w < wEnd; w++)
                    {
                        sum += x[h * width + w];
                    }
                }

                y[oh * outWidth + ow] = sum / divisor;
            }
        }
    }

    /// <summary>Whether the windows are 2×2 at stride 2 without padding (LeNet's and ConvNet's pooling): they tile the input.</summary>
    private static bool IsPairs(in Pool2dGeometry g) =>
        g is { KernelHeight: 2, KernelWidth: 2, StrideHeight: 2, StrideWidth: 2, PadHeight: 0, PadWidth: 0 };

    /// <summary>
    /// <see cref="AveragePlane"/> for 2×2 windows at stride 2 without padding, the four taps added in the same order:
    /// eight outputs at a time where a row has that many (split into even and odd columns as <see cref="MaxPlanePairs"/>
    /// does), the rest one by one.
    /// </summary>
    private static void AveragePlanePairs(in Pool2dGeometry g, float* x, float* y)
    {
        int width = g.Width, outWidth = g.OutWidth;
        bool vectors = Avx2.IsSupported && outWidth >= Vector256<float>.Count;
        var evenThenOdd = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        for (int oh = 0; oh < g.OutHeight; oh++)
        {
            float* top = x + 2 * oh * width, bottom = top + width, output = y + oh * outWidth;
            if (vectors)
            {
                for (int block = 0; block < outWidth; block += Vector256<float>.Count)
                {
                    // The last block may overlap the one before: it recomputes the same outputs.
                    int ow = Math.Min(block, outWidth - Vector256<float>.Count);
                    var (topEven, topOdd) = SplitColumns(top + 2 * ow, evenThenOdd);
                    var (bottomEven, bottomOdd) = SplitColumns(bottom + 2 * ow, evenThenOdd);
                    (((topEven + topOdd) + bottomEven + bottomOdd) / Vector256.Create(4f)).Store(output + ow);
                }

                continue;
            }

            for (int ow = 0; ow < outWidth; ow++)
            {
                output[ow] = (top[2 * ow] + top[2 * ow + 1] + bottom[2 * ow] + bottom[2 * ow + 1]) / 4f;
            }
        }
    }

    /// <summary>
    /// <see cref="AverageBackwardPlane"/> for 2×2 windows at stride 2 without padding: every input element lies in one
    /// window or none (an odd last row or column), so each is written once instead of cleared and then added to.
    /// </summary>
    private static void AverageBackwardPlanePairs(in Pool2dGeometry g, float* dy, float* dx)
    {
        int width = g.Width, outWidth = g.OutWidth;
        bool vectors = Avx2.IsSupported && outWidth >= Vector256<float>.Count;
        var firstHalf = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var secondHalf = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
        for (int oh = 0; oh < g.OutHeight; oh++)
        {
            float* top = dx + 2 * oh * width, bottom = top + width, gradient = dy + oh * outWidth;
            if (vectors)
            {
                for (int block = 0; block < outWidth; block += Vector256<float>.Count)
                {
                    int ow = Math.Min(block, outWidth - Vector256<float>.Count);
                    var share = Avx.LoadVector256(gradient + ow) / Vector256.Create(4f);
                    var low = Avx2.PermuteVar8x32(share, firstHalf);
                    var high = Avx2.PermuteVar8x32(share, secondHalf);
                    low.Store(top + 2 * ow);
                    high.Store(top + 2 * ow + Vector256<float>.Count);
                    low.Store(bottom + 2 * ow);
                    high.Store(bottom + 2 * ow + Vector256<float>.Count);
                }
            }
            else
            {
                for (int ow = 0; ow < outWidth; ow++)
                {
                    float share = gradient[ow] / 4f;
                    top[2 * ow] = top[2 * ow + 1] = bottom[2 * ow] = bottom[2 * ow + 1] = share;
                }
            }

            if (width > 2 * outWidth)
            {
                top[width - 1] = bottom[width - 1] = 0f;
            }
        }

        if (g.Height > 2 * g.OutHeight)
        {
            new Span<float>(dx + (g.Height - 1) * width, width).Clear();
        }
    }

    private static void AverageBackwardPlane(in Pool2dGeometry g, float* dy, float* dx)
    {
        var (width, outHeight, outWidth) = (g.Width, g.OutHeight, g.OutWidth);
        float divisor = g.KernelHeight * g.KernelWidth;
        new Span<float>(dx, g.Height * width).Clear();
        for (int oh = 0; oh < outHeight; oh++)
        {
            var (hStart, hEnd) = Window(oh, g.StrideHeight, g.PadHeight, g.KernelHeight, g.Height);
            for (int ow = 0; ow < outWidth; ow++)
            {
                var (wStart, wEnd) = Window(ow, g.StrideWidth, g.PadWidth, g.KernelWidth, width);
                float share = dy[oh * outWidth + ow] / divisor;
                for (int h = hStart; h < hEnd; h++)
                {
                    for (int w = wStart; w < wEnd; w++)
                    {
                        dx[h * width + w] += share;
                    }
                }
            }
        }
    }

    /// <summary>The input rows (or columns) [start, end) that window <paramref name="o"/> covers, padding cut off.</summary>
    private static (int Start, int End) Window(int o, int stride, int pad, int kernel, int size)
    {
        int start = o * stride - pad;
        return (Math.Max(start, 0), Math.Min(start + kernel, size));
    }

    /// <summary>Runs <paramref name="body"/>(input offset, output offset) for every plane, split over threads.</summary>
    private static void ForEachPlane(Pool2dGeometry g, Action<long, long> body)
    {
        int planes = g.Batch * g.Channels;
        long inputPlane = (long)g.Height * g.Width, outputPlane = (long)g.OutHeight * g.OutWidth;
        long workPerPlane = Math.Max(inputPlane, outputPlane * g.KernelHeight * g.KernelWidth);
        int minPlanes = (int)Math.Clamp(MinParallelWork / workPerPlane, 1, int.MaxValue);
        KernelParallel.For(planes, minPlanes, (first, end) =>
        {
            for (int plane = first; plane < end; plane++)
            {
                body(plane * inputPlane, plane * outputPlane);
            }
        });
    }

    private static void InterlockedMin(ref long location, long value)
    {
        long current = Volatile.Read(ref location);
        while (value < current)
        {
            long seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static void Validate(in Pool2dGeometry g, int inputLength, string inputName, int outputLength, string outputName)
    {
        const string owner = nameof(Pool2dGeometry);
        ConvArgumentChecks.Positive(g.Batch, nameof(g.Batch), owner);
        ConvArgumentChecks.Positive(g.Channels, nameof(g.Channels), owner);
        ConvArgumentChecks.Positive(g.Height, nameof(g.Height), owner);
        ConvArgumentChecks.Positive(g.Width, nameof(g.Width), owner);
        ConvArgumentChecks.Positive(g.KernelHeight, nameof(g.KernelHeight), owner);
        ConvArgumentChecks.Positive(g.KernelWidth, nameof(g.KernelWidth), owner);
        ConvArgumentChecks.Positive(g.StrideHeight, nameof(g.StrideHeight), owner);
        ConvArgumentChecks.Positive(g.StrideWidth, nameof(g.StrideWidth), owner);
        ConvArgumentChecks.NonNegative(g.PadHeight, nameof(g.PadHeight), owner);
        ConvArgumentChecks.NonNegative(g.PadWidth, nameof(g.PadWidth), owner);
        if (2 * g.PadHeight > g.KernelHeight || 2 * g.PadWidth > g.KernelWidth)
        {
            throw new ArgumentException(
                $"{owner} padding {g.PadHeight}×{g.PadWidth} is more than half the kernel {g.KernelHeight}×{g.KernelWidth}; windows would hold only padding.");
        }

        ConvArgumentChecks.KernelFits(g.KernelHeight, g.Height, g.PadHeight, "height", owner);
        ConvArgumentChecks.KernelFits(g.KernelWidth, g.Width, g.PadWidth, "width", owner);
        ConvArgumentChecks.Length(inputLength, inputName, ("N", g.Batch), ("C", g.Channels), ("H", g.Height), ("W", g.Width));
        ConvArgumentChecks.Length(outputLength, outputName, ("N", g.Batch), ("C", g.Channels), ("OH", g.OutHeight), ("OW", g.OutWidth));
    }
}
