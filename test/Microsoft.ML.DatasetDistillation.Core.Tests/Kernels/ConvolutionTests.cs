using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Kernels;

[TestClass]
public sealed class ConvolutionTests
{
    /// <summary>Unit round-off of float: error bounds below are a small multiple of (terms summed) · u · Σ|term|.</summary>
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>Odd shapes: N, C, H, W, O, KH, KW, stride h, stride w, pad h, pad w.</summary>
    public static IEnumerable<object[]> Shapes =>
    [
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],     // 1×1 image and kernel
        [3, 2, 5, 5, 3, 5, 5, 1, 1, 0, 0],     // kernel = image
        [1, 1, 4, 3, 2, 1, 1, 1, 1, 2, 1],     // padding wider than a 1×1 kernel
        [2, 2, 4, 3, 2, 1, 2, 1, 1, 2, 2],     // padding ≥ kernel: rows longer than the padded width
        [3, 2, 7, 9, 4, 3, 3, 2, 2, 1, 1],     // stride 2, padding 1
        [1, 5, 10, 8, 2, 3, 2, 3, 3, 0, 1],    // stride 3, non-square kernel
        [2, 2, 3, 3, 2, 3, 3, 2, 2, 2, 2],     // stride 2 with padding 2: some taps see only padding
        [3, 1, 6, 5, 5, 5, 3, 1, 1, 2, 1],     // padding 2
        [2, 5, 9, 13, 7, 3, 4, 2, 1, 2, 1],    // non-square everything, 7 = 6 + 1 output rows
        [1, 2, 11, 40, 13, 3, 3, 1, 1, 1, 1],  // 13 = 6 + 6 + 1 rows, wide tiles
        [3, 1, 12, 30, 1, 3, 5, 1, 1, 1, 2],   // one output channel: wide single-row tiles
        [2, 12, 7, 7, 3, 5, 5, 1, 1, 2, 2],    // reduction 300 > one 256 block
        [2, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2],   // LeNet conv1
        [3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0],  // LeNet conv2
        [1, 3, 32, 32, 4, 5, 5, 1, 1, 2, 2],   // CIFAR conv1, fewer output channels
        [2, 1, 28, 28, 13, 3, 3, 1, 1, 3, 3],  // ConvNet conv1 on MNIST: padding 3, the outer ring sees only padding
    ];

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void ForwardMatchesNaiveReference(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, o, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 1);
        float[] weights = KernelTestData.Random(o * c * kh * kw, seed: 2);
        var y = new float[n * o * g.OutHeight * g.OutWidth];
        Array.Fill(y, float.NaN); // must be overwritten

        Convolution.Forward(g, x, weights, [], y);

        var (expected, magnitude) = NaiveForward(g, x, weights);
        AssertClose(expected, magnitude, y, c * kh * kw);
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void ForwardWithBiasGivesTheBitsOfForwardThenBias(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, o, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 1);
        float[] weights = KernelTestData.Random(o * c * kh * kw, seed: 2), bias = KernelTestData.Random(o, seed: 3);
        int plane = g.OutHeight * g.OutWidth;
        float[] expected = new float[n * o * plane], fused = new float[expected.Length];
        Array.Fill(fused, float.NaN); // must be overwritten

        Convolution.Forward(g, x, weights, [], expected);
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] += bias[i / plane % o];
        }

        Convolution.Forward(g, x, weights, bias, fused);

        CollectionAssert.AreEqual(expected, fused);
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void BackwardInputMatchesNaiveReference(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, o, kh, kw, sh, sw, ph, pw);
        float[] dy = KernelTestData.Random(n * o * g.OutHeight * g.OutWidth, seed: 3);
        float[] weights = KernelTestData.Random(o * c * kh * kw, seed: 4);
        var dx = new float[n * c * h * w];
        Array.Fill(dx, float.NaN);

        Convolution.BackwardInput(g, dy, weights, dx);

        var (expected, magnitude) = NaiveBackwardInput(g, dy, weights);
        AssertClose(expected, magnitude, dx, o * kh * kw);
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void BackwardWeightsMatchesNaiveReference(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Conv2dGeometry(n, c, h, w, o, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 5);
        float[] dy = KernelTestData.Random(n * o * g.OutHeight * g.OutWidth, seed: 6);
        var dw = new float[o * c * kh * kw];
        Array.Fill(dw, float.NaN);

        Convolution.BackwardWeights(g, x, dy, dw);

        var (expected, magnitude) = NaiveBackwardWeights(g, x, dy);
        AssertClose(expected, magnitude, dw, n * g.OutHeight * g.OutWidth);
    }

    [TestMethod]
    [DynamicData(nameof(Shapes))]
    public void BackwardKernelsAreAdjointsOfForward(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        // ⟨Forward(x, W), y⟩ = ⟨x, BackwardInput(y, W)⟩ = ⟨W, BackwardWeights(x, y)⟩
        var g = new Conv2dGeometry(n, c, h, w, o, kh, kw, sh, sw, ph, pw);
        float[] x = KernelTestData.Random(n * c * h * w, seed: 7);
        float[] weights = KernelTestData.Random(o * c * kh * kw, seed: 8);
        float[] y = KernelTestData.Random(n * o * g.OutHeight * g.OutWidth, seed: 9);
        var forward = new float[y.Length];
        var dx = new float[x.Length];
        var dw = new float[weights.Length];

        Convolution.Forward(g, x, weights, [], forward);
        Convolution.BackwardInput(g, y, weights, dx);
        Convolution.BackwardWeights(g, x, y, dw);

        double reference = KernelTestData.Dot(forward, y);
        double scale = AbsDot(forward, y) + 1;
        Assert.AreEqual(reference, KernelTestData.Dot(x, dx), 1e-5 * scale);
        Assert.AreEqual(reference, KernelTestData.Dot(weights, dw), 1e-5 * scale);
    }

    [TestMethod]
    [DataRow(32, 1, 28, 28, 6, 2)]   // LeNet conv1: enough images for two threads
    [DataRow(40, 6, 14, 14, 16, 0)]  // LeNet conv2: several weight-gradient groups
    [DataRow(7, 3, 11, 11, 5, 1)]    // too small to split: must still agree
    public void ResultsDoNotDependOnThreadCount(int n, int c, int size, int size2, int o, int pad)
    {
        var g = new Conv2dGeometry(n, c, size, size2, o, 5, 5, PadHeight: pad, PadWidth: pad);
        float[] x = KernelTestData.Random(n * c * size * size2, seed: 10);
        float[] weights = KernelTestData.Random(o * c * 25, seed: 11);
        float[] dy = KernelTestData.Random(n * o * g.OutHeight * g.OutWidth, seed: 12);

        float[][] Run()
        {
            var y = new float[dy.Length];
            var dx = new float[x.Length];
            var dw = new float[weights.Length];
            Convolution.Forward(g, x, weights, [], y);
            Convolution.BackwardInput(g, dy, weights, dx);
            Convolution.BackwardWeights(g, x, dy, dw);
            return [y, dx, dw];
        }

        float[][] single = ThreadCount.With(1, Run);
        float[][] two = ThreadCount.With(2, Run);
        for (int i = 0; i < single.Length; i++)
        {
            CollectionAssert.AreEqual(Bits(single[i]), Bits(two[i]), $"result {i} differs between 1 and 2 threads");
        }
    }

    [TestMethod]
    public void StridedResultsDoNotDependOnThreadCount()
    {
        var g = new Conv2dGeometry(24, 4, 17, 15, 8, 3, 3, 2, 2, 1, 1);
        float[] x = KernelTestData.Random(24 * 4 * 17 * 15, seed: 13);
        float[] dy = KernelTestData.Random(24 * 8 * g.OutHeight * g.OutWidth, seed: 14);
        float[] weights = KernelTestData.Random(8 * 4 * 9, seed: 15);

        float[] BackwardInput()
        {
            var dx = new float[x.Length];
            Convolution.BackwardInput(g, dy, weights, dx);
            return dx;
        }

        float[] BackwardWeights()
        {
            var dw = new float[weights.Length];
            Convolution.BackwardWeights(g, x, dy, dw);
            return dw;
        }

        CollectionAssert.AreEqual(Bits(ThreadCount.With(1, BackwardInput)), Bits(ThreadCount.With(2, BackwardInput)));
        CollectionAssert.AreEqual(Bits(ThreadCount.With(1, BackwardWeights)), Bits(ThreadCount.With(2, BackwardWeights)));
    }

    [TestMethod]
    public void ShortInputNamesTheShapes()
    {
        var g = new Conv2dGeometry(1, 1, 28, 28, 6, 5, 5, PadHeight: 2, PadWidth: 2);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.Forward(g, new float[700], new float[150], [], new float[6 * 784]));
        Assert.Contains("input has 700 elements but geometry [N=1, C=1, H=28, W=28] needs 784", e.Message);
    }

    [TestMethod]
    public void WrongWeightAndOutputLengthsNameTheShapes()
    {
        var g = new Conv2dGeometry(2, 6, 14, 14, 16, 5, 5);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.Forward(g, new float[2 * 6 * 196], new float[100], [], new float[2 * 16 * 100]));
        Assert.Contains("weights has 100 elements but geometry [O=16, C=6, KH=5, KW=5] needs 2400", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.Forward(g, new float[2 * 6 * 196], new float[2400], new float[15], new float[2 * 16 * 100]));
        Assert.Contains("bias has 15 elements but geometry [O=16] needs 16", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.BackwardInput(g, new float[10], new float[2400], new float[2 * 6 * 196]));
        Assert.Contains("outputGradient has 10 elements but geometry [N=2, O=16, OH=10, OW=10] needs 3200", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.BackwardWeights(g, new float[2 * 6 * 196], new float[3200], new float[2401]));
        Assert.Contains("weightGradient has 2401 elements but geometry [O=16, C=6, KH=5, KW=5] needs 2400", e.Message);
    }

    [TestMethod]
    public void NonPositiveSizesAndOversizedKernelsAreRejected()
    {
        var zeroBatch = new Conv2dGeometry(0, 1, 4, 4, 1, 3, 3);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.Forward(zeroBatch, [], new float[9], [], []));
        Assert.Contains("Batch ≥ 1 but it is 0", e.Message);

        var zeroStride = new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, StrideHeight: 0);
        e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.Forward(zeroStride, new float[16], new float[9], [], new float[4]));
        Assert.Contains("StrideHeight ≥ 1 but it is 0", e.Message);

        var negativePad = new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, PadWidth: -1);
        e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.Forward(negativePad, new float[16], new float[9], [], new float[4]));
        Assert.Contains("PadWidth ≥ 0 but it is -1", e.Message);

        var tooBig = new Conv2dGeometry(1, 1, 3, 8, 1, 6, 3, PadHeight: 1);
        e = Assert.ThrowsExactly<ArgumentException>(() => Convolution.BackwardWeights(tooBig, new float[24], new float[6], new float[18]));
        Assert.Contains("kernel height 6 is larger than the padded input height 3 + 2·1 = 5", e.Message);
    }

    private static (double[] Values, double[] Magnitudes) NaiveForward(Conv2dGeometry g, float[] x, float[] w)
    {
        int oh = g.OutHeight, ow = g.OutWidth;
        var y = new double[g.Batch * g.OutChannels * oh * ow];
        var m = new double[y.Length];
        for (int n = 0; n < g.Batch; n++)
        {
            for (int o = 0; o < g.OutChannels; o++)
            {
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++)
                    {
                        int at = ((n * g.OutChannels + o) * oh + i) * ow + j;
                        foreach (var (xi, wi) in Taps(g, n, o, i, j))
                        {
                            y[at] += (double)x[xi] * w[wi];
                            m[at] += Math.Abs((double)x[xi] * w[wi]);
                        }
                    }
                }
            }
        }

        return (y, m);
    }

    private static (double[] Values, double[] Magnitudes) NaiveBackwardInput(Conv2dGeometry g, float[] dy, float[] w)
    {
        var dx = new double[g.Batch * g.InChannels * g.Height * g.Width];
        var m = new double[dx.Length];
        ForEachOutput(g, (n, o, i, j, at) =>
        {
            foreach (var (xi, wi) in Taps(g, n, o, i, j))
            {
                dx[xi] += (double)dy[at] * w[wi];
                m[xi] += Math.Abs((double)dy[at] * w[wi]);
            }
        });
        return (dx, m);
    }

    private static (double[] Values, double[] Magnitudes) NaiveBackwardWeights(Conv2dGeometry g, float[] x, float[] dy)
    {
        var dw = new double[g.OutChannels * g.InChannels * g.KernelHeight * g.KernelWidth];
        var m = new double[dw.Length];
        ForEachOutput(g, (n, o, i, j, at) =>
        {
            foreach (var (xi, wi) in Taps(g, n, o, i, j))
            {
                dw[wi] += (double)dy[at] * x[xi];
                m[wi] += Math.Abs((double)dy[at] * x[xi]);
            }
        });
        return (dw, m);
    }

    private static void ForEachOutput(Conv2dGeometry g, Action<int, int, int, int, int> body)
    {
        int at = 0;
        for (int n = 0; n < g.Batch; n++)
        {
            for (int o = 0; o < g.OutChannels; o++)
            {
                for (int i = 0; i < g.OutHeight; i++)
                {
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        body(n, o, i, j, at++);
                    }
                }
            }
        }
    }

    /// <summary>(input index, weight index) of every non-padding term of output (n, o, i, j).</summary>
    private static IEnumerable<(int Input, int Weight)> Taps(Conv2dGeometry g, int n, int o, int i, int j)
    {
        for (int c = 0; c < g.InChannels; c++)
        {
            for (int kh = 0; kh < g.KernelHeight; kh++)
            {
                for (int kw = 0; kw < g.KernelWidth; kw++)
                {
                    int ih = i * g.StrideHeight - g.PadHeight + kh;
                    int iw = j * g.StrideWidth - g.PadWidth + kw;
                    if (ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width)
                    {
                        yield return ((((n * g.InChannels) + c) * g.Height + ih) * g.Width + iw,
                            ((o * g.InChannels + c) * g.KernelHeight + kh) * g.KernelWidth + kw);
                    }
                }
            }
        }
    }

    private static void AssertClose(double[] expected, double[] magnitudes, float[] actual, int termsPerElement)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 2 * termsPerElement * Unit * magnitudes[i] + 1e-30;
            Assert.AreEqual(expected[i], actual[i], tolerance, $"element {i}");
        }
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private static double AbsDot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs((double)a[i] * b[i]);
        }

        return sum;
    }
}
