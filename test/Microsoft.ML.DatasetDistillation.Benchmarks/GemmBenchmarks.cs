using BenchmarkDotNet.Attributes;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>
/// SGEMM throughput. GFLOP/s = 2·m·n·k / mean time. Square sizes, then the LeNet layer products at batch 1024:
/// fc1 forward (1024×120×400), its weight gradient (120×400×1024, Aᵀ), fc2 forward (1024×84×120).
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] a = [], b = [], c = [];

    [Params("128³", "256³", "512³", "1024³", "fc1 1024×120×400 (A·Bᵀ)", "fc1 grad 120×400×1024 (Aᵀ·B)", "fc2 1024×84×120 (A·Bᵀ)")]
    public string Shape { get; set; } = "512³";

    [Params(1, 2)]
    public int Threads { get; set; }

    private (int M, int N, int K, bool TransposeA, bool TransposeB) Dims => Shape switch
    {
        "128³" => (128, 128, 128, false, false),
        "256³" => (256, 256, 256, false, false),
        "512³" => (512, 512, 512, false, false),
        "1024³" => (1024, 1024, 1024, false, false),
        "fc1 1024×120×400 (A·Bᵀ)" => (1024, 120, 400, false, true),
        "fc1 grad 120×400×1024 (Aᵀ·B)" => (120, 400, 1024, true, false),
        _ => (1024, 84, 120, false, true),
    };

    [GlobalSetup]
    public void Setup()
    {
        _ = KernelParallel.Limit(Threads); // for the rest of this case: its setup and runs share one flow of execution
        var (m, n, k, _, _) = Dims;
        var random = new Random(1);
        a = Enumerable.Range(0, m * k).Select(_ => random.NextSingle()).ToArray();
        b = Enumerable.Range(0, k * n).Select(_ => random.NextSingle()).ToArray();
        c = new float[m * n];
    }

    [Benchmark]
    public void Sgemm()
    {
        var (m, n, k, ta, tb) = Dims;
        Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
    }
}
