using System.Runtime.Intrinsics;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>A row count known at JIT time, so one generic micro-kernel source compiles to 1…6-row variants.</summary>
internal interface IConvRowCount
{
    /// <summary>The number of rows.</summary>
    static abstract int Value { get; }
}

internal readonly struct ConvRows1 : IConvRowCount { public static int Value => 1; }
internal readonly struct ConvRows2 : IConvRowCount { public static int Value => 2; }
internal readonly struct ConvRows3 : IConvRowCount { public static int Value => 3; }
internal readonly struct ConvRows4 : IConvRowCount { public static int Value => 4; }
internal readonly struct ConvRows5 : IConvRowCount { public static int Value => 5; }
internal readonly struct ConvRows6 : IConvRowCount { public static int Value => 6; }

/// <summary>
/// Register-blocked AVX2/FMA kernels for products whose right operand is an "offset matrix": row k is the
/// contiguous run <c>source[offsets[k] ..]</c>. With offsets into a zero-padded image this is an im2col
/// matrix that is never materialised; with offsets k·columns it is an ordinary row-major matrix.
/// Each kernel is generic over the row count; the <c>if (rows &gt; r)</c> tests are JIT-time constants.
/// Written with <see cref="Vector256"/>: tuned for AVX2 with FMA, correct (but slow) where 256-bit vectors are emulated.
/// </summary>
internal static unsafe class ConvMicroKernels
{
    /// <summary>Columns produced per call by <see cref="Tall{TRows}"/>.</summary>
    public const int TallWidth = 16;

    /// <summary>Columns produced per call by <see cref="Wide{TRows}"/>.</summary>
    public const int WideWidth = 32;

    /// <summary>Columns produced per call by <see cref="SingleRow"/>.</summary>
    public const int SingleRowWidth = 64;

    /// <summary>
    /// y[r, 0..16) (+)= Σ_k a[k·R + r] · source[offsets[k] + 0..16) for R ≤ 6 rows: 12 accumulators at R = 6.
    /// </summary>
    public static void Tall<TRows>(float* a, float* source, int* offsets, int count, float* y, int ldy, bool accumulate)
        where TRows : struct, IConvRowCount
    {
        int rows = TRows.Value;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (accumulate)
        {
            c00 = Vector256.Load(y); c01 = Vector256.Load(y + 8);
            if (rows > 1) { c10 = Vector256.Load(y + ldy); c11 = Vector256.Load(y + ldy + 8); }
            if (rows > 2) { c20 = Vector256.Load(y + 2 * ldy); c21 = Vector256.Load(y + 2 * ldy + 8); }
            if (rows > 3) { c30 = Vector256.Load(y + 3 * ldy); c31 = Vector256.Load(y + 3 * ldy + 8); }
            if (rows > 4) { c40 = Vector256.Load(y + 4 * ldy); c41 = Vector256.Load(y + 4 * ldy + 8); }
            if (rows > 5) { c50 = Vector256.Load(y + 5 * ldy); c51 = Vector256.Load(y + 5 * ldy + 8); }
        }

        for (int k = 0; k < count; k++, a += rows)
        {
            float* b = source + offsets[k];
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var w = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(w, b0, c00); c01 = Vector256.FusedMultiplyAdd(w, b1, c01);
            if (rows > 1) { w = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(w, b0, c10); c11 = Vector256.FusedMultiplyAdd(w, b1, c11); }
            if (rows > 2) { w = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(w, b0, c20); c21 = Vector256.FusedMultiplyAdd(w, b1, c21); }
            if (rows > 3) { w = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(w, b0, c30); c31 = Vector256.FusedMultiplyAdd(w, b1, c31); }
            if (rows > 4) { w = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(w, b0, c40); c41 = Vector256.FusedMultiplyAdd(w, b1, c41); }
            if (rows > 5) { w = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(w, b0, c50); c51 = Vector256.FusedMultiplyAdd(w, b1, c51); }
        }

        c00.Store(y); c01.Store(y + 8);
        if (rows > 1) { c10.Store(y + ldy); c11.Store(y + ldy + 8); }
        if (rows > 2) { c20.Store(y + 2 * ldy); c21.Store(y + 2 * ldy + 8); }
        if (rows > 3) { c30.Store(y + 3 * ldy); c31.Store(y + 3 * ldy + 8); }
        if (rows > 4) { c40.Store(y + 4 * ldy); c41.Store(y + 4 * ldy + 8); }
        if (rows > 5) { c50.Store(y + 5 * ldy); c51.Store(y + 5 * ldy + 8); }
    }

