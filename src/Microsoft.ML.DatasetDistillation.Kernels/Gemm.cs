using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>Single-precision general matrix multiply on row-major spans.</summary>
/// <remarks>
/// Products go through the packed, cache-blocked path (GotoBLAS/BLIS design, see GemmPacked.cs) with an
/// AVX2/FMA micro-kernel where the CPU has one and a portable Vector128 micro-kernel elsewhere; small ones,
/// where packing does not pay, are computed directly (GemmSmall.cs). Results are bit-identical whatever
/// <see cref="KernelParallel.MaxThreads"/> is: threads split C along the micro-tile grid and every element's
/// k-sum is accumulated in the same order; the path depends on the sizes alone.
/// </remarks>
internal static partial class Gemm
{
    /// <summary>Up to this many multiply-adds the direct path beats packing whatever the shape (measured on Zen 5).</summary>
    private const long SmallPathMaxMultiplyAdds = 32 * 32 * 32;

    /// <summary>
    /// Computes C = alpha * op(A) * op(B) + beta * C, where op(X) is X or its transpose, all row-major.
    /// op(A) is m×k, op(B) is k×n and C is m×n. A stored untransposed is m×k with row stride
    /// <paramref name="lda"/>; stored transposed it is k×m. Likewise B. When beta is 0, C is overwritten
    /// (NaNs in it do not propagate). As in BLAS, when alpha is 0 or k is 0, A and B are not read.
    /// </summary>
    /// <exception cref="ArgumentException">A size or stride is negative or too small, or a span is too short.</exception>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        ValidateArguments(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        unsafe
        {
            fixed (float* aPointer = a, bPointer = b, cPointer = c)
            {
                if (UseSmallPath(m, n, k))
                {
                    MultiplySmall(transposeA, transposeB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc);
                }
                else
                {
                    MultiplyPacked(transposeA, transposeB, m, n, k, alpha, aPointer, lda, bPointer, ldb, beta, cPointer, ldc);
                }
            }
        }
    }

    /// <summary>Which path to take: <see cref="GemmPath.Automatic"/> except in tests and benchmarks.</summary>
    internal static GemmPath ForcedPath { get; set; }

    private static bool UseSmallPath(int m, int n, int k) => ForcedPath switch
    {
        GemmPath.Small => true,
        GemmPath.Packed => false,
        _ => IsSmallProblem(m, n, k),
    };

    /// <summary>
    /// Tiny products, and those with too few rows to share packed B panels or too few columns to fill a tile,
    /// as long as they are too small to be worth a second thread.
    /// </summary>
    private static bool IsSmallProblem(int m, int n, int k)
    {
        long multiplyAdds = (long)m * n * k;
        return multiplyAdds <= SmallPathMaxMultiplyAdds
            || ((m < 3 * MR || n < 4) && multiplyAdds < 2 * MinMultiplyAddsPerThread);
    }

    /// <summary>C = beta * C, with beta == 0 clearing C so that NaNs do not survive.</summary>
    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        if (beta == 1)
        {
            return;
        }

        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0)
            {
                row.Clear();
            }
            else
            {
                TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    private static void ValidateArguments(
        bool transposeA, bool transposeB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentException($"Sizes must not be negative: m={m}, n={n}, k={k}.");
        }

        // op(A) is m×k: stored untransposed it has m rows of k, transposed k rows of m.
        ValidateOperand("A", "lda", transposeA, m, "m", k, "k", aLength, lda);
        ValidateOperand("B", "ldb", transposeB, k, "k", n, "n", bLength, ldb);
        ValidateOperand("C", "ldc", transposed: false, m, "m", n, "n", cLength, ldc);
    }

    /// <summary>Checks one operand whose op() is <paramref name="rows"/>×<paramref name="cols"/>.</summary>
    private static void ValidateOperand(
        string name, string strideName, bool transposed, int rows, string rowsName, int cols, string colsName,
        int length, int stride)
    {
        int storedRows = transposed ? cols : rows;
        int storedCols = transposed ? rows : cols;
        if (stride < storedCols)
        {
            throw new ArgumentException(
                $"{Describe()} has rows of {storedCols} elements but {strideName}={stride} is smaller.", strideName);
        }

        long needed = storedRows == 0 || storedCols == 0 ? 0 : (long)(storedRows - 1) * stride + storedCols;
        if (length < needed)
        {
            throw new ArgumentException(
                $"{Describe()} needs {needed} elements with {strideName}={stride} but has {length}.", name.ToLowerInvariant());
        }

        // Built only on failure: the checks themselves must not allocate.
        string Describe() => transposed
            ? $"{colsName}={storedRows}, {rowsName}={storedCols}: transposed {name}"
            : $"{rowsName}={storedRows}, {colsName}={storedCols}: {name}";
    }
}

/// <summary>The two ways through <see cref="Gemm.Multiply"/>.</summary>
internal enum GemmPath
{
    /// <summary>Chosen by problem size.</summary>
    Automatic,

    /// <summary>Packed panels and micro-kernels (GemmPacked.cs).</summary>
    Packed,

    /// <summary>Straight from the operands, for small products (GemmSmall.cs).</summary>
    Small,
}
