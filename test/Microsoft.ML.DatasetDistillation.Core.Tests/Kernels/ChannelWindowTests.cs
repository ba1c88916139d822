using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Kernels;

[TestClass]
public sealed class ChannelWindowTests
{
    [TestMethod]
    [DataRow(1, 1, 1, 0, 0)]
    [DataRow(3, 5, 7, 2, 1)]    // PyTorch LRN size 4
    [DataRow(2, 5, 9, 2, 2)]    // LRN size 5
    [DataRow(1, 2, 3, 3, 5)]    // window wider than the channels
    [DataRow(3, 7, 33, 0, 3)]   // one-sided
    [DataRow(2, 64, 64, 2, 1)]
    public void SumMatchesNaiveReference(int batch, int channels, int spatial, int before, int after)
    {
        float[] x = KernelTestData.Random(batch * channels * spatial, seed: 1);
        var y = new float[x.Length];
        Array.Fill(y, float.NaN);

        ChannelWindow.Sum(batch, channels, spatial, before, after, x, y);

        double[] expected = NaiveSum(batch, channels, spatial, before, after, x);
        int window = before + after + 1;
        for (int i = 0; i < y.Length; i++)
        {
            Assert.AreEqual(expected[i], y[i], 2e-7 * window * window, $"element {i}");
        }
    }

    [TestMethod]
    [DataRow(3, 5, 7, 2, 1)]
    [DataRow(2, 6, 4, 0, 4)]
    [DataRow(1, 3, 5, 7, 0)]
    public void SwappingTheSidesGivesTheAdjoint(int batch, int channels, int spatial, int before, int after)
    {
        float[] x = KernelTestData.Random(batch * channels * spatial, seed: 2);
        float[] v = KernelTestData.Random(x.Length, seed: 3);
        var forward = new float[x.Length];
        var adjoint = new float[x.Length];

        ChannelWindow.Sum(batch, channels, spatial, before, after, x, forward);
        ChannelWindow.Sum(batch, channels, spatial, after, before, v, adjoint);

        Assert.AreEqual(KernelTestData.Dot(forward, v), KernelTestData.Dot(x, adjoint), 1e-4);
    }

    [TestMethod]
    public void ResultsDoNotDependOnThreadCount()
    {
        float[] x = KernelTestData.Random(32 * 64 * 256, seed: 4);

        int[] Run()
        {
            var y = new float[x.Length];
            ChannelWindow.Sum(32, 64, 256, 2, 1, x, y);
            return Array.ConvertAll(y, BitConverter.SingleToInt32Bits);
        }

        CollectionAssert.AreEqual(ThreadCount.With(1, Run), ThreadCount.With(2, Run));
    }

    [TestMethod]
    public void InvalidArgumentsNameTheShapes()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => ChannelWindow.Sum(2, 3, 4, 1, 1, new float[23], new float[24]));
        Assert.Contains("input has 23 elements but geometry [N=2, C=3, S=4] needs 24", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => ChannelWindow.Sum(2, 3, 4, 1, 1, new float[24], new float[25]));
        Assert.Contains("output has 25 elements but geometry [N=2, C=3, S=4] needs 24", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => ChannelWindow.Sum(2, 0, 4, 1, 1, [], []));
        Assert.Contains("channels ≥ 1 but it is 0", e.Message);

        e = Assert.ThrowsExactly<ArgumentException>(() => ChannelWindow.Sum(1, 1, 1, -1, 1, new float[1], new float[1]));
        Assert.Contains("before ≥ 0 but it is -1", e.Message);
    }

    private static double[] NaiveSum(int batch, int channels, int spatial, int before, int after, float[] x)
    {
        var y = new double[x.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int other = c - before; other <= c + after; other++)
                {
                    if (other < 0 || other >= channels)
                    {
                        continue;
                    }

                    for (int s = 0; s < spatial; s++)
                    {
                        y[(n * channels + c) * spatial + s] += x[(n * channels + other) * spatial + s];
                    }
                }
            }
        }

        return y;
    }
}
