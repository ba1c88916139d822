using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// The packed path: GotoBLAS/BLIS loop nest. For each NC-wide column block and KC-deep slice of k, op(B) is
/// packed into NR-column micro-panels (meant to stay in L3, one micro-panel in L1); for each MC-tall row
/// block op(A) is packed into MR-row micro-panels (meant to stay in L2); the micro-kernel then multiplies one
/// A micro-panel by one B micro-panel into an MR×NR tile of C held in registers. Edge panels are zero-padded,
/// so the micro-kernel always computes a full tile. The hot loops are marked AggressiveOptimization because
/// their unoptimised first-tier code is many times slower and a single large multiply would run in it.
/// </summary>
internal static partial class Gemm
{
    /// <summary>Rows of a micro-tile: 6 rows × 2 vectors of 8 use 12 of the 16 AVX2 registers as accumulators.</summary>
    internal const int MR = 6;

    /// <summary>Columns of a micro-tile.</summary>
    internal const int NR = 16;

    /// <summary>Depth of a k slice: a packed B micro-panel (KC·NR floats, 16 KiB) stays in L1.</summary>
    internal const int KC = 256;

    /// <summary>Rows of a packed A block (MC·KC floats, 144 KiB) that stays in L2; a multiple of MR.</summary>
    internal const int MC = 144;

    /// <summary>Columns of a packed B block (KC·NC floats, 2 MiB) that stays in L3; a multiple of NR.</summary>
    internal const int NC = 2048;

    /// <summary>Packing buffers are aligned to a cache line so that micro-panel loads never split lines.</summary>
    private const int BufferAlignmentFloats = 16;

    /// <summary>Below this many multiply-adds per thread, handing work to a second thread costs more than it saves.</summary>
    private const long MinMultiplyAddsPerThread = 1L << 20;

    [ThreadStatic]
    private static float[]? packedABuffer;

    [ThreadStatic]
    private static float[]? packedBBuffer;

    /// <summary>Tests set this to run the portable micro-kernel and packing on CPUs that have AVX2.</summary>
    internal static bool ForcePortable { get; set; }

    private static bool UseAvx2 => !ForcePortable && Avx2.IsSupported && Fma.IsSupported;

    private static unsafe void MultiplyPacked(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var problem = new PackedProblem(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, UseAvx2);
        long multiplyAdds = (long)m * n * k;
        if (KernelParallel.MaxThreads == 1 || multiplyAdds < 2 * MinMultiplyAddsPerThread)
        {
            problem.Run(0, m, 0, n);
        }
        else
        {
            RunParallel(problem, multiplyAdds);
        }
    }

    /// <summary>
    /// Splits C into row or column strips along the micro-tile grid (whichever has more tiles, for balance).
    /// Every element lands in the same tile and k slices whatever the split, so results do not depend on it.
    /// </summary>
    private static void RunParallel(PackedProblem problem, long multiplyAdds)
    {
        int rowPanels = (problem.M + MR - 1) / MR;
        int colPanels = (problem.N + NR - 1) / NR;
        int panels = Math.Max(rowPanels, colPanels);
        int minPanelsPerThread = (int)Math.Max(1, MinMultiplyAddsPerThread * panels / multiplyAdds);
        if (rowPanels >= colPanels)
        {
            KernelParallel.For(rowPanels, minPanelsPerThread, (start, end) =>
                problem.Run(start * MR, Math.Min(problem.M, end * MR), 0, problem.N));
        }
        else
        {
            KernelParallel.For(colPanels, minPanelsPerThread, (start, end) =>
                problem.Run(0, problem.M, start * NR, Math.Min(problem.N, end * NR)));
        }
    }

    /// <summary>Returns this thread's packing buffer, grown to hold at least <paramref name="length"/> floats.</summary>
    private static float[] GetBuffer(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length + BufferAlignmentFloats)
        {
            buffer = GC.AllocateUninitializedArray<float>(length + BufferAlignmentFloats, pinned: true);
        }

