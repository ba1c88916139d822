using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests;

/// <summary>Runs code with a given kernel thread count, for tests that results do not depend on it.</summary>
internal static class ThreadCount
{
    /// <summary>The result of <paramref name="run"/> with <see cref="KernelParallel.MaxThreads"/> set to <paramref name="threads"/>.</summary>
    public static T With<T>(int threads, Func<T> run)
    {
        int saved = KernelParallel.MaxThreads;
        KernelParallel.MaxThreads = threads;
        try
        {
            return run();
        }
        finally
        {
            KernelParallel.MaxThreads = saved;
        }
    }
}
