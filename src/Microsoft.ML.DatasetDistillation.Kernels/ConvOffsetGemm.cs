namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// Matrix products whose im2col operand is an offset matrix (row p is <c>source[offsets[p] ..]</c>), tiled
/// over the micro-kernels of <see cref="ConvMicroKernels"/>. Rows are cut into tiles of up to six.
/// </summary>
internal static unsafe class ConvOffsetGemm
{
    /// <summary>The most rows a micro-kernel tile has.</summary>
    public const int MaxTileRows = 6;

    /// <summary>
    /// Packs row-major a[m, k] tile by tile for <see cref="Multiply"/>: the tile of R rows starting at row r0
    /// is stored from r0·k on as [k][R], so the kernel reads its R weights per step contiguously.
    /// </summary>
    public static void PackRows(ReadOnlySpan<float> a, int m, int k, Span<float> packed)
    {
        for (int r0 = 0; r0 < m; r0 += MaxTileRows)
        {
            int rows = Math.Min(MaxTileRows, m - r0);
            var tile = packed.Slice(r0 * k, rows * k);
            for (int r = 0; r < rows; r++)
            {
                var row = a.Slice((r0 + r) * k, k);
                for (int p = 0; p < k; p++)
                {
                    tile[p * rows + r] = row[p];
                }
            }
        }
    }

    /// <summary>
    /// y[i·ldy + j] (+)= Σ_p A[i, p] · source[offsets[p] + j] for i &lt; m and j &lt; columns (a multiple of
    /// <see cref="ConvMicroKernels.ColumnQuantum"/>), with A [m, k] packed by <see cref="PackRows"/>.
    /// </summary>
    public static void Multiply(float* packed, int m, int k, float* source, int* offsets, int columns, float* y, int ldy, bool accumulate)
    {
        for (int r0 = 0; r0 < m; r0 += MaxTileRows)
        {
            int rows = Math.Min(MaxTileRows, m - r0);
            float* a = packed + (nint)r0 * k;
            float* yTile = y + (nint)r0 * ldy;
            switch (rows)
            {
                case 1: RowTile<ConvRows1>(a, source, offsets, k, columns, yTile, ldy, accumulate); break;
                case 2: RowTile<ConvRows2>(a, source, offsets, k, columns, yTile, ldy, accumulate); break;
                case 3: RowTile<ConvRows3>(a, source, offsets, k, columns, yTile, ldy, accumulate); break;
                case 4: RowTile<ConvRows4>(a, source, offsets, k, columns, yTile, ldy, accumulate); break;
                case 5: RowTile<ConvRows5>(a, source, offsets, k, columns, yTile, ldy, accumulate); break;
                default: RowTile<ConvRows6>(a, source, offsets, k, columns, yTile, ldy, accumulate); break;
            }
        }
    }

    /// <summary>
    /// d[i, p] += Σ_image Σ_{j &lt; columns} g[image][i, j] · source[image][offsets[p] + j] for i &lt; m and
    /// p &lt; pairedK (even; d has row stride pairedK). g images are [m, columns] planes gImageStride apart,
    /// source images sourceImageStride apart. Each d element gets one rounded sum per call.
    /// </summary>
    public static void MultiplyTransposed(
        float* g, int m, int columns, int gImageStride, float* source, int sourceImageStride,
        int* offsets, int pairedK, int images, float* d)
    {
        for (int r0 = 0; r0 < m; r0 += MaxTileRows)
        {
            int rows = Math.Min(MaxTileRows, m - r0);
            float* gTile = g + (nint)r0 * columns;
            float* dTile = d + (nint)r0 * pairedK;
            switch (rows)
            {
                case 1: TransposedTile<ConvRows1>(gTile, columns, gImageStride, source, sourceImageStride, offsets, pairedK, images, dTile); break;
                case 2: TransposedTile<ConvRows2>(gTile, columns, gImageStride, source, sourceImageStride, offsets, pairedK, images, dTile); break;
                case 3: TransposedTile<ConvRows3>(gTile, columns, gImageStride, source, sourceImageStride, offsets, pairedK, images, dTile); break;
                case 4: TransposedTile<ConvRows4>(gTile, columns, gImageStride, source, sourceImageStride, offsets, pairedK, images, dTile); break;
                case 5: TransposedTile<ConvRows5>(gTile, columns, gImageStride, source, sourceImageStride, offsets, pairedK, images, dTile); break;
                default: TransposedTile<ConvRows6>(gTile, columns, gImageStride, source, sourceImageStride, offsets, pairedK, images, dTile); break;
            }
        }
    }

