using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Kernels;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>
/// The hot paths of the successor methods on the papers' ConvNet (width 128, depth 3, instance norm): forward + backward
/// in the weights on a real batch of 256 MNIST-sized images (gradient matching, DSA, distribution matching), and the
/// gradient of a gradient on 10 synthetic images (one student step of trajectory matching's backward pass, the synthetic
/// side of gradient matching). bench/convnet.py is the PyTorch counterpart.
/// </summary>
[MemoryDiagnoser]
public class ConvNetBenchmarks
{
    private const int Batch = 256;
    private readonly ConvNet network = new(1, 28, 28, 10);
    private const int SyntheticBatch = 10;
    private Tensor weights = null!, images = null!, synthetic = null!, direction = null!;
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
        synthetic = Tensor.FromArray(Enumerable.Range(0, SyntheticBatch * 784).Select(_ => random.NextSingle() - 0.5f).ToArray(), SyntheticBatch, 1, 28, 28);
        direction = Tensor.FromArray(Enumerable.Range(0, network.ParameterCount).Select(_ => random.NextSingle() - 0.5f).ToArray(), network.ParameterCount);
    }

    [Benchmark]
    public Tensor ForwardBackward()
    {
        Tensor w = weights.Detach().RequireGrad();
        return Autograd.Grad(Tensor.CrossEntropy(network.Forward(w, images), labels), [w])[0];
    }

    /// <summary>g = ∇_w ℓ(x; w) recorded with its graph, then vᵀ∂g/∂(w, x) for a fixed v: 10 images.</summary>
    [Benchmark]
    public Tensor[] GradientOfGradient()
    {
        Tensor w = weights.Detach().RequireGrad(), x = synthetic.Detach().RequireGrad();
        Tensor g = Autograd.Grad(Tensor.CrossEntropy(network.Forward(w, x), labels[..SyntheticBatch]), [w], createGraph: true)[0];
        return Autograd.Grad([g], [direction], [w, x]);
    }
}
