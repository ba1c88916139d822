using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>
/// The three 3×3 convolutions of the successor papers' ConvNet (width 128; the first pads MNIST's 28×28 by 3 to 32×32
/// maps, the others pad by 1) on a real batch of 256 MNIST-sized images, forward and both gradients, at one thread: the
/// kernels that dominate gradient matching's iteration.
/// </summary>
public class ConvNetConvolutionBenchmarks
{
    private const int Batch = 256;
    private ConvolutionCase convolution = null!;

    [Params("conv1 1→128 28×28 pad 3", "conv2 128→128 16×16", "conv3 128→128 8×8")]
    public string Layer { get; set; } = "conv1 1→128 28×28 pad 3";

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(1); // for the rest of this case: its setup and runs share one flow of execution
        (int inChannels, int size, int padding) = Layer[..5] switch { "conv1" => (1, 28, 3), "conv2" => (128, 16, 1), _ => (128, 8, 1) };
        convolution = new ConvolutionCase(new Conv2dGeometry(Batch, inChannels, size, size, 128, 3, 3, PadHeight: padding, PadWidth: padding));
    }

    [Benchmark]
    public void Forward() => convolution.Forward();

    [Benchmark]
    public void BackwardInput() => convolution.BackwardInput();

    [Benchmark]
    public void BackwardWeights() => convolution.BackwardWeights();
}