    /// <summary>
    /// y[r, 0..32) (+)= Σ_k a[k·R + r] · source[offsets[k] + 0..32) for R ≤ 3 rows: few rows need wider
    /// tiles to keep enough independent accumulators in flight.
    /// </summary>
    public static void Wide<TRows>(float* a, float* source, int* offsets, int count, float* y, int ldy, bool accumulate)
        where TRows : struct, IConvRowCount
    {
        int rows = TRows.Value;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        if (accumulate)
        {
            c00 = Vector256.Load(y); c01 = Vector256.Load(y + 8); c02 = Vector256.Load(y + 16); c03 = Vector256.Load(y + 24);
            if (rows > 1)
            {
                float* y1 = y + ldy;
                c10 = Vector256.Load(y1); c11 = Vector256.Load(y1 + 8); c12 = Vector256.Load(y1 + 16); c13 = Vector256.Load(y1 + 24);
            }

            if (rows > 2)
            {
                float* y2 = y + 2 * ldy;
                c20 = Vector256.Load(y2); c21 = Vector256.Load(y2 + 8); c22 = Vector256.Load(y2 + 16); c23 = Vector256.Load(y2 + 24);
            }
        }

        for (int k = 0; k < count; k++, a += rows)
        {
            float* b = source + offsets[k];
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var b2 = Vector256.Load(b + 16);
            var b3 = Vector256.Load(b + 24);
            var w = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(w, b0, c00); c01 = Vector256.FusedMultiplyAdd(w, b1, c01);
            c02 = Vector256.FusedMultiplyAdd(w, b2, c02); c03 = Vector256.FusedMultiplyAdd(w, b3, c03);
            if (rows > 1)
            {
                w = Vector256.Create(a[1]);
                c10 = Vector256.FusedMultiplyAdd(w, b0, c10); c11 = Vector256.FusedMultiplyAdd(w, b1, c11);
                c12 = Vector256.FusedMultiplyAdd(w, b2, c12); c13 = Vector256.FusedMultiplyAdd(w, b3, c13);
            }

            if (rows > 2)
            {
                w = Vector256.Create(a[2]);
                c20 = Vector256.FusedMultiplyAdd(w, b0, c20); c21 = Vector256.FusedMultiplyAdd(w, b1, c21);
                c22 = Vector256.FusedMultiplyAdd(w, b2, c22); c23 = Vector256.FusedMultiplyAdd(w, b3, c23);
            }
        }

        c00.Store(y); c01.Store(y + 8); c02.Store(y + 16); c03.Store(y + 24);
        if (rows > 1)
        {
            float* y1 = y + ldy;
            c10.Store(y1); c11.Store(y1 + 8); c12.Store(y1 + 16); c13.Store(y1 + 24);
        }

        if (rows > 2)
        {
            float* y2 = y + 2 * ldy;
            c20.Store(y2); c21.Store(y2 + 8); c22.Store(y2 + 16); c23.Store(y2 + 24);
        }
    }

    /// <summary>
    /// y[0..64) (+)= Σ_k a[k] · source[offsets[k] + 0..64): a single row needs eight accumulators to hide the
    /// FMA latency.
    /// </summary>
    public static void SingleRow(float* a, float* source, int* offsets, int count, float* y, bool accumulate)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        if (accumulate)
        {
            c0 = Vector256.Load(y); c1 = Vector256.Load(y + 8); c2 = Vector256.Load(y + 16); c3 = Vector256.Load(y + 24);
            c4 = Vector256.Load(y + 32); c5 = Vector256.Load(y + 40); c6 = Vector256.Load(y + 48); c7 = Vector256.Load(y + 56);
        }

        for (int k = 0; k < count; k++)
        {
            float* b = source + offsets[k];
            var w = Vector256.Create(a[k]);
            c0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b), c0);
            c1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b + 8), c1);
            c2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b + 16), c2);
            c3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b + 24), c3);
            c4 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b + 32), c4);
            c5 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b + 40), c5);
            c6 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b + 48), c6);
            c7 = Vector256.FusedMultiplyAdd(w, Vector256.Load(b + 56), c7);
        }

        c0.Store(y); c1.Store(y + 8); c2.Store(y + 16); c3.Store(y + 24);
        c4.Store(y + 32); c5.Store(y + 40); c6.Store(y + 48); c7.Store(y + 56);
    }

    /// <summary>
    /// For R ≤ 6 rows r and the two offsets k ∈ {0, 1}:
    /// d[r·ldd + k] += Σ_image Σ_{j &lt; length} g[image·gImageStride + r·ldg + j] · source[image·sourceImageStride + offset_k + j].
    /// The sum runs in 8 lanes over images then j, and is folded to a scalar once per call.
    /// </summary>
    public static void Transposed<TRows>(
        float* g, int ldg, int gImageStride, float* source, int sourceImageStride, int offset0, int offset1,
        int images, int length, float* d, int ldd)
        where TRows : struct, IConvRowCount
    {
        int rows = TRows.Value;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int image = 0; image < images; image++)
        {
            float* g0 = g + (nint)image * gImageStride;
            float* s0 = source + (nint)image * sourceImageStride + offset0;
            float* s1 = source + (nint)image * sourceImageStride + offset1;
            for (int j = 0; j < length; j += 8)
            {
                var b0 = Vector256.Load(s0 + j);
                var b1 = Vector256.Load(s1 + j);
                var x = Vector256.Load(g0 + j);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                if (rows > 1) { x = Vector256.Load(g0 + ldg + j); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11); }
                if (rows > 2) { x = Vector256.Load(g0 + 2 * ldg + j); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21); }
                if (rows > 3) { x = Vector256.Load(g0 + 3 * ldg + j); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31); }
                if (rows > 4) { x = Vector256.Load(g0 + 4 * ldg + j); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41); }
                if (rows > 5) { x = Vector256.Load(g0 + 5 * ldg + j); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51); }
            }
        }

        d[0] += Vector256.Sum(c00); d[1] += Vector256.Sum(c01);
        if (rows > 1) { d[ldd] += Vector256.Sum(c10); d[ldd + 1] += Vector256.Sum(c11); }
        if (rows > 2) { d[2 * ldd] += Vector256.Sum(c20); d[2 * ldd + 1] += Vector256.Sum(c21); }
        if (rows > 3) { d[3 * ldd] += Vector256.Sum(c30); d[3 * ldd + 1] += Vector256.Sum(c31); }
        if (rows > 4) { d[4 * ldd] += Vector256.Sum(c40); d[4 * ldd + 1] += Vector256.Sum(c41); }
        if (rows > 5) { d[5 * ldd] += Vector256.Sum(c50); d[5 * ldd + 1] += Vector256.Sum(c51); }
    }
}
