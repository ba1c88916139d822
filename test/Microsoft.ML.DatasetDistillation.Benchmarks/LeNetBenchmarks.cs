using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Kernels;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>
/// LeNet through the autodiff engine: forward + backward on a batch (1024 real images, or 10 distilled ones), and
/// the distillation step's gradient of a gradient on 10 images: g = ∇_w ℓ(x, w) recorded, then ∂⟨g, v⟩/∂(w, x).
/// Each call runs inside a tensor arena, as the distiller's passes do, so its large buffers are reused rather than
/// fresh from the garbage collector (the Gen 0/1/2 columns show what is left).
/// </summary>
[MemoryDiagnoser]
public class LeNetBenchmarks : LeNetSizes
{
    private readonly LeNet network = new(1, 28, 28, 10);
    private readonly TensorArena arena = new();
    private Tensor weights = null!, images = null!, direction = null!;
    private int[] labels = [];

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(Threads); // for the rest of this case: its setup and runs share one flow of execution
        var random = new Random(1);
        weights = Tensor.FromArray(Initialization.Draw(network, InitScheme.XavierNormal, random), network.ParameterCount);
        images = Tensor.FromArray(Enumerable.Range(0, Batch * 784).Select(_ => random.NextSingle()).ToArray(), Batch, 1, 28, 28);
        direction = Tensor.FromArray(Enumerable.Range(0, network.ParameterCount).Select(_ => random.NextSingle() - 0.5f).ToArray(), network.ParameterCount);
        labels = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
    }

    [Benchmark]
    public float ForwardBackward()
    {
        using TensorArena.Scope _ = arena.Enter();
        Tensor w = weights.Detach().RequireGrad();
        return Autograd.Grad(Tensor.CrossEntropy(network.Forward(w, images), labels), [w])[0].Data[0];
    }

    [Benchmark]
    public float GradientOfGradient()
    {
        using TensorArena.Scope _ = arena.Enter();
        Tensor w = weights.Detach().RequireGrad(), x = images.Detach().RequireGrad();
        Tensor g = Autograd.Grad(Tensor.CrossEntropy(network.Forward(w, x), labels), [w], createGraph: true)[0];
        Tensor[] second = Autograd.Grad([g], [direction], [w, x]);
        return second[0].Data[0] + second[1].Data[0];
    }
}
