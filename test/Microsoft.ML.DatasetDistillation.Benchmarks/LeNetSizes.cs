using BenchmarkDotNet.Attributes;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>The sizes LeNet's benchmarks sweep: a real batch (1024) or a distilled step (10), at one or two kernel threads.</summary>
public abstract class LeNetSizes
{
    /// <summary>Images per call.</summary>
    [Params(1024, 10)]
    public int Batch { get; set; }

    /// <summary>Threads the kernels may use (set in each benchmark's setup).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Values uniform in [−0.5, 0.5).</summary>
    internal static float[] RandomValues(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
}
