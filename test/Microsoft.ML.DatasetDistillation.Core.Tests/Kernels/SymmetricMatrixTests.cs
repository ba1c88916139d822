using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Kernels;

[TestClass]
public sealed class SymmetricMatrixTests
{
    [TestMethod]
    public void InverseSquareRootOfADiagonalMatrixIsTheDiagonalsInverseRoots()
    {
        float[] matrix = [4f, 0f, 0f, 0f, 9f, 0f, 0f, 0f, 0.25f];
        var inverseRoot = new float[9];
        var root = new float[9];

        SymmetricMatrix.InverseSquareRoot(matrix, 3, inverseRoot, root);

        float[] expectedInverse = [0.5f, 0f, 0f, 0f, 1f / 3f, 0f, 0f, 0f, 2f];
        float[] expectedRoot = [2f, 0f, 0f, 0f, 3f, 0f, 0f, 0f, 0.5f];
        for (int i = 0; i < 9; i++)
        {
            Assert.AreEqual(expectedInverse[i], inverseRoot[i], 1e-5f * Math.Max(1f, expectedInverse[i]), $"A^(-1/2)[{i}]");
            Assert.AreEqual(expectedRoot[i], root[i], 1e-5f * Math.Max(1f, expectedRoot[i]), $"A^(1/2)[{i}]");
        }
    }

    // A = B Bᵀ + 0.01 I for a random 60×60 B: eigenvalues from 0.01 to about 200, a condition number near 2·10⁴,
    // far worse than a whitened image covariance (ZCA's ε bounds it to about 10³ for MNIST).
    [TestMethod]
    public void RootsOfAnIllConditionedMatrixSatisfyTheirDefinitions()
    {
        const int n = 60;
        var random = new Random(7);
        float[] b = [.. Enumerable.Range(0, n * n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        var a = new float[n * n];
        Gemm.Multiply(false, true, n, n, n, 1f, b, n, b, n, 0f, a, n);
        for (int i = 0; i < n; i++)
        {
            a[i * (n + 1)] += 0.01f;
        }

        var inverseRoot = new float[n * n];
        var root = new float[n * n];
        int iterations = SymmetricMatrix.InverseSquareRoot(a, n, inverseRoot, root);

        Assert.IsLessThan(40, iterations);
        double[] aDouble = [.. a.Select(v => (double)v)];
        AssertClose(Multiply(root, root, n), aDouble, 1e-4, "A^(1/2) A^(1/2) = A");
        AssertClose(Multiply(Multiply(inverseRoot, a, n), inverseRoot, n), Identity(n), 1e-3, "A^(-1/2) A A^(-1/2) = I");
        AssertClose(Multiply(inverseRoot, root, n), Identity(n), 1e-4, "A^(-1/2) A^(1/2) = I");
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.AreEqual(inverseRoot[i * n + j], inverseRoot[j * n + i], $"A^(-1/2) is symmetric at ({i}, {j})");
            }
        }
    }

    [TestMethod]
    public void RefusesAMatrixThatIsNotPositiveDefinite()
    {
        var exception = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => SymmetricMatrix.InverseSquareRoot([1f, 0f, 0f, -1f], 2, new float[4], new float[4]));
        StringAssert.Contains(exception.Message, "2×2 matrix is not symmetric positive definite");
    }

    [TestMethod]
    public void RefusesZeroAndNonFiniteMatrices()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => SymmetricMatrix.InverseSquareRoot(new float[4], 2, new float[4], new float[4])).Message, "is zero");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => SymmetricMatrix.InverseSquareRoot([1f, float.NaN, float.NaN, 1f], 2, new float[4], new float[4])).Message, "NaN");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => SymmetricMatrix.InverseSquareRoot(new float[4], 2, new float[3], new float[4])).Message, "needs 4 values");
    }

    private static double[] Multiply(IReadOnlyList<float> x, IReadOnlyList<float> y, int n) =>
        Multiply([.. x.Select(v => (double)v)], [.. y.Select(v => (double)v)], n);

    private static double[] Multiply(IReadOnlyList<double> x, IReadOnlyList<float> y, int n) => Multiply(x, [.. y.Select(v => (double)v)], n);

    private static double[] Multiply(IReadOnlyList<double> x, IReadOnlyList<double> y, int n)
    {
        var result = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < n; k++)
            {
                for (int j = 0; j < n; j++)
                {
                    result[i * n + j] += x[i * n + k] * y[k * n + j];
                }
            }
        }

        return result;
    }

    private static double[] Identity(int n) => [.. Enumerable.Range(0, n * n).Select(i => i % (n + 1) == 0 ? 1.0 : 0.0)];

    // Frobenius distance relative to the expected matrix's norm.
    private static void AssertClose(double[] actual, double[] expected, double tolerance, string what)
    {
        double difference = Math.Sqrt(actual.Zip(expected, (p, q) => (p - q) * (p - q)).Sum());
        double norm = Math.Sqrt(expected.Sum(v => v * v));
        Assert.IsLessThan(tolerance, difference / norm, what);
    }
}
