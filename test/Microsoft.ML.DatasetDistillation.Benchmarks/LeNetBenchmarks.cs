using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Kernels;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>
/// LeNet through the autodiff engine: forward + backward on a batch (1024 real images, or 10 distilled ones), and
/// the distillation step's gradient of a gradient on 10 images: g = ∇_w ℓ(x, w) recorded, then ∂⟨g, v⟩/∂(w, x).
/// </summary>
[MemoryDiagnoser]
public class LeNetBenchmarks : LeNetSizes
{
    private readonly LeNet network = new(1, 28, 28, 10);
    private Tensor weights = null!, images = null!, direction = null!;
    private int[] labels = [];

    [GlobalSetup]
    public void Setup()
    {
        KernelParallel.MaxThreads = Threads;
        var random = new Random(1);
        weights = Tensor.Wrap(Initialization.Draw(network, InitScheme.XavierNormal, random), network.ParameterCount);
        images = Tensor.Wrap(Enumerable.Range(0, Batch * 784).Select(_ => random.NextSingle()).ToArray(), Batch, 1, 28, 28);
        direction = Tensor.Wrap(Enumerable.Range(0, network.ParameterCount).Select(_ => random.NextSingle() - 0.5f).ToArray(), network.ParameterCount);
        labels = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
    }

    [Benchmark]
    public Tensor ForwardBackward()
    {
        Tensor w = weights.Detach().RequireGrad();
        return Autograd.Grad(Tensor.CrossEntropy(network.Forward(w, images), labels), [w])[0];
    }

    [Benchmark]
    public Tensor[] GradientOfGradient()
    {
        Tensor w = weights.Detach().RequireGrad(), x = images.Detach().RequireGrad();
        Tensor g = Autograd.Grad(Tensor.CrossEntropy(network.Forward(w, x), labels), [w], createGraph: true)[0];
        return Autograd.Grad([g], [direction], [w, x]);
    }
}
