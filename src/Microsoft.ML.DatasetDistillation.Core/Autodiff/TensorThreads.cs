using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// How many threads tensor ops may use: a setting of the run that calls them, not of the process. The distiller
/// applies its options' <c>Threads</c> this way; code that calls the other algorithms (evaluation, baselines,
/// pretraining) directly can do the same. Results never depend on the number: every op splits its work at boundaries
/// that depend only on the problem size, so sums are accumulated in the same order with 1 thread or 16.
/// </summary>
public static class TensorThreads
{
    /// <summary>The most threads an op uses here: the innermost <see cref="Limit"/> in force, else the processor count.</summary>
    public static int Current => KernelParallel.MaxThreads;

    /// <summary>
    /// Lets the ops run from this flow of execution (and the tasks and parallel loops it starts) use at most
    /// <paramref name="threads"/> threads until the returned scope is disposed; null leaves the limit as it is.
    /// Runs on other threads are not affected.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public static Scope Limit(int? threads) => threads is int count ? new Scope(KernelParallel.Limit(count)) : default;

    /// <summary>The scope of a <see cref="Limit"/>: disposing it restores the limit in force before.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly KernelParallel.ThreadLimit? limit;

        internal Scope(KernelParallel.ThreadLimit limit) => this.limit = limit;

        /// <summary>Restores the limit in force before the scope.</summary>
        public void Dispose() => limit?.Dispose();
    }
}
