using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>LeNet's two convolutions on MNIST, forward and both gradients, for a real batch (1024) and a distilled step (10).</summary>
public class ConvolutionBenchmarks : LeNetSizes
{
    private Conv2dGeometry geometry;
    private float[] x = [], w = [], y = [], dx = [], dw = [];

    [Params("conv1 1→6 28×28 pad 2", "conv2 6→16 14×14")]
    public string Layer { get; set; } = "conv1 1→6 28×28 pad 2";

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(Threads); // for the rest of this case: its setup and runs share one flow of execution
        geometry = Layer.StartsWith("conv1", StringComparison.Ordinal)
            ? new Conv2dGeometry(Batch, 1, 28, 28, 6, 5, 5, PadHeight: 2, PadWidth: 2)
            : new Conv2dGeometry(Batch, 6, 14, 14, 16, 5, 5);
        var random = new Random(1);
        x = RandomValues(random, geometry.Batch * geometry.InChannels * geometry.Height * geometry.Width);
        w = RandomValues(random, geometry.OutChannels * geometry.InChannels * geometry.KernelHeight * geometry.KernelWidth);
        y = RandomValues(random, geometry.Batch * geometry.OutChannels * geometry.OutHeight * geometry.OutWidth);
        dx = new float[x.Length];
        dw = new float[w.Length];
    }

    [Benchmark]
    public void Forward() => Convolution.Forward(geometry, x, w, y);

    [Benchmark]
    public void BackwardInput() => Convolution.BackwardInput(geometry, y, w, dx);

    [Benchmark]
    public void BackwardWeights() => Convolution.BackwardWeights(geometry, x, y, dw);
}