    private static void RowTile<TRows>(float* a, float* source, int* offsets, int count, int columns, float* y, int ldy, bool accumulate)
        where TRows : struct, IConvRowCount
    {
        if (ConvMicroKernels.Use512)
        {
            RowTile<TRows, Lanes512>(a, source, offsets, count, columns, y, ldy, accumulate);
        }
        else
        {
            RowTile<TRows, Lanes256>(a, source, offsets, count, columns, y, ldy, accumulate);
        }
    }

    /// <summary>
    /// Every output element is one sum over k in one lane, whatever tile computes it, so the choice of tiles (and of
    /// 256- or 512-bit lanes) never changes the result.
    /// </summary>
    private static void RowTile<TRows, TLanes>(float* a, float* source, int* offsets, int count, int columns, float* y, int ldy, bool accumulate)
        where TRows : struct, IConvRowCount
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int j = 0, lanes = TLanes.Count;
        if (TRows.Value == 1)
        {
            for (; j + 8 * lanes <= columns; j += 8 * lanes)
            {
                ConvMicroKernels.SingleRow<TLanes>(a, source + j, offsets, count, y + j, accumulate);
            }
        }

        if (TRows.Value <= 3)
        {
            for (; j + 4 * lanes <= columns; j += 4 * lanes)
            {
                ConvMicroKernels.Wide<TRows, TLanes>(a, source + j, offsets, count, y + j, ldy, accumulate);
            }
        }

        for (; j + 2 * lanes <= columns; j += 2 * lanes)
        {
            ConvMicroKernels.Tall<TRows, TLanes>(a, source + j, offsets, count, y + j, ldy, accumulate);
        }

        // What 512-bit tiles leave: at most one quantum of columns.
        for (; j < columns; j += ConvMicroKernels.ColumnQuantum)
        {
            ConvMicroKernels.Tall<TRows, Lanes256>(a, source + j, offsets, count, y + j, ldy, accumulate);
        }
    }

    private static void TransposedTile<TRows>(
        float* g, int columns, int gImageStride, float* source, int sourceImageStride,
        int* offsets, int pairedK, int images, float* d)
        where TRows : struct, IConvRowCount
    {
        // 512-bit calls take eight offsets in four registers or four in two, 256-bit ones two: pairedK may leave
        // one call of each smaller kind.
        int p = 0;
        if (ConvMicroKernels.Use512)
        {
            for (; p + 8 <= pairedK; p += 8)
            {
                ConvMicroKernels.Transposed<TRows, Lanes512, FourOffsetRegisters>(g, columns, gImageStride, source, sourceImageStride, offsets + p, images, columns, d + p, pairedK);
            }

            for (; p + 4 <= pairedK; p += 4)
            {
                ConvMicroKernels.Transposed<TRows, Lanes512, TwoOffsetRegisters>(g, columns, gImageStride, source, sourceImageStride, offsets + p, images, columns, d + p, pairedK);
            }
        }

        for (; p < pairedK; p += 2)
        {
            ConvMicroKernels.Transposed<TRows, Lanes256, TwoOffsetRegisters>(g, columns, gImageStride, source, sourceImageStride, offsets + p, images, columns, d + p, pairedK);
        }
    }
}
