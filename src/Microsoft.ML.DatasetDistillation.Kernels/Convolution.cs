using System.Buffers;
using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation, as in PyTorch) over NCHW data with weights [O, C, KH, KW], stride and
/// zero padding from <see cref="Conv2dGeometry"/>, no bias. The three kernels are each other's adjoints, so
/// every backward rule (including second-order ones) is written with them:
/// <see cref="Forward"/> is y = W ⋆ x, <see cref="BackwardInput"/> is the transposed convolution Wᵀ ⋆ dy and
/// <see cref="BackwardWeights"/> is dW = Σ_batch dy ⋆ x.
/// </summary>
/// <remarks>
/// All three run as register-blocked products with an im2col matrix (see <see cref="ConvLayout"/>). At stride 1
/// that matrix is never built: its rows are shifted views of the zero-padded image. Other strides unfold the
/// image explicitly (slower: a scalar copy per element). <see cref="BackwardInput"/> is the exact adjoint of the
/// same product, so it never multiplies padding. Results are bit-identical for any
/// <see cref="KernelParallel.MaxThreads"/>: images are independent in the first two kernels, and the batch sum
/// of the third runs over chunks and groups fixed by the geometry alone, added in group order.
/// </remarks>
internal static unsafe class Convolution
{
    /// <summary>Multiply-adds a thread must get before a second one pays for its hand-off (≈15 µs of work).</summary>
    private const long MinParallelWork = 1L << 20;

    /// <summary>
    /// Floats of a weight-gradient chunk's working set per micro-kernel call (six gradient rows and two source
    /// rows per image) that fit in L1 next to the rest: more images per chunk amortise the final lane sums,
    /// but spilling to L2 costs more (measured: one image for LeNet conv1, about seven for conv2).
    /// </summary>
    private const int TileFloatsInL1 = 8192;

    /// <summary>Fixed partial sums of the weight gradient; enough for even work on up to this many threads.</summary>
    private const int MaxGroups = 16;

