using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>LeNet's two convolutions on MNIST, forward and both gradients, for a real batch (1024) and a distilled step (10).</summary>
public class ConvolutionBenchmarks : LeNetSizes
{
    private ConvolutionCase convolution = null!;

    [Params("conv1 1→6 28×28 pad 2", "conv2 6→16 14×14")]
    public string Layer { get; set; } = "conv1 1→6 28×28 pad 2";

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(Threads); // for the rest of this case: its setup and runs share one flow of execution
        convolution = new ConvolutionCase(Layer.StartsWith("conv1", StringComparison.Ordinal)
            ? new Conv2dGeometry(Batch, 1, 28, 28, 6, 5, 5, PadHeight: 2, PadWidth: 2)
            : new Conv2dGeometry(Batch, 6, 14, 14, 16, 5, 5));
    }

    [Benchmark]
    public void Forward() => convolution.Forward();

    [Benchmark]
    public void BackwardInput() => convolution.BackwardInput();

    [Benchmark]
    public void BackwardWeights() => convolution.BackwardWeights();
}
