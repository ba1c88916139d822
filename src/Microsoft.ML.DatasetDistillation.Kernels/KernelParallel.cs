namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// How many threads the kernels may use, and a parallel loop whose results never depend on that number:
/// work is split into fixed chunks whose boundaries depend only on the problem size, and every output
/// element is written by exactly one chunk, so sums are always accumulated in the same order.
/// </summary>
public static class KernelParallel
{
    private static int maxThreads = Environment.ProcessorCount;

    /// <summary>The most threads a kernel uses (default: the processor count). Must be at least 1.</summary>
    public static int MaxThreads
    {
        get => maxThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxThreads));
            maxThreads = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) in chunks of at least
    /// <paramref name="minChunk"/> items. Runs inline when one chunk suffices or only one thread is allowed,
    /// because on two cores the hand-off costs more than small work.
    /// </summary>
    public static void For(int count, int minChunk, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }

        int threads = Math.Min(maxThreads, Math.Max(1, count / Math.Max(1, minChunk)));
        if (threads <= 1)
        {
            body(0, count);
            return;
        }

        int chunk = (count + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int start = t * chunk;
            int end = Math.Min(count, start + chunk);
            if (start < end)
            {
                body(start, end);
            }
        });
    }
}
