using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests;

/// <summary>Runs code with a given thread count, for tests that results do not depend on it.</summary>
internal static class ThreadCount
{
    /// <summary>The result of <paramref name="run"/> inside a <see cref="TensorThreads.Limit"/> of <paramref name="threads"/>.</summary>
    public static T With<T>(int threads, Func<T> run)
    {
        using TensorThreads.Scope limit = TensorThreads.Limit(threads);
        return run();
    }
}
