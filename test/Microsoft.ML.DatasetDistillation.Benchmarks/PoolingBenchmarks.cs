using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>LeNet's two 2×2 max poolings on MNIST, forward and backward, for a real batch (1024) and a distilled step (10).</summary>
public class PoolingBenchmarks : LeNetSizes
{
    private Pool2dGeometry geometry;
    private float[] x = [], y = [], dx = [];
    private int[] argmax = [];

    [Params("pool1 6×28×28", "pool2 16×10×10")]
    public string Layer { get; set; } = "pool1 6×28×28";

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(Threads); // for the rest of this case: its setup and runs share one flow of execution
        geometry = Layer.StartsWith("pool1", StringComparison.Ordinal)
            ? new Pool2dGeometry(Batch, 6, 28, 28, 2, 2, 2, 2)
            : new Pool2dGeometry(Batch, 16, 10, 10, 2, 2, 2, 2);
        var random = new Random(1);
        x = RandomValues(random, Batch * geometry.Channels * geometry.Height * geometry.Width);
        y = new float[Batch * geometry.Channels * geometry.OutHeight * geometry.OutWidth];
        argmax = new int[y.Length];
        dx = new float[x.Length];
        Pooling.MaxForward(geometry, x, y, argmax);
    }

    [Benchmark]
    public void MaxForward() => Pooling.MaxForward(geometry, x, y, argmax);

    [Benchmark]
    public void MaxBackward() => Pooling.MaxBackward(geometry, y, argmax, dx);
}
