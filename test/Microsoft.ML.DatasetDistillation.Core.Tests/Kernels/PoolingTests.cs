using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Kernels;

[TestClass]
public sealed class PoolingTests
{
    /// <summary>Odd shapes: N, C, H, W, KH, KW, stride h, stride w, pad h, pad w.</summary>
    public static IEnumerable<object[]> Shapes =>
    [
        [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],    // 1×1 image and kernel
        [3, 2, 5, 5, 5, 5, 1, 1, 0, 0],    // kernel = image
        [2, 6, 28, 28, 2, 2, 2, 2, 0, 0],  // LeNet pool 1
        [3, 16, 10, 10, 2, 2, 2, 2, 0, 0], // LeNet pool 2
        [2, 3, 9, 19, 2, 2, 2, 2, 0, 0],   // 2×2 pairs path: odd sizes leave a row and a column out, last block overlaps
        [2, 5, 9, 7, 3, 3, 2, 2, 1, 1],    // overlapping windows with padding
        [1, 2, 8, 11, 2, 3, 1, 3, 1, 1],   // non-square kernel, stride 3
        [3, 1, 10, 10, 4, 5, 3, 3, 2, 2],  // padding 2
        [1, 1, 7, 6, 3, 3, 3, 3, 0, 0],    // stride 3, ragged edge
    ];

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void MaxForwardMatchesNaiveReference(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Pool2dGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 1);
        int outputs = n * c * g.OutHeight * g.OutWidth;
        var y = new float[outputs];
        var argmax = new int[outputs];

        Pooling.MaxForward(g, x, y, argmax);

