using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// Packing of op(A) and op(B) into the micro-panel layouts the micro-kernels read. Where the source runs
/// along the panel's k axis (A untransposed, B transposed) the panel is a transpose of the source; the AVX
/// paths transpose 8-float blocks in registers, the portable path copies one source row at a time (stepping
/// through several rows element by element would, with power-of-two strides, thrash a single L1 set).
/// </summary>
internal static partial class Gemm
{
    /// <summary>
    /// Packs op(A)[ic..ic+mc, pc..pc+kc] into MR-row micro-panels: panel by panel, for each p the MR values
    /// of column p, rows past mc zero-filled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA(bool transposeA, float* a, int lda, int ic, int mc, int pc, int kc, float* packed, bool useAvx)
    {
        if (transposeA)
        {
            // Stored k×m: row p holds column p of op(A), MR contiguous values per panel.
            for (int ir = 0; ir < mc; ir += MR)
            {
                int rows = Math.Min(MR, mc - ir);
                float* source = a + (long)pc * lda + ic + ir;
                float* panel = packed + (long)ir * kc;
                for (int p = 0; p < kc; p++, source += lda, panel += MR)
                {
                    CopyPadded(source, panel, rows, MR);
                }
            }

            return;
        }

        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            float* source = a + (long)(ic + ir) * lda + pc;
            float* panel = packed + (long)ir * kc;
            int done = useAvx && rows == MR ? PackSixRowsAvx(source, lda, kc, panel) : 0;
            PackInterleaved(source, lda, rows, MR, done, kc, panel);
        }
    }

    /// <summary>
    /// Packs op(B)[pc..pc+kc, jc..jc+nc] into NR-column micro-panels: panel by panel, for each p the NR values
    /// of row p, columns past nc zero-filled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB(bool transposeB, float* b, int ldb, int pc, int kc, int jc, int nc, float* packed, bool useAvx)
    {
        if (!transposeB)
        {
            // Row p of B is row p of op(B), to be dealt out NR values per panel.
            for (int p = 0; p < kc; p++)
            {
                float* source = b + (long)(pc + p) * ldb + jc;
                float* destination = packed + p * NR;
                for (int jr = 0; jr < nc; jr += NR, destination += (long)NR * kc)
                {
                    CopyPadded(source + jr, destination, Math.Min(NR, nc - jr), NR);
                }
            }

            return;
        }

        // Stored n×k: row j of B is column j of op(B).
        for (int jr = 0; jr < nc; jr += NR)
        {
            int cols = Math.Min(NR, nc - jr);
            float* source = b + (long)(jc + jr) * ldb + pc;
            float* panel = packed + (long)jr * kc;
            int done = 0;
            if (useAvx && cols == NR)
            {
                for (; done <= kc - 8; done += 8)
                {
                    Transpose8x8Avx(source + done, ldb, panel + done * NR, NR);
                    Transpose8x8Avx(source + 8L * ldb + done, ldb, panel + done * NR + 8, NR);
                }
            }

            PackInterleaved(source, ldb, cols, NR, done, kc, panel);
        }
    }

    /// <summary>
    /// The portable transpose, and the tails of the AVX ones: source line l (stride <paramref name="ld"/>) becomes
    /// lane l of each <paramref name="width"/>-wide group, for p in [<paramref name="pBegin"/>, kc); lanes past
    /// <paramref name="lines"/> are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackInterleaved(float* source, int ld, int lines, int width, int pBegin, int kc, float* panel)
    {
        for (int line = 0; line < width; line++)
        {
            float* from = source + (long)line * ld;
            float* to = panel + line;
            if (line < lines)
            {
                for (int p = pBegin; p < kc; p++)
                {
                    to[p * width] = from[p];
                }
            }
            else
            {
                for (int p = pBegin; p < kc; p++)
                {
                    to[p * width] = 0f;
                }
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> floats and zero-fills the rest up to <paramref name="width"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyPadded(float* source, float* destination, int count, int width)
    {
        if (count == width)
        {
            Buffer.MemoryCopy(source, destination, width * sizeof(float), width * sizeof(float));
        }
        else
        {
            Buffer.MemoryCopy(source, destination, width * sizeof(float), count * sizeof(float));
            new Span<float>(destination + count, width - count).Clear();
        }
    }

    /// <summary>
    /// Packs six rows (stride <paramref name="lda"/>) into a 6-wide panel, 8 values of k at a time; returns how
    /// many values of k it packed (a multiple of 8), leaving the rest to <see cref="PackInterleaved"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int PackSixRowsAvx(float* row0, int lda, int kc, float* panel)
    {
        float* row1 = row0 + lda, row2 = row1 + lda, row3 = row2 + lda, row4 = row3 + lda, row5 = row4 + lda;
        int p = 0;
        for (; p <= kc - 8; p += 8)
        {
            // Pairs of rows interleaved: t01 holds rows 0,1 of p+0,p+1 | p+4,p+5; h01 the same for p+2,p+3 | p+6,p+7.
            Vector256<float> t01 = Avx.UnpackLow(Avx.LoadVector256(row0 + p), Avx.LoadVector256(row1 + p));
            Vector256<float> h01 = Avx.UnpackHigh(Avx.LoadVector256(row0 + p), Avx.LoadVector256(row1 + p));
            Vector256<float> t23 = Avx.UnpackLow(Avx.LoadVector256(row2 + p), Avx.LoadVector256(row3 + p));
            Vector256<float> h23 = Avx.UnpackHigh(Avx.LoadVector256(row2 + p), Avx.LoadVector256(row3 + p));
            Vector256<float> t45 = Avx.UnpackLow(Avx.LoadVector256(row4 + p), Avx.LoadVector256(row5 + p));
            Vector256<float> h45 = Avx.UnpackHigh(Avx.LoadVector256(row4 + p), Avx.LoadVector256(row5 + p));

            // Rows 0-3 of one k value, for k = p+q | p+q+4.
            Vector256<float> rows03Of0 = Avx.Shuffle(t01, t23, 0x44);
            Vector256<float> rows03Of1 = Avx.Shuffle(t01, t23, 0xEE);
            Vector256<float> rows03Of2 = Avx.Shuffle(h01, h23, 0x44);
            Vector256<float> rows03Of3 = Avx.Shuffle(h01, h23, 0xEE);

            float* group = panel + p * MR;
            StoreGroup(group + 0 * MR, rows03Of0.GetLower(), t45.GetLower(), high: false);
            StoreGroup(group + 1 * MR, rows03Of1.GetLower(), t45.GetLower(), high: true);
            StoreGroup(group + 2 * MR, rows03Of2.GetLower(), h45.GetLower(), high: false);
            StoreGroup(group + 3 * MR, rows03Of3.GetLower(), h45.GetLower(), high: true);
            StoreGroup(group + 4 * MR, rows03Of0.GetUpper(), t45.GetUpper(), high: false);
            StoreGroup(group + 5 * MR, rows03Of1.GetUpper(), t45.GetUpper(), high: true);
            StoreGroup(group + 6 * MR, rows03Of2.GetUpper(), h45.GetUpper(), high: false);
            StoreGroup(group + 7 * MR, rows03Of3.GetUpper(), h45.GetUpper(), high: true);
        }

        return p;
    }

    /// <summary>Stores one 6-wide group: rows 0-3, then rows 4-5 from the low or high half of <paramref name="rows45"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreGroup(float* group, Vector128<float> rows03, Vector128<float> rows45, bool high)
    {
        Sse.Store(group, rows03);
        if (high)
        {
            Sse.StoreHigh(group + 4, rows45);
        }
        else
        {
            Sse.StoreLow(group + 4, rows45);
        }
    }

    /// <summary>
    /// Transposes the 8×8 block at <paramref name="source"/> (row stride <paramref name="ld"/>): source column q
    /// becomes 8 contiguous floats at destination + q·<paramref name="destinationStride"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Transpose8x8Avx(float* source, int ld, float* destination, int destinationStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + ld);
        Vector256<float> r2 = Avx.LoadVector256(source + 2L * ld), r3 = Avx.LoadVector256(source + 3L * ld);
        Vector256<float> r4 = Avx.LoadVector256(source + 4L * ld), r5 = Avx.LoadVector256(source + 5L * ld);
        Vector256<float> r6 = Avx.LoadVector256(source + 6L * ld), r7 = Avx.LoadVector256(source + 7L * ld);

        Vector256<float> t01 = Avx.UnpackLow(r0, r1), h01 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t23 = Avx.UnpackLow(r2, r3), h23 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t45 = Avx.UnpackLow(r4, r5), h45 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t67 = Avx.UnpackLow(r6, r7), h67 = Avx.UnpackHigh(r6, r7);

        // Rows 0-3 (or 4-7) of column q | column q+4.
        Vector256<float> low0 = Avx.Shuffle(t01, t23, 0x44), high0 = Avx.Shuffle(t45, t67, 0x44);
        Vector256<float> low1 = Avx.Shuffle(t01, t23, 0xEE), high1 = Avx.Shuffle(t45, t67, 0xEE);
        Vector256<float> low2 = Avx.Shuffle(h01, h23, 0x44), high2 = Avx.Shuffle(h45, h67, 0x44);
        Vector256<float> low3 = Avx.Shuffle(h01, h23, 0xEE), high3 = Avx.Shuffle(h45, h67, 0xEE);

        Avx.Store(destination, Avx.Permute2x128(low0, high0, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(low1, high1, 0x20));
        Avx.Store(destination + 2 * destinationStride, Avx.Permute2x128(low2, high2, 0x20));
        Avx.Store(destination + 3 * destinationStride, Avx.Permute2x128(low3, high3, 0x20));
        Avx.Store(destination + 4 * destinationStride, Avx.Permute2x128(low0, high0, 0x31));
        Avx.Store(destination + 5 * destinationStride, Avx.Permute2x128(low1, high1, 0x31));
        Avx.Store(destination + 6 * destinationStride, Avx.Permute2x128(low2, high2, 0x31));
        Avx.Store(destination + 7 * destinationStride, Avx.Permute2x128(low3, high3, 0x31));
    }
}
