using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Kernels;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>
/// The hot path of gradient matching, DSA and distribution matching: the papers' ConvNet (width 128, depth 3, instance
/// norm) forward + backward in the weights on a real batch of 256 MNIST-sized images. bench/convnet.py is the PyTorch
/// counterpart.
/// </summary>
[MemoryDiagnoser]
public class ConvNetBenchmarks
{
    private const int Batch = 256;
    private readonly ConvNet network = new(1, 28, 28, 10);
    private Tensor weights = null!, images = null!;
    private int[] labels = [];

    /// <summary>Threads the kernels may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(Threads); // for the rest of this case: its setup and runs share one flow of execution
        var random = new Random(1);
        weights = Tensor.FromArray(Initialization.Draw(network, InitScheme.PyTorchDefault, random), network.ParameterCount);
        images = Tensor.FromArray(Enumerable.Range(0, Batch * 784).Select(_ => random.NextSingle() - 0.5f).ToArray(), Batch, 1, 28, 28);
        labels = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
    }

    [Benchmark]
    public Tensor ForwardBackward()
    {
        Tensor w = weights.Detach().RequireGrad();
        return Autograd.Grad(Tensor.CrossEntropy(network.Forward(w, images), labels), [w])[0];
    }
}
