using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// How one image of a convolution is arranged so that the convolution becomes a product with an offset matrix
/// (see <see cref="ConvMicroKernels"/>): row p = (c, kh, kw) of the im2col matrix is the run
/// <c>source[offset[p] ..]</c>, and output pixel (oh, ow) is column <c>oh·RowStride + ow</c>.
/// <list type="bullet">
/// <item><b>Shifted</b> (stride 1): the source is the zero-padded image itself, planes of
/// (Height + 2·PadHeight) rows of <see cref="RowStride"/> floats, and offset[p] = c·plane + kh·RowStride + kw.
/// No im2col copy; the price is RowStride − OutWidth junk columns per output row, computed and dropped.</item>
/// <item><b>Unfolded</b> (any stride): the source is an explicit im2col matrix [C·KH·KW, Columns].</item>
/// </list>
/// Columns is rounded up to whole micro-kernel tiles; the extra columns are junk too.
/// </summary>
internal readonly struct ConvLayout
{
    private readonly Conv2dGeometry geometry;

    private ConvLayout(in Conv2dGeometry g, bool unfolded)
    {
        // Checked: the micro-kernels index raw pointers with these sizes, so an overflow must not slip through.
        checked
        {
            geometry = g;
            Unfolded = unfolded;
            int outHeight = g.OutHeight;
            int outWidth = g.OutWidth;
            if (unfolded)
            {
                RowStride = outWidth;
                Columns = RoundUp(outHeight * outWidth, ConvMicroKernels.ColumnQuantum);
                SourceLength = g.InChannels * g.KernelHeight * g.KernelWidth * Columns;
            }
            else
            {
                // The right padding of one row doubles as the left padding of the next; a row must still hold
                // a whole output row when the padding is wider than the kernel.
                RowStride = Math.Max(g.Width + g.PadWidth, outWidth);
                PlaneSize = (g.Height + 2 * g.PadHeight) * RowStride;
                Columns = RoundUp(outHeight * RowStride, ConvMicroKernels.ColumnQuantum);
                int lastOffset = (g.InChannels - 1) * PlaneSize + (g.KernelHeight - 1) * RowStride + g.KernelWidth - 1;
                SourceLength = lastOffset + Columns;
            }
        }
    }

    /// <summary>True for the explicit im2col layout, false for the shifted padded-image layout.</summary>
    public bool Unfolded { get; }

    /// <summary>Distance between output rows in the computed columns.</summary>
    public int RowStride { get; }

    /// <summary>Computed columns per output channel: a whole number of micro-kernel tiles.</summary>
    public int Columns { get; }

    /// <summary>Floats in one image's source buffer.</summary>
    public int SourceLength { get; }

    /// <summary>Floats in one padded input plane (shifted layout only).</summary>
    private int PlaneSize { get; }

    /// <summary>Length of the reduction: InChannels · KernelHeight · KernelWidth.</summary>
    public int Reduction => geometry.InChannels * geometry.KernelHeight * geometry.KernelWidth;

    /// <summary>Floats in one input image.</summary>
    public int InputImageSize => geometry.InChannels * geometry.Height * geometry.Width;

    /// <summary>Floats in one output plane.</summary>
    public int OutputPlaneSize => geometry.OutHeight * geometry.OutWidth;

    /// <summary>The shifted layout for stride 1, where it needs no copy beyond padding; else the unfolded one.</summary>
    public static ConvLayout For(in Conv2dGeometry g) =>
        new(g, unfolded: g.StrideHeight != 1 || g.StrideWidth != 1);

    /// <summary>Distance in the source buffer between the im2col rows of consecutive input channels.</summary>
    public int ChannelStride => Unfolded ? geometry.KernelHeight * geometry.KernelWidth * Columns : PlaneSize;

    /// <summary>
    /// Writes the start of im2col row (0, kh, kw) for each tap t = kh·KW + kw; row (c, kh, kw) starts
    /// <see cref="ChannelStride"/>·c further on.
    /// </summary>
    public void FillTapOffsets(Span<int> offsets)
    {
        int kernelWidth = geometry.KernelWidth;
        for (int t = 0; t < geometry.KernelHeight * kernelWidth; t++)
        {
            offsets[t] = Unfolded ? t * Columns : t / kernelWidth * RowStride + t % kernelWidth;
        }
    }

    /// <summary>Writes the start of each im2col row p = (c, kh, kw) in the source buffer.</summary>
    public void FillOffsets(Span<int> offsets)
    {
        int taps = geometry.KernelHeight * geometry.KernelWidth;
        FillTapOffsets(offsets[..taps]);
        for (int p = taps; p < Reduction; p++)
        {
            offsets[p] = offsets[p - taps] + ChannelStride;
        }
    }

    /// <summary>
    /// Writes the source buffer of one image. The buffer must have been cleared once: only positions that
    /// depend on the image are written, so padding and junk columns stay zero across images.
    /// </summary>
    public void LoadSource(ReadOnlySpan<float> image, Span<float> source)
    {
        var g = geometry;
        if (!Unfolded)
        {
            for (int c = 0; c < g.InChannels; c++)
            {
                for (int h = 0; h < g.Height; h++)
                {
                    image.Slice((c * g.Height + h) * g.Width, g.Width)
                        .CopyTo(source.Slice(c * PlaneSize + (h + g.PadHeight) * RowStride + g.PadWidth));
                }
            }

            return;
        }

        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        int p = 0;
        for (int c = 0; c < g.InChannels; c++)
        {
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int kw = 0; kw < g.KernelWidth; kw++, p++)
                {
                    var row = source.Slice(p * Columns, outHeight * outWidth);
                    var (first, end) = ValidOutputColumns(kw);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        var target = row.Slice(oh * outWidth, outWidth);
                        int ih = oh * g.StrideHeight - g.PadHeight + kh;
                        if ((uint)ih >= (uint)g.Height)
                        {
                            target.Clear();
                            continue;
                        }

                        var line = image.Slice((c * g.Height + ih) * g.Width, g.Width);
                        target[..first].Clear();
                        target[end..].Clear();
                        for (int ow = first, iw = first * g.StrideWidth - g.PadWidth + kw; ow < end; ow++, iw += g.StrideWidth)
                        {
                            target[ow] = line[iw];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Overwrites the image with the adjoint of <see cref="LoadSource"/> applied to a source buffer: the data
    /// positions of the padded image (shifted), or the col2im sum of the im2col matrix (unfolded).
    /// </summary>
    public void SourceToImage(ReadOnlySpan<float> source, Span<float> image)
    {
        var g = geometry;
        if (!Unfolded)
        {
            for (int c = 0; c < g.InChannels; c++)
            {
                for (int h = 0; h < g.Height; h++)
                {
                    source.Slice(c * PlaneSize + (h + g.PadHeight) * RowStride + g.PadWidth, g.Width)
                        .CopyTo(image.Slice((c * g.Height + h) * g.Width));
                }
            }

            return;
        }

        int outHeight = g.OutHeight, outWidth = g.OutWidth;
        image.Clear();
        int p = 0;
        for (int c = 0; c < g.InChannels; c++)
        {
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int kw = 0; kw < g.KernelWidth; kw++, p++)
                {
                    var row = source.Slice(p * Columns, outHeight * outWidth);
                    var (first, end) = ValidOutputColumns(kw);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        int ih = oh * g.StrideHeight - g.PadHeight + kh;
                        if ((uint)ih >= (uint)g.Height)
                        {
                            continue;
                        }

                        var line = image.Slice((c * g.Height + ih) * g.Width, g.Width);
                        var from = row.Slice(oh * outWidth, outWidth);
                        for (int ow = first, iw = first * g.StrideWidth - g.PadWidth + kw; ow < end; ow++, iw += g.StrideWidth)
                        {
                            line[iw] += from[ow];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Copies dense planes [planes, OutHeight, OutWidth] into rows of <see cref="Columns"/> (junk columns untouched).</summary>
    public void ToColumns(ReadOnlySpan<float> dense, int planes, Span<float> columns)
    {
        int outHeight = geometry.OutHeight, outWidth = geometry.OutWidth;
        for (int i = 0; i < planes; i++)
        {
            for (int oh = 0; oh < outHeight; oh++)
            {
                dense.Slice((i * outHeight + oh) * outWidth, outWidth)
                    .CopyTo(columns.Slice(i * Columns + oh * RowStride));
            }
        }
    }

    /// <summary>
    /// Copies the valid columns of rows of <see cref="Columns"/> into dense planes [planes, OutHeight, OutWidth], adding
    /// bias[i] to plane i when a bias is given (one rounding, as adding it afterwards would).
    /// </summary>
    public void FromColumns(ReadOnlySpan<float> columns, int planes, ReadOnlySpan<float> bias, Span<float> dense)
    {
        int outHeight = geometry.OutHeight, outWidth = geometry.OutWidth;
        for (int i = 0; i < planes; i++)
        {
            for (int oh = 0; oh < outHeight; oh++)
            {
                var row = columns.Slice(i * Columns + oh * RowStride, outWidth);
                var target = dense.Slice((i * outHeight + oh) * outWidth, outWidth);
                if (bias.IsEmpty)
                {
                    row.CopyTo(target);
                }
                else
                {
                    TensorPrimitives.Add(row, bias[i], target);
                }
            }
        }
    }

    /// <summary>The output columns [first, end) whose tap <paramref name="kw"/> reads the image, not its padding.</summary>
    private (int First, int End) ValidOutputColumns(int kw)
    {
        var g = geometry;
        int lowest = g.PadWidth - kw; // ow · stride ≥ lowest
        int highest = g.Width - 1 + g.PadWidth - kw; // ow · stride ≤ highest
        int first = lowest <= 0 ? 0 : (lowest + g.StrideWidth - 1) / g.StrideWidth;
        int end = highest < 0 ? 0 : Math.Min(g.OutWidth, highest / g.StrideWidth + 1);
        return (Math.Min(first, end), end);
    }

    private static int RoundUp(int value, int multiple) => checked(value + multiple - 1) / multiple * multiple;
}