    /// <summary>
    /// Overwrites <paramref name="output"/> [N, O, OH, OW] with the convolution of <paramref name="input"/> [N, C, H, W]
    /// by <paramref name="weights"/> [O, C, KH, KW] plus <paramref name="bias"/>[o] on output channel o (none when empty),
    /// added as each output row is written: the bits of the convolution and then the bias, in one pass.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive, a padding is negative, the kernel is larger than the padded input, or a span length does not match the geometry.</exception>
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output)
    {
        Validate(g, input.Length, "input", weights.Length, "weights", output.Length, "output");
        if (!bias.IsEmpty)
        {
            ConvArgumentChecks.Length(bias.Length, "bias", ("O", g.OutChannels));
        }

        var layout = ConvLayout.For(g);
        int outChannels = g.OutChannels, reduction = layout.Reduction, columns = layout.Columns, sourceLength = layout.SourceLength;
        int inputSize = layout.InputImageSize, outputSize = outChannels * layout.OutputPlaneSize;
        int productLength = checked(outChannels * columns);

        float[] packed = ArrayPool<float>.Shared.Rent(outChannels * reduction);
        ConvOffsetGemm.PackRows(weights, outChannels, reduction, packed);
        int[] offsets = ArrayPool<int>.Shared.Rent(reduction);
        layout.FillOffsets(offsets);
        int biasLength = bias.Length;
        fixed (float* inputPointer = input, outputPointer = output, packedPointer = packed, biasPointer = bias)
        fixed (int* offsetsPointer = offsets)
        {
            // Lambdas cannot capture fixed locals; the spans stay pinned until For returns.
            float* x = inputPointer, y = outputPointer, a = packedPointer, b = biasPointer;
            int* rowOffsets = offsetsPointer;
            KernelParallel.For(g.Batch, ImagesPerThread((long)outChannels * reduction * columns), (first, end) =>
            {
                float[] source = ArrayPool<float>.Shared.Rent(sourceLength);
                float[] product = ArrayPool<float>.Shared.Rent(productLength);
                Array.Clear(source, 0, sourceLength); // padding must be zero
                fixed (float* sourcePointer = source, productPointer = product)
                {
                    for (int n = first; n < end; n++)
                    {
                        layout.LoadSource(new ReadOnlySpan<float>(x + (nint)n * inputSize, inputSize), source.AsSpan(0, sourceLength));
                        ConvOffsetGemm.Multiply(a, outChannels, reduction, sourcePointer, rowOffsets, columns, productPointer, columns, accumulate: false);
                        layout.FromColumns(product, outChannels, new ReadOnlySpan<float>(b, biasLength), new Span<float>(y + (nint)n * outputSize, outputSize));
                    }
                }

                ArrayPool<float>.Shared.Return(source);
                ArrayPool<float>.Shared.Return(product);
            });
        }

        ArrayPool<float>.Shared.Return(packed);
        ArrayPool<int>.Shared.Return(offsets);
    }

    /// <summary>
    /// Overwrites <paramref name="inputGradient"/> [N, C, H, W] with the transposed convolution of
    /// <paramref name="outputGradient"/> [N, O, OH, OW] by <paramref name="weights"/> [O, C, KH, KW]: the adjoint of <see cref="Forward"/> in its input.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive, a padding is negative, the kernel is larger than the padded input, or a span length does not match the geometry.</exception>
    public static void BackwardInput(in Conv2dGeometry g, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights, Span<float> inputGradient)
    {
        Validate(g, inputGradient.Length, "inputGradient", weights.Length, "weights", outputGradient.Length, "outputGradient");
        var layout = ConvLayout.For(g);

        // The exact adjoint of Forward's product: for each tap t = (kh, kw), source row (c, t) += Σ_o W[o, c, t] · dy[o],
        // then the source buffer maps back to the image. Unlike the transposed convolution written as a convolution
        // of dy padded by K − 1 − pad with flipped weights, it never multiplies padding: that would be 1.4× the
        // work for LeNet conv2 and measured no faster for LeNet conv1.
        int outChannels = g.OutChannels, inChannels = g.InChannels, taps = g.KernelHeight * g.KernelWidth;
        int columns = layout.Columns, sourceLength = layout.SourceLength, channelStride = layout.ChannelStride;
        int inputSize = layout.InputImageSize, outputSize = outChannels * layout.OutputPlaneSize;
        int tapSize = inChannels * outChannels;
        int rowsLength = checked(outChannels * columns);

        float[] tapWeights = ArrayPool<float>.Shared.Rent(tapSize);
        float[] packed = ArrayPool<float>.Shared.Rent(taps * tapSize);
        for (int t = 0; t < taps; t++)
        {
            for (int c = 0; c < inChannels; c++)
            {
                for (int o = 0; o < outChannels; o++)
                {
                    tapWeights[c * outChannels + o] = weights[(o * inChannels + c) * taps + t];
                }
            }

            ConvOffsetGemm.PackRows(tapWeights, inChannels, outChannels, packed.AsSpan(t * tapSize, tapSize));
        }

        int[] tapOffsets = ArrayPool<int>.Shared.Rent(taps);
        int[] rowOffsets = ArrayPool<int>.Shared.Rent(outChannels);
        layout.FillTapOffsets(tapOffsets);
        for (int o = 0; o < outChannels; o++)
        {
            rowOffsets[o] = o * columns;
        }

        fixed (float* gradientPointer = outputGradient, inputGradientPointer = inputGradient, packedPointer = packed)
        fixed (int* rowOffsetsPointer = rowOffsets)
        {
            float* dy = gradientPointer, dx = inputGradientPointer, a = packedPointer;
            int* gradientRows = rowOffsetsPointer;
            KernelParallel.For(g.Batch, ImagesPerThread((long)taps * tapSize * columns), (first, end) =>
            {
                float[] rows = ArrayPool<float>.Shared.Rent(rowsLength);
                float[] source = ArrayPool<float>.Shared.Rent(sourceLength);
                Array.Clear(rows, 0, rowsLength); // junk columns must stay zero: they would scatter
                fixed (float* rowsPointer = rows, sourcePointer = source)
                {
                    for (int n = first; n < end; n++)
                    {
                        layout.ToColumns(new ReadOnlySpan<float>(dy + (nint)n * outputSize, outputSize), outChannels, rows);
                        Array.Clear(source, 0, sourceLength);
                        for (int t = 0; t < taps; t++)
                        {
                            ConvOffsetGemm.Multiply(
                                a + (nint)t * tapSize, inChannels, outChannels, rowsPointer, gradientRows, columns,
                                sourcePointer + tapOffsets[t], channelStride, accumulate: true);
                        }

                        layout.SourceToImage(source, new Span<float>(dx + (nint)n * inputSize, inputSize));
                    }
                }

                ArrayPool<float>.Shared.Return(rows);
                ArrayPool<float>.Shared.Return(source);
            });
        }

        ArrayPool<float>.Shared.Return(tapWeights);
        ArrayPool<float>.Shared.Return(packed);
        ArrayPool<int>.Shared.Return(tapOffsets);
        ArrayPool<int>.Shared.Return(rowOffsets);
    }

    /// <summary>
    /// Overwrites <paramref name="weightGradient"/> [O, C, KH, KW] with Σ over the batch of the correlation of
    /// <paramref name="outputGradient"/> [N, O, OH, OW] with <paramref name="input"/> [N, C, H, W]: the adjoint of <see cref="Forward"/> in its weights.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive, a padding is negative, the kernel is larger than the padded input, or a span length does not match the geometry.</exception>
    public static void BackwardWeights(in Conv2dGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Span<float> weightGradient)
    {
        Validate(g, input.Length, "input", weightGradient.Length, "weightGradient", outputGradient.Length, "outputGradient");
        var layout = ConvLayout.For(g);
        int batch = g.Batch, outChannels = g.OutChannels, reduction = layout.Reduction;
        int pairedK = reduction + (reduction & 1); // the kernel takes reduction rows two at a time
        int columns = layout.Columns, sourceLength = layout.SourceLength;
        int gradientLength = checked(outChannels * columns);
        int inputSize = layout.InputImageSize, outputSize = outChannels * layout.OutputPlaneSize;

        // The chunking decides the summation order, so it depends on the geometry only, never on threads.
        long workPerImage = (long)outChannels * pairedK * columns;
        int maxChunkImages = Math.Max(1, TileFloatsInL1 / ((ConvOffsetGemm.MaxTileRows + 2) * columns));
        int chunks = (batch + maxChunkImages - 1) / maxChunkImages;
        int chunkImages = (batch + chunks - 1) / chunks; // even chunks, so that groups get even work
        chunks = (batch + chunkImages - 1) / chunkImages;
        int groups = workPerImage * batch < 2 * MinParallelWork ? 1 : Math.Min(chunks, MaxGroups);

        int[] offsets = ArrayPool<int>.Shared.Rent(pairedK);
        layout.FillOffsets(offsets);
        offsets[pairedK - 1] = offsets[reduction - 1]; // a duplicate row whose result is dropped
        int partialLength = outChannels * pairedK;
        float[] partials = ArrayPool<float>.Shared.Rent(groups * partialLength);
        Array.Clear(partials, 0, groups * partialLength);

        fixed (float* inputPointer = input, gradientPointer = outputGradient, partialsPointer = partials)
        fixed (int* offsetsPointer = offsets)
        {
            // Lambdas cannot capture fixed locals; the spans stay pinned until For returns.
            float* x = inputPointer, dy = gradientPointer, sums = partialsPointer;
            int* rowOffsets = offsetsPointer;
            KernelParallel.For(groups, 1, (firstGroup, endGroup) =>
            {
                float[] sources = ArrayPool<float>.Shared.Rent(chunkImages * sourceLength);
                float[] gradients = ArrayPool<float>.Shared.Rent(chunkImages * gradientLength + AlignmentFloats);
                Array.Clear(sources, 0, chunkImages * sourceLength);
                Array.Clear(gradients, 0, chunkImages * gradientLength + AlignmentFloats);
                fixed (float* sourcesPointer = sources, gradientsStart = gradients)
                {
                    // The kernel reads the gradients in 32-byte rows of a 64-byte multiple apart: from a 64-byte
                    // boundary no read straddles two cache lines.
                    float* gradientsPointer = AlignedTo64Bytes(gradientsStart);
                    for (int group = firstGroup; group < endGroup; group++)
                    {
                        int firstChunk = (int)((long)group * chunks / groups), endChunk = (int)((long)(group + 1) * chunks / groups);
                        for (int chunk = firstChunk; chunk < endChunk; chunk++)
                        {
                            int first = chunk * chunkImages, count = Math.Min(chunkImages, batch - first);
                            for (int i = 0; i < count; i++)
                            {
                                int n = first + i;
                                layout.LoadSource(new ReadOnlySpan<float>(x + (nint)n * inputSize, inputSize), sources.AsSpan(i * sourceLength, sourceLength));
                                layout.ToColumns(new ReadOnlySpan<float>(dy + (nint)n * outputSize, outputSize), outChannels, new Span<float>(gradientsPointer + (nint)i * gradientLength, gradientLength));
                            }

                            ConvOffsetGemm.MultiplyTransposed(
                                gradientsPointer, outChannels, columns, gradientLength, sourcesPointer, sourceLength,
                                rowOffsets, pairedK, count, sums + (nint)group * partialLength);
                        }
                    }
                }

                ArrayPool<float>.Shared.Return(sources);
                ArrayPool<float>.Shared.Return(gradients);
            });
        }

        for (int o = 0; o < outChannels; o++)
        {
            var target = weightGradient.Slice(o * reduction, reduction);
            partials.AsSpan(o * pairedK, reduction).CopyTo(target);
            for (int group = 1; group < groups; group++)
            {
                TensorPrimitives.Add(target, partials.AsSpan(group * partialLength + o * pairedK, reduction), target);
            }
        }

        ArrayPool<int>.Shared.Return(offsets);
        ArrayPool<float>.Shared.Return(partials);
    }

    /// <summary>Floats to rent beyond a buffer's length so that <see cref="AlignedTo64Bytes"/> stays inside it.</summary>
    private const int AlignmentFloats = 64 / sizeof(float);

    /// <summary>The first 64-byte boundary at or after <paramref name="pointer"/>, a float pointer of a pinned buffer.</summary>
    private static float* AlignedTo64Bytes(float* pointer) => (float*)(((nint)pointer + 63) & ~(nint)63);

    private static int ImagesPerThread(long workPerImage) => (int)Math.Clamp(MinParallelWork / Math.Max(1, workPerImage), 1, int.MaxValue);

    private static void Validate(
        in Conv2dGeometry g, int inputLength, string inputName, int weightsLength, string weightsName, int outputLength, string outputName)
    {
        const string owner = nameof(Conv2dGeometry);
        ConvArgumentChecks.Positive(g.Batch, nameof(g.Batch), owner);
        ConvArgumentChecks.Positive(g.InChannels, nameof(g.InChannels), owner);
        ConvArgumentChecks.Positive(g.Height, nameof(g.Height), owner);
        ConvArgumentChecks.Positive(g.Width, nameof(g.Width), owner);
        ConvArgumentChecks.Positive(g.OutChannels, nameof(g.OutChannels), owner);
        ConvArgumentChecks.Positive(g.KernelHeight, nameof(g.KernelHeight), owner);
        ConvArgumentChecks.Positive(g.KernelWidth, nameof(g.KernelWidth), owner);
        ConvArgumentChecks.Positive(g.StrideHeight, nameof(g.StrideHeight), owner);
        ConvArgumentChecks.Positive(g.StrideWidth, nameof(g.StrideWidth), owner);
        ConvArgumentChecks.NonNegative(g.PadHeight, nameof(g.PadHeight), owner);
        ConvArgumentChecks.NonNegative(g.PadWidth, nameof(g.PadWidth), owner);
        ConvArgumentChecks.KernelFits(g.KernelHeight, g.Height, g.PadHeight, "height", owner);
        ConvArgumentChecks.KernelFits(g.KernelWidth, g.Width, g.PadWidth, "width", owner);
        ConvArgumentChecks.Length(inputLength, inputName, ("N", g.Batch), ("C", g.InChannels), ("H", g.Height), ("W", g.Width));
        ConvArgumentChecks.Length(weightsLength, weightsName, ("O", g.OutChannels), ("C", g.InChannels), ("KH", g.KernelHeight), ("KW", g.KernelWidth));
        ConvArgumentChecks.Length(outputLength, outputName, ("N", g.Batch), ("O", g.OutChannels), ("OH", g.OutHeight), ("OW", g.OutWidth));
    }
}
