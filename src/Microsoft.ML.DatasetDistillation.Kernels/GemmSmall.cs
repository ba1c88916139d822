using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// The direct path, for products too small to repay packing, computed straight from A and B with
/// Vector&lt;float&gt; (no x86-specific code, so it is the same on every CPU). Two formulations cover the layouts:
/// rows of C as sums of rows of op(B), vectorised across columns, when op(B)'s rows are contiguous and there
/// are enough columns; otherwise entries of C as dot products of rows of op(A) and columns of op(B), vectorised
/// along k, copying out whichever of the two is not contiguous (cheap: these problems are small).
/// </summary>
internal static partial class Gemm
{
    [ThreadStatic]
    private static float[]? transposedABuffer;

    [ThreadStatic]
    private static float[]? transposedBBuffer;

    private static unsafe void MultiplySmall(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (!transposeB && n >= Vector<float>.Count)
        {
            MultiplySmallRows(transposeA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        fixed (float* aCopy = transposeA ? GetBuffer(ref transposedABuffer, m * k) : null)
        fixed (float* bCopy = transposeB ? null : GetBuffer(ref transposedBBuffer, k * n))
        {
            // Dot products want op(A) as m×k rows and op(B) as n×k rows.
            if (transposeA)
            {
                CopyTransposed(a, lda, k, m, aCopy);
            }

            if (!transposeB)
            {
                CopyTransposed(b, ldb, k, n, bCopy);
            }

            MultiplySmallDots(
                m, n, k, alpha, transposeA ? aCopy : a, transposeA ? k : lda, transposeB ? b : bCopy, transposeB ? ldb : k,
                beta, c, ldc);
        }
    }

    /// <summary>Writes the transpose of a rows×cols matrix (stride <paramref name="ld"/>) as cols×rows, row-major.</summary>
    private static unsafe void CopyTransposed(float* source, int ld, int rows, int cols, float* destination)
    {
        for (int row = 0; row < rows; row++)
        {
            float* from = source + (long)row * ld;
            for (int col = 0; col < cols; col++)
            {
                destination[(long)col * rows + row] = from[col];
            }
        }
    }

    /// <summary>
    /// C = alpha·A·Bᵀ + beta·C with A (m×k) and B (n×k) both row-major: each C entry is a dot product of two
    /// contiguous rows, computed two rows of A by four rows of B at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplySmallDots(
        int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        int width = Vector<float>.Count;
        int vectorEnd = k - k % width;
        for (int i = 0; i < m; i += 2)
        {
            // An odd last row is computed twice (as both rows of the pair) and stored once.
            bool pair = i + 1 < m;
            float* a0 = a + (long)i * lda;
            float* a1 = pair ? a0 + lda : a0;
            float* c0 = c + (long)i * ldc;
            float* c1 = pair ? c0 + ldc : c0;
            int j = 0;
            for (; j <= n - 4; j += 4)
            {
                float* b0 = b + (long)j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                Vector<float> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector<float> s10 = default, s11 = default, s12 = default, s13 = default;
                for (int p = 0; p < vectorEnd; p += width)
                {
                    Vector<float> x0 = Vector.Load(a0 + p), x1 = Vector.Load(a1 + p);
                    Vector<float> y = Vector.Load(b0 + p);
                    s00 = Vector.MultiplyAddEstimate(x0, y, s00);
                    s10 = Vector.MultiplyAddEstimate(x1, y, s10);
                    y = Vector.Load(b1 + p);
                    s01 = Vector.MultiplyAddEstimate(x0, y, s01);
                    s11 = Vector.MultiplyAddEstimate(x1, y, s11);
                    y = Vector.Load(b2 + p);
                    s02 = Vector.MultiplyAddEstimate(x0, y, s02);
                    s12 = Vector.MultiplyAddEstimate(x1, y, s12);
                    y = Vector.Load(b3 + p);
                    s03 = Vector.MultiplyAddEstimate(x0, y, s03);
                    s13 = Vector.MultiplyAddEstimate(x1, y, s13);
                }

                StoreDot(c0 + j, Vector.Sum(s00) + DotTail(a0, b0, vectorEnd, k), alpha, beta);
                StoreDot(c0 + j + 1, Vector.Sum(s01) + DotTail(a0, b1, vectorEnd, k), alpha, beta);
                StoreDot(c0 + j + 2, Vector.Sum(s02) + DotTail(a0, b2, vectorEnd, k), alpha, beta);
                StoreDot(c0 + j + 3, Vector.Sum(s03) + DotTail(a0, b3, vectorEnd, k), alpha, beta);
                if (pair)
                {
                    StoreDot(c1 + j, Vector.Sum(s10) + DotTail(a1, b0, vectorEnd, k), alpha, beta);
                    StoreDot(c1 + j + 1, Vector.Sum(s11) + DotTail(a1, b1, vectorEnd, k), alpha, beta);
                    StoreDot(c1 + j + 2, Vector.Sum(s12) + DotTail(a1, b2, vectorEnd, k), alpha, beta);
                    StoreDot(c1 + j + 3, Vector.Sum(s13) + DotTail(a1, b3, vectorEnd, k), alpha, beta);
                }
            }

            for (; j < n; j++)
            {
                float* bRow = b + (long)j * ldb;
                Vector<float> s0 = default, s1 = default;
                for (int p = 0; p < vectorEnd; p += width)
                {
                    Vector<float> y = Vector.Load(bRow + p);
                    s0 = Vector.MultiplyAddEstimate(Vector.Load(a0 + p), y, s0);
                    s1 = Vector.MultiplyAddEstimate(Vector.Load(a1 + p), y, s1);
                }

                StoreDot(c0 + j, Vector.Sum(s0) + DotTail(a0, bRow, vectorEnd, k), alpha, beta);
                if (pair)
                {
                    StoreDot(c1 + j, Vector.Sum(s1) + DotTail(a1, bRow, vectorEnd, k), alpha, beta);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float DotTail(float* x, float* y, int start, int end)
    {
        float sum = 0;
        for (int p = start; p < end; p++)
        {
            sum += x[p] * y[p];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreDot(float* c, float sum, float alpha, float beta) =>
        *c = beta == 0 ? alpha * sum : alpha * sum + beta * *c;

    /// <summary>C = alpha·op(A)·B + beta·C with B's rows contiguous (stride <paramref name="ldb"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplySmallRows(
        bool transposeA, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        int width = Vector<float>.Count;
        long aRowStride = transposeA ? 1 : lda;
        long aColumnStride = transposeA ? lda : 1;
        for (int i = 0; i < m; i += 2)
        {
            // An odd last row is computed twice (as both rows of the pair) and stored once.
            bool pair = i + 1 < m;
            float* a0 = a + i * aRowStride;
            float* a1 = pair ? a0 + aRowStride : a0;
            float* c0 = c + (long)i * ldc;
            float* c1 = pair ? c0 + ldc : null;
            int j = 0;
            for (; j <= n - 4 * width; j += 4 * width)
            {
                Vector<float> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector<float> s10 = default, s11 = default, s12 = default, s13 = default;
                float* bColumn = b + j;
                for (int p = 0; p < k; p++, bColumn += ldb)
                {
                    Vector<float> b0 = Vector.Load(bColumn), b1 = Vector.Load(bColumn + width);
                    Vector<float> b2 = Vector.Load(bColumn + 2 * width), b3 = Vector.Load(bColumn + 3 * width);
                    var x0 = new Vector<float>(a0[p * aColumnStride]);
                    var x1 = new Vector<float>(a1[p * aColumnStride]);
                    s00 = Vector.MultiplyAddEstimate(x0, b0, s00);
                    s01 = Vector.MultiplyAddEstimate(x0, b1, s01);
                    s02 = Vector.MultiplyAddEstimate(x0, b2, s02);
                    s03 = Vector.MultiplyAddEstimate(x0, b3, s03);
                    s10 = Vector.MultiplyAddEstimate(x1, b0, s10);
                    s11 = Vector.MultiplyAddEstimate(x1, b1, s11);
                    s12 = Vector.MultiplyAddEstimate(x1, b2, s12);
                    s13 = Vector.MultiplyAddEstimate(x1, b3, s13);
                }

                StoreSmall(c0 + j, s00, alpha, beta);
                StoreSmall(c0 + j + width, s01, alpha, beta);
                StoreSmall(c0 + j + 2 * width, s02, alpha, beta);
                StoreSmall(c0 + j + 3 * width, s03, alpha, beta);
                if (pair)
                {
                    StoreSmall(c1 + j, s10, alpha, beta);
                    StoreSmall(c1 + j + width, s11, alpha, beta);
                    StoreSmall(c1 + j + 2 * width, s12, alpha, beta);
                    StoreSmall(c1 + j + 3 * width, s13, alpha, beta);
                }
            }

            for (; j < n; j += width)
            {
                // The last block is shifted left to end at column n (n >= width here); its first lanes repeat
                // columns already stored, so only the new ones are written.
                int blockStart = Math.Min(j, n - width);
                Vector<float> s0 = default, s1 = default;
                float* bColumn = b + blockStart;
                for (int p = 0; p < k; p++, bColumn += ldb)
                {
                    Vector<float> b0 = Vector.Load(bColumn);
                    s0 = Vector.MultiplyAddEstimate(new Vector<float>(a0[p * aColumnStride]), b0, s0);
                    s1 = Vector.MultiplyAddEstimate(new Vector<float>(a1[p * aColumnStride]), b0, s1);
                }

                StoreSmallFrom(c0 + blockStart, s0, j - blockStart, alpha, beta);
                if (pair)
                {
                    StoreSmallFrom(c1 + blockStart, s1, j - blockStart, alpha, beta);
                }
            }
        }
    }

    /// <summary>Stores lanes from <paramref name="firstLane"/> on of alpha·sum + beta·C.</summary>
    private static unsafe void StoreSmallFrom(float* c, Vector<float> sum, int firstLane, float alpha, float beta)
    {
        if (firstLane == 0)
        {
            StoreSmall(c, sum, alpha, beta);
            return;
        }

        for (int lane = firstLane; lane < Vector<float>.Count; lane++)
        {
            c[lane] = beta == 0 ? alpha * sum[lane] : alpha * sum[lane] + beta * c[lane];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreSmall(float* c, Vector<float> sum, float alpha, float beta)
    {
        Vector<float> result = beta == 0
            ? sum * alpha
            : Vector.MultiplyAddEstimate(sum, new Vector<float>(alpha), Vector.Load(c) * beta);
        result.Store(c);
    }
}
