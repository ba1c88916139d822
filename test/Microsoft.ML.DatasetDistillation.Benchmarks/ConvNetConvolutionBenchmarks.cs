using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>
/// The three 3×3 convolutions of the successor papers' ConvNet (width 128, padding 1) on a real batch of 256 MNIST-sized
/// images, forward and both gradients, at one thread: the kernels that dominate gradient matching's iteration.
/// </summary>
public class ConvNetConvolutionBenchmarks
{
    private const int Batch = 256;
    private ConvolutionCase convolution = null!;

    [Params("conv1 1→128 28×28", "conv2 128→128 14×14", "conv3 128→128 7×7")]
    public string Layer { get; set; } = "conv1 1→128 28×28";

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(1); // for the rest of this case: its setup and runs share one flow of execution
        (int inChannels, int size) = Layer[..5] switch { "conv1" => (1, 28), "conv2" => (128, 14), _ => (128, 7) };
        convolution = new ConvolutionCase(new Conv2dGeometry(Batch, inChannels, size, size, 128, 3, 3, PadHeight: 1, PadWidth: 1));
    }

    [Benchmark]
    public void Forward() => convolution.Forward();

    [Benchmark]
    public void BackwardInput() => convolution.BackwardInput();

    [Benchmark]
    public void BackwardWeights() => convolution.BackwardWeights();
}
