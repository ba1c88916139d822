using System.Runtime.CompilerServices;
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
/// Registers of offsets a weight-gradient tile holds per row, known at JIT time: two everywhere, four only with 512-bit
/// lanes, whose 32 registers hold the 24 accumulators (with fewer loads per multiply-add than two registers' 12).
/// </summary>
internal interface IOffsetRegisters
{
    /// <summary>The number of registers.</summary>
    static abstract int Value { get; }
}

internal readonly struct TwoOffsetRegisters : IOffsetRegisters { public static int Value => 2; }
internal readonly struct FourOffsetRegisters : IOffsetRegisters { public static int Value => 4; }

/// <summary>
/// Register-blocked kernels for products whose right operand is an "offset matrix": row k is the
/// contiguous run <c>source[offsets[k] ..]</c>. With offsets into a zero-padded image this is an im2col
/// matrix that is never materialised; with offsets k·columns it is an ordinary row-major matrix.
/// Each kernel is generic over the row count; the <c>if (rows &gt; r)</c> tests are JIT-time constants.
/// The kernels are generic over the register width too (<see cref="IFloatLanes{TSelf}"/>): 512-bit where
/// <see cref="Use512"/> (twice the work per instruction on cores with full-width units), else 256-bit AVX2
/// with FMA. Every output is one sum in one lane in a fixed order, so both widths give the same bits; the weight-gradient
/// kernel keeps its 8-lane sums at either width for the same reason.
/// Kernels are compiled fully optimised at once: their unoptimised tiers cost whole percents of a short run.
/// </summary>
internal static unsafe class ConvMicroKernels
{
    /// <summary>
    /// True where the 512-bit kernels run: the JIT accelerates <see cref="Vector512"/> only with the whole AVX-512
    /// base set (F, BW, CD, DQ, VL, so <see cref="Lanes512"/>'s instructions exist) and not on cores that
    /// slow down for it. A JIT-time constant.
    /// </summary>
    public static bool Use512 => Vector512.IsHardwareAccelerated;

    /// <summary>Computed columns come in multiples of this: the width of the narrowest tile, <see cref="Tall{TRows, TLanes}"/> with 256-bit lanes.</summary>
    public const int ColumnQuantum = 16;

    /// <summary>
    /// y[r, 0..2L) (+)= Σ_k a[k·R + r] · source[offsets[k] + 0..2L) for R ≤ 6 rows and L = <typeparamref name="TLanes"/>'s
    /// lane count: 12 accumulators at R = 6.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tall<TRows, TLanes>(float* a, float* source, int* offsets, int count, float* y, int ldy, bool accumulate)
        where TRows : struct, IConvRowCount
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int rows = TRows.Value, l = TLanes.Count;
        TLanes c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TLanes c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (accumulate)
        {
            c00 = TLanes.Load(y); c01 = TLanes.Load(y + l);
            if (rows > 1) { c10 = TLanes.Load(y + ldy); c11 = TLanes.Load(y + ldy + l); }
            if (rows > 2) { c20 = TLanes.Load(y + 2 * ldy); c21 = TLanes.Load(y + 2 * ldy + l); }
            if (rows > 3) { c30 = TLanes.Load(y + 3 * ldy); c31 = TLanes.Load(y + 3 * ldy + l); }
            if (rows > 4) { c40 = TLanes.Load(y + 4 * ldy); c41 = TLanes.Load(y + 4 * ldy + l); }
            if (rows > 5) { c50 = TLanes.Load(y + 5 * ldy); c51 = TLanes.Load(y + 5 * ldy + l); }
        }

