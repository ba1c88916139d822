namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>Single-precision general matrix multiply on row-major spans.</summary>
public static class Gemm
{
    /// <summary>
    /// Computes C = alpha * op(A) * op(B) + beta * C, where op(X) is X or its transpose, all row-major.
    /// op(A) is m×k, op(B) is k×n and C is m×n. A stored untransposed is m×k with row stride
    /// <paramref name="lda"/>; stored transposed it is k×m. Likewise B. When beta is 0, C is overwritten
    /// (NaNs in it do not propagate).
    /// </summary>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // Placeholder reference implementation; replaced by the packed AVX2 kernel.
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transposeA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }

                c[i * ldc + j] = beta == 0 ? alpha * sum : alpha * sum + beta * c[i * ldc + j];
            }
        }
    }
}
