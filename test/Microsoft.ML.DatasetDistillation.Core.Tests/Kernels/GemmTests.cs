using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Kernels;

[TestClass]
public sealed class GemmTests
{
    private static readonly (bool TransposeA, bool TransposeB)[] TransposeCombinations =
        [(false, false), (false, true), (true, false), (true, true)];

    // The packed path with each micro-kernel, the direct path for small products, and the automatic choice.
    private static readonly (GemmPath Path, bool Portable)[] Paths =
        [(GemmPath.Packed, false), (GemmPath.Packed, true), (GemmPath.Small, false), (GemmPath.Automatic, false)];

    [TestCleanup]
    public void RestoreSettings()
    {
        Gemm.ForcePortable = false;
        Gemm.ForcedPath = GemmPath.Automatic;
    }

    // Sizes straddle the micro-tile (6×16), the k slice (256), the A block (144 rows) and the B block (2048 columns).
    [TestMethod]
    [DataRow(1, 1, 1)]
    [DataRow(7, 13, 5)]
    [DataRow(17, 31, 19)]
    [DataRow(65, 33, 129)]
    [DataRow(6, 16, 8)]
    [DataRow(12, 32, 257)]
    [DataRow(150, 40, 520)]
    [DataRow(5, 2050, 300)]
    [DataRow(1, 70, 33)]
    [DataRow(70, 1, 33)]
    public void MatchesReferenceForEveryTransposeAndPath(int m, int n, int k)
    {
        var problem = Problem.Random(m, n, k, seed: m * 1_000_003 + n * 1009 + k);
        foreach ((GemmPath path, bool portable) in Paths)
        {
            Gemm.ForcedPath = path;
            Gemm.ForcePortable = portable;
            foreach ((bool transposeA, bool transposeB) in TransposeCombinations)
            {
                problem.AssertMatchesReference(transposeA, transposeB, alpha: 1.25f, beta: 0.5f, stridePadding: 3,
                    $"path={path}, portable={portable}");
            }
        }
    }

    [TestMethod]
    [DataRow(1f, 0f)]
    [DataRow(1f, 1f)]
    [DataRow(-1.5f, 0.25f)]
    [DataRow(0.5f, -2f)]
    [DataRow(0f, 0.5f)]
    [DataRow(0f, 0f)]
    public void AppliesAlphaAndBeta(float alpha, float beta)
    {
        var problem = Problem.Random(23, 37, 41, seed: 7);
        foreach ((GemmPath path, bool portable) in Paths)
        {
            Gemm.ForcedPath = path;
            Gemm.ForcePortable = portable;
            foreach ((bool transposeA, bool transposeB) in TransposeCombinations)
            {
                problem.AssertMatchesReference(transposeA, transposeB, alpha, beta, stridePadding: 0,
                    $"path={path}, portable={portable}");
            }
        }
    }

    [TestMethod]
    public void ZeroDepthScalesC()
    {
        float[] c = [1f, 2f, float.NaN, 4f, 5f, 6f];
        Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 0, [], 2, 3f, c, 3);
        CollectionAssert.AreEqual(new[] { 3f, 6f, float.NaN, 12f, 15f, 6f }, c);