        for (int k = 0; k < count; k++, a += rows)
        {
            float* b = source + offsets[k];
            var b0 = TLanes.Load(b);
            var b1 = TLanes.Load(b + l);
            var w = TLanes.Broadcast(a[0]);
            c00 = TLanes.MultiplyAdd(w, b0, c00); c01 = TLanes.MultiplyAdd(w, b1, c01);
            if (rows > 1) { w = TLanes.Broadcast(a[1]); c10 = TLanes.MultiplyAdd(w, b0, c10); c11 = TLanes.MultiplyAdd(w, b1, c11); }
            if (rows > 2) { w = TLanes.Broadcast(a[2]); c20 = TLanes.MultiplyAdd(w, b0, c20); c21 = TLanes.MultiplyAdd(w, b1, c21); }
            if (rows > 3) { w = TLanes.Broadcast(a[3]); c30 = TLanes.MultiplyAdd(w, b0, c30); c31 = TLanes.MultiplyAdd(w, b1, c31); }
            if (rows > 4) { w = TLanes.Broadcast(a[4]); c40 = TLanes.MultiplyAdd(w, b0, c40); c41 = TLanes.MultiplyAdd(w, b1, c41); }
            if (rows > 5) { w = TLanes.Broadcast(a[5]); c50 = TLanes.MultiplyAdd(w, b0, c50); c51 = TLanes.MultiplyAdd(w, b1, c51); }
        }

