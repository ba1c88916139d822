namespace DatasetDistillation.Samples;

/// <summary>An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, at once.</summary>
/// <remarks><see cref="Progress{T}"/> posts to the thread pool instead: reports would arrive late and out of step with the run.</remarks>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