        var (expected, expectedArgmax) = NaiveMax(g, x);
        CollectionAssert.AreEqual(expected, y);
        CollectionAssert.AreEqual(expectedArgmax, argmax);
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void MaxForwardKeepsTheFirstOfTiesAndNaNs(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        // Few distinct values make ties common; NaN, −0 and −∞ check the comparison semantics of every code path.
        float[] palette = [float.NegativeInfinity, -1, -0f, 0, 1, float.NaN];
        var random = new Random(12);
        float[] x = Enumerable.Range(0, n * c * h * w).Select(_ => palette[random.Next(palette.Length)]).ToArray();
        var g = new Pool2dGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        int outputs = n * c * g.OutHeight * g.OutWidth;
        var y = new float[outputs];
        var argmax = new int[outputs];

        Pooling.MaxForward(g, x, y, argmax);

        var (expected, expectedArgmax) = NaiveMax(g, x);
        CollectionAssert.AreEqual(expectedArgmax, argmax);
        CollectionAssert.AreEqual(Bits(expected), Bits(y));
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void MaxBackwardScatterAddsAtArgmax(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Pool2dGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 2);
        int outputs = n * c * g.OutHeight * g.OutWidth;
        var argmax = new int[outputs];
        Pooling.MaxForward(g, x, new float[outputs], argmax);
        float[] dy = KernelTestData.Random(outputs, seed: 3);
        var dx = new float[x.Length];
        Array.Fill(dx, float.NaN);

        Pooling.MaxBackward(g, dy, argmax, dx);

        var expected = new double[x.Length];
        for (int i = 0; i < outputs; i++)
        {
            expected[argmax[i]] += dy[i];
        }

        for (int i = 0; i < x.Length; i++)
        {
            Assert.AreEqual(expected[i], dx[i], 1e-6, $"element {i}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void GatherIsTheAdjointOfMaxBackward(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Pool2dGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 4);
        int outputs = n * c * g.OutHeight * g.OutWidth;
        var argmax = new int[outputs];
        Pooling.MaxForward(g, x, new float[outputs], argmax);
        float[] dy = KernelTestData.Random(outputs, seed: 5);
        float[] v = KernelTestData.Random(x.Length, seed: 6);
        var scattered = new float[x.Length];
        var gathered = new float[outputs];

        Pooling.MaxBackward(g, dy, argmax, scattered);
        Pooling.GatherByArgmax(v, argmax, gathered);

        for (int i = 0; i < outputs; i++)
        {
            Assert.AreEqual(v[argmax[i]], gathered[i]);
        }

        Assert.AreEqual(KernelTestData.Dot(scattered, v), KernelTestData.Dot(dy, gathered), 1e-5 * (outputs + 1));
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void AverageForwardMatchesNaiveReference(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Pool2dGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 7);
        var y = new float[n * c * g.OutHeight * g.OutWidth];

        Pooling.AverageForward(g, x, y);

        double[] expected = NaiveAverage(g, x);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.AreEqual(expected[i], y[i], 1e-6, $"element {i}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void AverageBackwardIsTheAdjointOfAverageForward(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Pool2dGeometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 8);
        float[] dy = KernelTestData.Random(n * c * g.OutHeight * g.OutWidth, seed: 9);
        var y = new float[dy.Length];
        var dx = new float[x.Length];
        Array.Fill(dx, float.NaN);

        Pooling.AverageForward(g, x, y);
        Pooling.AverageBackward(g, dy, dx);

        // Exact adjoint: dx = Aᵀ dy element by element, with A the reference averaging matrix.
        var expected = new double[x.Length];
        ForEachWindowTap(g, (output, input) => expected[input] += dy[output] / (double)(kh * kw));
        for (int i = 0; i < x.Length; i++)
        {
            Assert.AreEqual(expected[i], dx[i], 1e-6, $"element {i}");
        }

        Assert.AreEqual(KernelTestData.Dot(y, dy), KernelTestData.Dot(x, dx), 1e-5 * (x.Length + 1));
    }

    [TestMethod]
    public void MaxTiesPickTheFirstElementAndPaddingNeverWins()
    {
        // All −∞ (as padding): argmax must still be a real input element, the first of each window.
        var g = new Pool2dGeometry(1, 1, 3, 3, 3, 3, 2, 2, 1, 1);
        float[] x = Enumerable.Repeat(float.NegativeInfinity, 9).ToArray();
        var y = new float[4];
        var argmax = new int[4];

        Pooling.MaxForward(g, x, y, argmax);

        CollectionAssert.AreEqual(new[] { 0, 1, 3, 4 }, argmax);
        CollectionAssert.AreEqual(new[] { float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity }, y);

        float[] ties = [5, 5, 1, 5];
        Pooling.MaxForward(new Pool2dGeometry(1, 1, 2, 2, 2, 2, 1, 1), ties, y.AsSpan(0, 1), argmax.AsSpan(0, 1));
        Assert.AreEqual(0, argmax[0]);
    }

    [TestMethod]
    public void MaxPropagatesTheFirstNaN()
    {
        float[] x = [1, float.NaN, 7, float.NaN];
        var y = new float[1];
        var argmax = new int[1];

        Pooling.MaxForward(new Pool2dGeometry(1, 1, 2, 2, 2, 2, 2, 2), x, y, argmax);

        Assert.IsTrue(float.IsNaN(y[0]));
        Assert.AreEqual(1, argmax[0]);
    }

    [TestMethod]
    public void ResultsDoNotDependOnThreadCount()
    {
        var g = new Pool2dGeometry(64, 6, 28, 28, 3, 3, 2, 2, 1, 1);
        float[] x = KernelTestData.Random(64 * 6 * 28 * 28, seed: 10);
        int outputs = 64 * 6 * g.OutHeight * g.OutWidth;
        float[] dy = KernelTestData.Random(outputs, seed: 11);

        int[] Run()
        {
            var y = new float[outputs];
            var argmax = new int[outputs];
            var dx = new float[x.Length];
            var average = new float[outputs];
            var averageDx = new float[x.Length];
            Pooling.MaxForward(g, x, y, argmax);
            Pooling.MaxBackward(g, dy, argmax, dx);
            Pooling.AverageForward(g, x, average);
            Pooling.AverageBackward(g, dy, averageDx);
            return [.. Bits(y), .. argmax, .. Bits(dx), .. Bits(average), .. Bits(averageDx)];
        }

        CollectionAssert.AreEqual(ThreadCount.With(1, Run), ThreadCount.With(2, Run));
    }

    [TestMethod]
    public void InvalidArgumentsNameTheShapes()
    {
        var g = new Pool2dGeometry(2, 6, 28, 28, 2, 2, 2, 2);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.MaxForward(g, new float[100], new float[2 * 6 * 196], new int[2 * 6 * 196]));
        Assert.Contains("input has 100 elements but geometry [N=2, C=6, H=28, W=28] needs 9408", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.MaxForward(g, new float[9408], new float[2 * 6 * 196], new int[5]));
        Assert.Contains("argmax has 5 elements but geometry [N=2, C=6, OH=14, OW=14] needs 2352", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.AverageBackward(g, new float[3], new float[9408]));
        Assert.Contains("outputGradient has 3 elements but geometry [N=2, C=6, OH=14, OW=14] needs 2352", e.Message);

        var widePad = new Pool2dGeometry(1, 1, 5, 5, 3, 3, 1, 1, 2, 2);
        e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.AverageForward(widePad, new float[25], new float[49]));
        Assert.Contains("more than half the kernel", e.Message);

        var tooBig = new Pool2dGeometry(1, 1, 2, 4, 3, 3, 1, 1);
        e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.AverageForward(tooBig, new float[8], new float[2]));
        Assert.Contains("kernel height 3 is larger than the padded input height 2 + 2·0 = 2", e.Message);

        var zeroStride = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 0, 2);
        e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.AverageForward(zeroStride, new float[16], new float[4]));
        Assert.Contains("StrideHeight ≥ 1 but it is 0", e.Message);
    }

    [TestMethod]
    public void ArgmaxOutsideItsPlaneIsRejected()
    {
        var g = new Pool2dGeometry(1, 2, 2, 2, 2, 2, 2, 2);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.MaxBackward(g, new float[2], [0, 2], new float[8]));
        Assert.Contains("argmax[1] = 2 lies outside plane 1", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.GatherByArgmax(new float[8], [0, 8], new float[2]));
        Assert.Contains("argmax[1] = 8 is outside inputShaped, which has 8 elements", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => Pooling.GatherByArgmax(new float[8], [0, 1], new float[3]));
        Assert.Contains("argmax has 2 elements but outputShaped has 3", e.Message);
    }

    private static (float[] Values, int[] Argmax) NaiveMax(Pool2dGeometry g, float[] x)
    {
        int outputs = g.Batch * g.Channels * g.OutHeight * g.OutWidth;
        var y = new float[outputs];
        var argmax = new int[outputs];
        var best = new double[outputs];
        Array.Fill(best, double.NegativeInfinity);
        Array.Fill(argmax, -1);
        ForEachWindowTap(g, (output, input) =>
        {
            bool nanWins = double.IsNaN(x[input]) && !double.IsNaN(best[output]);
            if (argmax[output] < 0 || x[input] > best[output] || nanWins)
            {
                best[output] = x[input];
                argmax[output] = input;
                y[output] = x[input];
            }
        });
        return (y, argmax);
    }

    private static double[] NaiveAverage(Pool2dGeometry g, float[] x)
    {
        var y = new double[g.Batch * g.Channels * g.OutHeight * g.OutWidth];
        ForEachWindowTap(g, (output, input) => y[output] += x[input]);
        for (int i = 0; i < y.Length; i++)
        {
            y[i] /= g.KernelHeight * g.KernelWidth;
        }

        return y;
    }

    /// <summary>Calls body(output index, input index) for every non-padding element of every window, in row-major window order.</summary>
    private static void ForEachWindowTap(Pool2dGeometry g, Action<int, int> body)
    {
        int output = 0;
        for (int plane = 0; plane < g.Batch * g.Channels; plane++)
        {
            for (int i = 0; i < g.OutHeight; i++)
            {
                for (int j = 0; j < g.OutWidth; j++, output++)
                {
                    for (int kh = 0; kh < g.KernelHeight; kh++)
                    {
                        for (int kw = 0; kw < g.KernelWidth; kw++)
                        {
                            int h = i * g.StrideHeight - g.PadHeight + kh, w = j * g.StrideWidth - g.PadWidth + kw;
                            if (h >= 0 && h < g.Height && w >= 0 && w < g.Width)
                            {
                                body(output, (plane * g.Height + h) * g.Width + w);
                            }
                        }
                    }
                }
            }
        }
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