        c00.Store(y); c01.Store(y + l);
        if (rows > 1) { c10.Store(y + ldy); c11.Store(y + ldy + l); }
        if (rows > 2) { c20.Store(y + 2 * ldy); c21.Store(y + 2 * ldy + l); }
        if (rows > 3) { c30.Store(y + 3 * ldy); c31.Store(y + 3 * ldy + l); }
        if (rows > 4) { c40.Store(y + 4 * ldy); c41.Store(y + 4 * ldy + l); }
        if (rows > 5) { c50.Store(y + 5 * ldy); c51.Store(y + 5 * ldy + l); }
    }

    /// <summary>
    /// y[r, 0..4L) (+)= Σ_k a[k·R + r] · source[offsets[k] + 0..4L) for R ≤ 3 rows: few rows need wider
    /// tiles to keep enough independent accumulators in flight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Wide<TRows, TLanes>(float* a, float* source, int* offsets, int count, float* y, int ldy, bool accumulate)
        where TRows : struct, IConvRowCount
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int rows = TRows.Value, l = TLanes.Count;
        TLanes c00 = default, c01 = default, c02 = default, c03 = default;
        TLanes c10 = default, c11 = default, c12 = default, c13 = default;
        TLanes c20 = default, c21 = default, c22 = default, c23 = default;
        if (accumulate)
        {
            c00 = TLanes.Load(y); c01 = TLanes.Load(y + l); c02 = TLanes.Load(y + 2 * l); c03 = TLanes.Load(y + 3 * l);
            if (rows > 1)
            {
                float* y1 = y + ldy;
                c10 = TLanes.Load(y1); c11 = TLanes.Load(y1 + l); c12 = TLanes.Load(y1 + 2 * l); c13 = TLanes.Load(y1 + 3 * l);
            }

            if (rows > 2)
            {
                float* y2 = y + 2 * ldy;
                c20 = TLanes.Load(y2); c21 = TLanes.Load(y2 + l); c22 = TLanes.Load(y2 + 2 * l); c23 = TLanes.Load(y2 + 3 * l);
            }
        }

        for (int k = 0; k < count; k++, a += rows)
        {
            float* b = source + offsets[k];
            var b0 = TLanes.Load(b);
            var b1 = TLanes.Load(b + l);
            var b2 = TLanes.Load(b + 2 * l);
            var b3 = TLanes.Load(b + 3 * l);
            var w = TLanes.Broadcast(a[0]);
            c00 = TLanes.MultiplyAdd(w, b0, c00); c01 = TLanes.MultiplyAdd(w, b1, c01);
            c02 = TLanes.MultiplyAdd(w, b2, c02); c03 = TLanes.MultiplyAdd(w, b3, c03);
            if (rows > 1)
            {
                w = TLanes.Broadcast(a[1]);
                c10 = TLanes.MultiplyAdd(w, b0, c10); c11 = TLanes.MultiplyAdd(w, b1, c11);
                c12 = TLanes.MultiplyAdd(w, b2, c12); c13 = TLanes.MultiplyAdd(w, b3, c13);
            }

            if (rows > 2)
            {
                w = TLanes.Broadcast(a[2]);
                c20 = TLanes.MultiplyAdd(w, b0, c20); c21 = TLanes.MultiplyAdd(w, b1, c21);
                c22 = TLanes.MultiplyAdd(w, b2, c22); c23 = TLanes.MultiplyAdd(w, b3, c23);
            }
        }

        c00.Store(y); c01.Store(y + l); c02.Store(y + 2 * l); c03.Store(y + 3 * l);
        if (rows > 1)
        {
            float* y1 = y + ldy;
            c10.Store(y1); c11.Store(y1 + l); c12.Store(y1 + 2 * l); c13.Store(y1 + 3 * l);
        }

        if (rows > 2)
        {
            float* y2 = y + 2 * ldy;
            c20.Store(y2); c21.Store(y2 + l); c22.Store(y2 + 2 * l); c23.Store(y2 + 3 * l);
        }
    }

    /// <summary>
    /// y[0..8L) (+)= Σ_k a[k] · source[offsets[k] + 0..8L): a single row needs eight accumulators to hide the
    /// FMA latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SingleRow<TLanes>(float* a, float* source, int* offsets, int count, float* y, bool accumulate)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int l = TLanes.Count;
        TLanes c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        if (accumulate)
        {
            c0 = TLanes.Load(y); c1 = TLanes.Load(y + l); c2 = TLanes.Load(y + 2 * l); c3 = TLanes.Load(y + 3 * l);
            c4 = TLanes.Load(y + 4 * l); c5 = TLanes.Load(y + 5 * l); c6 = TLanes.Load(y + 6 * l); c7 = TLanes.Load(y + 7 * l);
        }

        for (int k = 0; k < count; k++)
        {
            float* b = source + offsets[k];
            var w = TLanes.Broadcast(a[k]);
            c0 = TLanes.MultiplyAdd(w, TLanes.Load(b), c0);
            c1 = TLanes.MultiplyAdd(w, TLanes.Load(b + l), c1);
            c2 = TLanes.MultiplyAdd(w, TLanes.Load(b + 2 * l), c2);
            c3 = TLanes.MultiplyAdd(w, TLanes.Load(b + 3 * l), c3);
            c4 = TLanes.MultiplyAdd(w, TLanes.Load(b + 4 * l), c4);
            c5 = TLanes.MultiplyAdd(w, TLanes.Load(b + 5 * l), c5);
            c6 = TLanes.MultiplyAdd(w, TLanes.Load(b + 6 * l), c6);
            c7 = TLanes.MultiplyAdd(w, TLanes.Load(b + 7 * l), c7);
        }

        c0.Store(y); c1.Store(y + l); c2.Store(y + 2 * l); c3.Store(y + 3 * l);
        c4.Store(y + 4 * l); c5.Store(y + 5 * l); c6.Store(y + 6 * l); c7.Store(y + 7 * l);
    }

    /// <summary>
    /// For R ≤ 6 rows r and the Q·P offsets k &lt; Q·P, Q = <typeparamref name="TRegisters"/>'s count and P =
    /// <typeparamref name="TLanes"/>'s lane count / 8:
    /// d[r·ldd + k] += Σ_image Σ_{j &lt; length} g[image·gImageStride + r·ldg + j] · source[image·sourceImageStride + offsets[k] + j].
    /// Each sum runs in 8 lanes over images then j and is folded to a scalar once per call; a 512-bit register holds
    /// the 8 lanes of two offsets, so both widths and both register counts sum the same products in the same order and
    /// give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transposed<TRows, TLanes, TRegisters>(
        float* g, int ldg, int gImageStride, float* source, int sourceImageStride, int* offsets,
        int images, int length, float* d, int ldd)
        where TRows : struct, IConvRowCount
        where TLanes : struct, IFloatLanes<TLanes>
        where TRegisters : struct, IOffsetRegisters
    {
        int rows = TRows.Value, perRegister = TLanes.Count / 8;
        bool four = TRegisters.Value == 4;
        int* offsets1 = offsets + perRegister, offsets2 = offsets + 2 * perRegister, offsets3 = offsets + 3 * perRegister;
        TLanes c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        TLanes c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        TLanes c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        for (int image = 0; image < images; image++)
        {
            float* g0 = g + (nint)image * gImageStride;
            float* s = source + (nint)image * sourceImageStride;
            for (int j = 0; j < length; j += 8)
            {
                var b0 = TLanes.LoadEights(s + j, offsets);
                var b1 = TLanes.LoadEights(s + j, offsets1);
                TLanes b2 = default, b3 = default;
                if (four) { b2 = TLanes.LoadEights(s + j, offsets2); b3 = TLanes.LoadEights(s + j, offsets3); }

                var x = TLanes.RepeatEight(g0 + j);
                c00 = TLanes.MultiplyAdd(x, b0, c00); c01 = TLanes.MultiplyAdd(x, b1, c01);
                if (four) { c02 = TLanes.MultiplyAdd(x, b2, c02); c03 = TLanes.MultiplyAdd(x, b3, c03); }
                if (rows > 1)
                {
                    x = TLanes.RepeatEight(g0 + ldg + j);
                    c10 = TLanes.MultiplyAdd(x, b0, c10); c11 = TLanes.MultiplyAdd(x, b1, c11);
                    if (four) { c12 = TLanes.MultiplyAdd(x, b2, c12); c13 = TLanes.MultiplyAdd(x, b3, c13); }
                }

                if (rows > 2)
                {
                    x = TLanes.RepeatEight(g0 + 2 * ldg + j);
                    c20 = TLanes.MultiplyAdd(x, b0, c20); c21 = TLanes.MultiplyAdd(x, b1, c21);
                    if (four) { c22 = TLanes.MultiplyAdd(x, b2, c22); c23 = TLanes.MultiplyAdd(x, b3, c23); }
                }

                if (rows > 3)
                {
                    x = TLanes.RepeatEight(g0 + 3 * ldg + j);
                    c30 = TLanes.MultiplyAdd(x, b0, c30); c31 = TLanes.MultiplyAdd(x, b1, c31);
                    if (four) { c32 = TLanes.MultiplyAdd(x, b2, c32); c33 = TLanes.MultiplyAdd(x, b3, c33); }
                }

                if (rows > 4)
                {
                    x = TLanes.RepeatEight(g0 + 4 * ldg + j);
                    c40 = TLanes.MultiplyAdd(x, b0, c40); c41 = TLanes.MultiplyAdd(x, b1, c41);
                    if (four) { c42 = TLanes.MultiplyAdd(x, b2, c42); c43 = TLanes.MultiplyAdd(x, b3, c43); }
                }

                if (rows > 5)
                {
                    x = TLanes.RepeatEight(g0 + 5 * ldg + j);
                    c50 = TLanes.MultiplyAdd(x, b0, c50); c51 = TLanes.MultiplyAdd(x, b1, c51);
                    if (four) { c52 = TLanes.MultiplyAdd(x, b2, c52); c53 = TLanes.MultiplyAdd(x, b3, c53); }
                }
            }
        }

        AddSums(d, perRegister, four, c00, c01, c02, c03);
        if (rows > 1) { AddSums(d + ldd, perRegister, four, c10, c11, c12, c13); }
        if (rows > 2) { AddSums(d + 2 * ldd, perRegister, four, c20, c21, c22, c23); }
        if (rows > 3) { AddSums(d + 3 * ldd, perRegister, four, c30, c31, c32, c33); }
        if (rows > 4) { AddSums(d + 4 * ldd, perRegister, four, c40, c41, c42, c43); }
        if (rows > 5) { AddSums(d + 5 * ldd, perRegister, four, c50, c51, c52, c53); }
    }

    /// <summary>Folds one row's accumulators of <see cref="Transposed{TRows, TLanes, TRegisters}"/> into d, offset after offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums<TLanes>(float* d, int perRegister, bool four, TLanes c0, TLanes c1, TLanes c2, TLanes c3)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        c0.AddEightSums(d);
        c1.AddEightSums(d + perRegister);
        if (four)
        {
            c2.AddEightSums(d + 2 * perRegister);
            c3.AddEightSums(d + 3 * perRegister);
        }
    }
}
