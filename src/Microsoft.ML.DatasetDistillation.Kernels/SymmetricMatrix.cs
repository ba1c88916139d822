namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>Functions of symmetric positive-definite matrices, computed with matrix products only.</summary>
internal static class SymmetricMatrix
{
    /// <summary>Iterations allowed before a matrix is declared not positive definite; well-conditioned ones take about 10.</summary>
    private const int MaxIterations = 100;

    /// <summary>
    /// Computes A^(−1/2) and A^(1/2) of the symmetric positive-definite n×n matrix A (row-major) by the coupled
    /// Newton–Schulz iteration (Higham, "Functions of Matrices", 2008, eq. 6.35): with A scaled by its Frobenius norm c so
    /// that its eigenvalues lie in (0, 1], Y₀ = A/c, Z₀ = I, T = (3I − ZₖYₖ)/2, Yₖ₊₁ = YₖT, Zₖ₊₁ = TZₖ; then Y → (A/c)^(1/2) and
    /// Z → (A/c)^(−1/2) quadratically. It needs nothing but products, which the packed <see cref="Gemm"/> runs fast, where
    /// an eigendecomposition would be a long sequential solver; the residual ‖I − ZY‖ is the product T needs anyway.
    /// </summary>
    /// <param name="matrix">A, n×n, symmetric positive definite.</param>
    /// <param name="n">The order of A.</param>
    /// <param name="inverseRoot">Receives A^(−1/2), n×n.</param>
    /// <param name="root">Receives A^(1/2), n×n.</param>
    /// <returns>The iterations taken.</returns>
    /// <exception cref="ArgumentException">A span is too short, or A holds a value that is not finite or is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A is not positive definite (the iteration does not converge).</exception>
    public static int InverseSquareRoot(ReadOnlySpan<float> matrix, int n, Span<float> inverseRoot, Span<float> root)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        int size = checked(n * n);
        if (matrix.Length < size || inverseRoot.Length < size || root.Length < size)
        {
            throw new ArgumentException($"An {n}×{n} matrix needs {size} values in the input and in both results, but got {matrix.Length}, {inverseRoot.Length} and {root.Length}.");
        }

        double norm = 0;
        foreach (float v in matrix[..size])
        {
            if (!float.IsFinite(v))
            {
                throw new ArgumentException($"The matrix holds {v}, not a finite number.", nameof(matrix));
            }

            norm += (double)v * v;
        }

        float scale = (float)Math.Sqrt(norm);
        if (!(scale > 0))
        {
            throw new ArgumentException("The matrix is zero, so it has no inverse square root.", nameof(matrix));
        }

        Span<float> y = root[..size], z = inverseRoot[..size];
        var product = new float[size];
        var t = new float[size];
        var next = new float[size];
        for (int i = 0; i < size; i++)
        {
            y[i] = matrix[i] / scale;
        }

        SetIdentity(z, n);
        double previousResidual = double.PositiveInfinity;
        for (int iteration = 1; iteration <= MaxIterations; iteration++)
        {
            Gemm.Multiply(false, false, n, n, n, 1f, z, n, y, n, 0f, product, n);
            double residual = 0;
            for (int i = 0; i < size; i++)
            {
                float identity = i % (n + 1) == 0 ? 1f : 0f;
                residual += (double)(identity - product[i]) * (identity - product[i]);
                t[i] = 0.5f * (3f * identity - product[i]);
            }

            residual = Math.Sqrt(residual / n);

            // Converged, or at float's floor: quadratic convergence ends where rounding stops the residual falling.
            if (residual < 1e-6 || (residual < 1e-3 && residual >= previousResidual))
            {
                Finish(z, y, n, scale);
                return iteration;
            }

            if (!(residual < 1e6))
            {
                break;
            }

            previousResidual = residual;
            Gemm.Multiply(false, false, n, n, n, 1f, y, n, t, n, 0f, next, n);
            next.CopyTo(y);
            Gemm.Multiply(false, false, n, n, n, 1f, t, n, z, n, 0f, next, n);
            next.CopyTo(z);
        }

        throw new ArgumentOutOfRangeException(nameof(matrix), $"The {n}×{n} matrix is not symmetric positive definite: its inverse square root did not converge in {MaxIterations} Newton–Schulz iterations.");
    }

    private static void SetIdentity(Span<float> matrix, int n)
    {
        matrix.Clear();
        for (int i = 0; i < n; i++)
        {
            matrix[i * (n + 1)] = 1f;
        }
    }

    /// <summary>Undoes the scaling, (A/c)^(∓1/2) → A^(∓1/2), and makes both exactly symmetric (rounding leaves them nearly so).</summary>
    private static void Finish(Span<float> inverseRoot, Span<float> root, int n, float scale)
    {
        float inverseFactor = 1f / MathF.Sqrt(scale), factor = MathF.Sqrt(scale);
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                float inverse = 0.5f * (inverseRoot[i * n + j] + inverseRoot[j * n + i]) * inverseFactor;
                float direct = 0.5f * (root[i * n + j] + root[j * n + i]) * factor;
                inverseRoot[i * n + j] = inverseRoot[j * n + i] = inverse;
                root[i * n + j] = root[j * n + i] = direct;
            }
        }
    }
}
