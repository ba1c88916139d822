namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// How many threads the kernels may use, and a parallel loop whose results never depend on that number:
/// work is split into fixed chunks whose boundaries depend only on the problem size, and every output
/// element is written by exactly one chunk, so sums are always accumulated in the same order.
/// </summary>
/// <remarks>
/// The limit belongs to a run, not to the process: <see cref="Limit"/> sets it for the calling flow of execution
/// (an <see cref="AsyncLocal{T}"/>, so it follows the run into the tasks and parallel loops it starts), and two runs
/// on different threads may use different limits at the same time.
/// </remarks>
internal static class KernelParallel
{
    private static readonly AsyncLocal<int> scopedMaxThreads = new();

    /// <summary>The most threads a kernel uses here: the innermost <see cref="Limit"/> in force, else the processor count.</summary>
    public static int MaxThreads => scopedMaxThreads.Value is > 0 and int limit ? limit : Environment.ProcessorCount;

    /// <summary>
    /// Lets the kernels called from this flow of execution use at most <paramref name="threads"/> threads until the
    /// returned scope is disposed, which restores the limit in force before.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public static ThreadLimit Limit(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var scope = new ThreadLimit(scopedMaxThreads.Value);
        scopedMaxThreads.Value = threads;
        return scope;
    }

    /// <summary>The scope of a <see cref="Limit"/>: disposing it restores the limit that was in force before.</summary>
    public readonly struct ThreadLimit : IDisposable
    {
        private readonly int previous;

        internal ThreadLimit(int previous) => this.previous = previous;

        /// <summary>Restores the limit in force before the scope.</summary>
        public void Dispose() => scopedMaxThreads.Value = previous;
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

        int threads = Math.Min(MaxThreads, Math.Max(1, count / Math.Max(1, minChunk)));
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