        Gemm.Multiply(true, true, 2, 3, 0, 1f, [], 2, [], 0, 0f, c, 3);
        CollectionAssert.AreEqual(new[] { 0f, 0f, 0f, 0f, 0f, 0f }, c);
    }

    [TestMethod]
    public void EmptyOutputLeavesCUntouched()
    {
        float[] c = [1f, 2f];
        Gemm.Multiply(false, false, 0, 2, 3, 1f, [], 3, new float[6], 2, 0f, c, 2);
        Gemm.Multiply(false, false, 1, 0, 3, 1f, new float[3], 3, [], 0, 0f, c, 0);
        CollectionAssert.AreEqual(new[] { 1f, 2f }, c);
    }

    // Big enough to be split across threads, by rows (first two) and by columns (last).
    [TestMethod]
    [DataRow(301, 75, 270)]
    [DataRow(1000, 20, 120)]
    [DataRow(40, 500, 140)]
    public void ResultsDoNotDependOnThreadCount(int m, int n, int k)
    {
        var problem = Problem.Random(m, n, k, seed: 3);
        foreach (bool portable in new[] { false, true })
        {
            Gemm.ForcePortable = portable;
            foreach ((bool transposeA, bool transposeB) in TransposeCombinations)
            {
                float[] Multiply() => problem.Multiply(transposeA, transposeB, 0.75f, 0.5f, stridePadding: 1, initialC: 1f);
                float[] single = ThreadCount.With(1, Multiply);
                float[] two = ThreadCount.With(2, Multiply);
                float[] three = ThreadCount.With(3, Multiply);
                string context = $"portable={portable}, transposeA={transposeA}, transposeB={transposeB}";
                CollectionAssert.AreEqual(Bits(single), Bits(two), context);
                CollectionAssert.AreEqual(Bits(single), Bits(three), context);
            }
        }
    }

    [TestMethod]
    [DataRow(200, 100, 300)]
    [DataRow(10, 20, 30)]
    public void SingleThreadedMultiplyDoesNotAllocateOnceWarm(int m, int n, int k)
    {
        using var singleThread = KernelParallel.Limit(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        Gemm.Multiply(true, true, m, n, k, 1f, a, m, b, k, 0f, c, n);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Gemm.Multiply(true, true, m, n, k, 1f, a, m, b, k, 0f, c, n);
        Assert.AreEqual(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [TestMethod]
    public void RejectsNegativeSizes()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(
            () => Gemm.Multiply(false, false, 2, -1, 3, 1f, new float[6], 3, new float[3], 1, 0f, new float[2], 1));
        Assert.Contains("m=2, n=-1, k=3", error.Message);
    }

    [TestMethod]
    public void RejectsShortSpansNamingTheSizes()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(
            () => Gemm.Multiply(false, false, 3, 2, 5, 1f, new float[12], 5, new float[10], 2, 0f, new float[6], 2));
        Assert.Contains("m=3, k=5: A needs 15 elements with lda=5 but has 12", error.Message);

        error = Assert.ThrowsExactly<ArgumentException>(
            () => Gemm.Multiply(false, true, 3, 2, 5, 1f, new float[15], 5, new float[8], 5, 0f, new float[6], 2));
        Assert.Contains("n=2, k=5: transposed B needs 10 elements with ldb=5 but has 8", error.Message);

        error = Assert.ThrowsExactly<ArgumentException>(
            () => Gemm.Multiply(false, false, 3, 2, 5, 1f, new float[15], 5, new float[10], 2, 0f, new float[7], 3));
        Assert.Contains("m=3, n=2: C needs 8 elements with ldc=3 but has 7", error.Message);
    }

    [TestMethod]
    public void RejectsStridesShorterThanARow()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(
            () => Gemm.Multiply(true, false, 3, 2, 5, 1f, new float[15], 2, new float[10], 2, 0f, new float[6], 2));
        Assert.Contains("k=5, m=3: transposed A has rows of 3 elements but lda=2 is smaller", error.Message);

        error = Assert.ThrowsExactly<ArgumentException>(
            () => Gemm.Multiply(false, false, 3, 2, 5, 1f, new float[15], 5, new float[10], 1, 0f, new float[6], 2));
        Assert.Contains("k=5, n=2: B has rows of 2 elements but ldb=1 is smaller", error.Message);

        error = Assert.ThrowsExactly<ArgumentException>(
            () => Gemm.Multiply(false, false, 3, 2, 5, 1f, new float[15], 5, new float[10], 2, 0f, new float[6], 1));
        Assert.Contains("m=3, n=2: C has rows of 2 elements but ldc=1 is smaller", error.Message);
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    /// <summary>Logical op(A) (m×k), op(B) (k×n) and a starting C, stored in whichever layout a case asks for.</summary>
    private sealed class Problem(int m, int n, int k, float[] opA, float[] opB, float[] startC)
    {
        public static Problem Random(int m, int n, int k, int seed)
        {
            var random = new Random(seed);
            return new Problem(m, n, k, Values(random, m * k), Values(random, k * n), Values(random, m * n));
        }

        /// <summary>Runs Gemm on this problem stored as asked, with rows padded by <paramref name="stridePadding"/>.</summary>
        public float[] Multiply(bool transposeA, bool transposeB, float alpha, float beta, int stridePadding, float? initialC = null)
        {
            int lda = (transposeA ? m : k) + stridePadding;
            int ldb = (transposeB ? k : n) + stridePadding;
            int ldc = n + stridePadding;
            float[] a = Store(opA, m, k, transposeA, lda);
            float[] b = Store(opB, k, n, transposeB, ldb);
            float[] c = new float[m * ldc];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < ldc; j++)
                {
                    c[i * ldc + j] = initialC ?? (j < n ? startC[i * n + j] : float.NaN);
                }
            }

            Gemm.Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return c;
        }

        public void AssertMatchesReference(bool transposeA, bool transposeB, float alpha, float beta, int stridePadding, string context)
        {
            // With beta == 0, C starts as NaN: none of it may leak into the result.
            float[] c = Multiply(transposeA, transposeB, alpha, beta, stridePadding, beta == 0 ? float.NaN : null);
            int ldc = n + stridePadding;
            double[] expected = new double[m * n];
            double largestMagnitude = 0;
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double product = (double)opA[i * k + p] * opB[p * n + j];
                        sum += product;
                        magnitude += Math.Abs(product);
                    }

                    double scaledC = beta == 0 ? 0 : (double)beta * startC[i * n + j];
                    expected[i * n + j] = alpha * sum + scaledC;
                    largestMagnitude = Math.Max(largestMagnitude, Math.Abs(alpha) * magnitude + Math.Abs(scaledC));
                }
            }

            double tolerance = 1e-5 * Math.Sqrt(k + 1) * Math.Max(largestMagnitude, 1e-30);
            string where = $"{context}, m={m}, n={n}, k={k}, transposeA={transposeA}, transposeB={transposeB}, alpha={alpha}, beta={beta}";
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    Assert.AreEqual(expected[i * n + j], c[i * ldc + j], tolerance, $"C[{i},{j}] ({where})");
                }

                for (int j = n; j < ldc; j++)
                {
                    Assert.IsTrue(float.IsNaN(c[i * ldc + j]), $"padding C[{i},{j}] was written ({where})");
                }
            }
        }

        private static float[] Values(Random random, int count)
        {
            float[] values = new float[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = (float)(random.NextDouble() * 2 - 1);
            }

            return values;
        }

        /// <summary>Stores a logical rows×cols matrix row-major, or its transpose, with row stride <paramref name="stride"/>.</summary>
        private static float[] Store(float[] logical, int rows, int cols, bool transposed, int stride)
        {
            int storedRows = transposed ? cols : rows;
            float[] stored = new float[Math.Max(0, storedRows * stride)];
            Array.Fill(stored, float.NaN);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    stored[transposed ? j * stride + i : i * stride + j] = logical[i * cols + j];
                }
            }

            return stored;
        }
    }
}