        return buffer;
    }

    private static unsafe float* AlignUp(float* pointer) =>
        (float*)(((nuint)pointer + (BufferAlignmentFloats * sizeof(float) - 1)) & ~(nuint)(BufferAlignmentFloats * sizeof(float) - 1));

    /// <summary>One multiply, held by pointer so that threads can share it; the spans stay pinned by the caller.</summary>
    private readonly unsafe struct PackedProblem(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, bool useAvx2)
    {
        public int M => m;

        public int N => n;

        /// <summary>Computes rows [rowBegin, rowEnd) × columns [colBegin, colEnd) of C; both begins are on the tile grid.</summary>
        public void Run(int rowBegin, int rowEnd, int colBegin, int colEnd)
        {
            // Equal k slices no deeper than KC: slice boundaries depend on k alone, which keeps sums reproducible.
            int kSlices = (k + KC - 1) / KC;
            int kcMax = (k + kSlices - 1) / kSlices;
            int ncMax = Math.Min(NC, RoundUp(colEnd - colBegin, NR));
            int mcMax = Math.Min(MC, RoundUp(rowEnd - rowBegin, MR));
            float[] aBuffer = GetBuffer(ref packedABuffer, mcMax * kcMax);
            float[] bBuffer = GetBuffer(ref packedBBuffer, ncMax * kcMax);
            float* tile = stackalloc float[MR * NR];
            fixed (float* aRaw = aBuffer, bRaw = bBuffer)
            {
                float* packedA = AlignUp(aRaw);
                float* packedB = AlignUp(bRaw);
                for (int jc = colBegin; jc < colEnd; jc += NC)
                {
                    int nc = Math.Min(NC, colEnd - jc);
                    for (int pc = 0; pc < k; pc += kcMax)
                    {
                        int kc = Math.Min(kcMax, k - pc);

                        // The first k slice applies beta; later slices accumulate onto it.
                        float sliceBeta = pc == 0 ? beta : 1f;
                        PackB(transposeB, b, ldb, pc, kc, jc, nc, packedB, useAvx2);
                        for (int ic = rowBegin; ic < rowEnd; ic += MC)
                        {
                            int mc = Math.Min(MC, rowEnd - ic);
                            PackA(transposeA, a, lda, ic, mc, pc, kc, packedA, useAvx2);
                            MultiplyBlock(mc, nc, kc, packedA, packedB, c + (long)ic * ldc + jc, sliceBeta, tile);
                        }
                    }
                }
            }
        }

        /// <summary>Multiplies a packed mc×kc block of A by a packed kc×nc block of B into C, tile by tile.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void MultiplyBlock(int mc, int nc, int kc, float* packedA, float* packedB, float* cBlock, float sliceBeta, float* tile)
        {
            for (int jr = 0; jr < nc; jr += NR)
            {
                int cols = Math.Min(NR, nc - jr);
                float* bPanel = packedB + (long)jr * kc;
                for (int ir = 0; ir < mc; ir += MR)
                {
                    int rows = Math.Min(MR, mc - ir);
                    float* aPanel = packedA + (long)ir * kc;
                    float* cTile = cBlock + (long)ir * ldc + jr;
                    if (rows == MR && cols == NR)
                    {
                        MicroKernel(kc, aPanel, bPanel, cTile, ldc, alpha, sliceBeta);
                    }
                    else
                    {
                        // Edge tile: compute the full tile aside, then merge only the part inside C.
                        MicroKernel(kc, aPanel, bPanel, tile, NR, 1f, 0f);
                        MergeTile(tile, cTile, ldc, rows, cols, alpha, sliceBeta);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void MicroKernel(int kc, float* aPanel, float* bPanel, float* cTile, int ldcTile, float tileAlpha, float tileBeta)
        {
            if (useAvx2)
            {
                MicroKernelAvx2(kc, aPanel, bPanel, cTile, ldcTile, tileAlpha, tileBeta);
            }
            else
            {
                MicroKernelPortable(kc, aPanel, bPanel, cTile, ldcTile, tileAlpha, tileBeta);
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>C = alpha·tile + beta·C over the valid rows×cols corner, rounded like the AVX2 micro-kernel's store.</summary>
    private static unsafe void MergeTile(float* tile, float* c, int ldc, int rows, int cols, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++)
        {
            float* cRow = c + (long)r * ldc;
            float* tileRow = tile + r * NR;
            for (int j = 0; j < cols; j++)
            {
                cRow[j] = beta == 0 ? tileRow[j] * alpha : MathF.FusedMultiplyAdd(tileRow[j], alpha, beta * cRow[j]);
            }
        }
    }
}
