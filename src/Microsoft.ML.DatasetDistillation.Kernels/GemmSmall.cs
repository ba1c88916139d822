using System.Numerics;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// The direct path, for products too small to repay packing: C is computed two rows at a time straight from
/// A and B, with Vector&lt;float&gt; across the columns (no x86-specific code, so it is the same on every CPU).
/// It needs the rows of op(B) contiguous, so a transposed B is first copied out; that copy is small here.
/// </summary>
public static partial class Gemm
{
    [ThreadStatic]
    private static float[]? transposedBBuffer;

    private static unsafe void MultiplySmall(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (!transposeB)
        {
            MultiplySmallRows(transposeA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }

        fixed (float* bRows = GetBuffer(ref transposedBBuffer, k * n))
        {
            // Row j of B (stored n×k) is column j of op(B).
            for (int j = 0; j < n; j++)
            {
                float* source = b + (long)j * ldb;
                for (int p = 0; p < k; p++)
                {
                    bRows[(long)p * n + j] = source[p];
                }
            }

            MultiplySmallRows(transposeA, m, n, k, alpha, a, lda, bRows, n, beta, c, ldc);
        }
    }

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

            for (; j <= n - width; j += width)
            {
                Vector<float> s0 = default, s1 = default;
                float* bColumn = b + j;
                for (int p = 0; p < k; p++, bColumn += ldb)
                {
                    Vector<float> b0 = Vector.Load(bColumn);
                    s0 = Vector.MultiplyAddEstimate(new Vector<float>(a0[p * aColumnStride]), b0, s0);
                    s1 = Vector.MultiplyAddEstimate(new Vector<float>(a1[p * aColumnStride]), b0, s1);
                }

                StoreSmall(c0 + j, s0, alpha, beta);
                if (pair)
                {
                    StoreSmall(c1 + j, s1, alpha, beta);
                }
            }

            for (; j < n; j++)
            {
                float s0 = 0, s1 = 0;
                for (int p = 0; p < k; p++)
                {
                    float bValue = b[(long)p * ldb + j];
                    s0 += a0[p * aColumnStride] * bValue;
                    s1 += a1[p * aColumnStride] * bValue;
                }

                c0[j] = beta == 0 ? alpha * s0 : alpha * s0 + beta * c0[j];
                if (pair)
                {
                    c1[j] = beta == 0 ? alpha * s1 : alpha * s1 + beta * c1[j];
                }
            }
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
