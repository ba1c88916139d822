namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// Recycles the large buffers of a computation whose tensors all die together, such as one forward and backward pass
/// over a big batch: inside <see cref="Enter"/>, new tensors of at least <see cref="MinimumLength"/> elements take their
/// storage from the arena, and leaving the scope hands all of it back for the next pass.
/// </summary>
/// <remarks>
/// Fresh multi-megabyte arrays are expensive on .NET: on the large-object heap they come as new pages that fault in;
/// on the small-object heap live ones are copied by every collection. Reused buffers are neither. The price is a
/// rule: no tensor made inside a scope may be used after it, except copies made with <see cref="Keep"/>.
/// A scope belongs to the thread that entered it; other threads allocate normally.
/// </remarks>
internal sealed class TensorArena
{
    /// <summary>
    /// Smaller tensors are not pooled. Pooling down to 4 KB measured faster than pooling only the large ones: the unrolled
    /// steps make thousands of mid-sized tensors per iteration, and each garbage collection also copies what is alive.
    /// </summary>
    public const int MinimumLength = 1024;

    [ThreadStatic]
    private static TensorArena? current;

    private readonly Dictionary<int, Stack<float[]>> free = [];
    private readonly List<float[]> lent = [];

    /// <summary>The arena whose scope this thread is in, if any.</summary>
    public static TensorArena? Current => current;

    /// <summary>Routes this thread's large allocations to the arena until the scope is disposed, then takes back every buffer lent.</summary>
    public Scope Enter() => Route(releaseOnExit: true);

    /// <summary>
    /// Routes this thread's large allocations to the arena until the scope is disposed, but leaves the buffers lent until
    /// <see cref="Release"/>: for tensors made on one thread and used up on another, such as a step's graph that a
    /// second core builds while the first differentiates the previous one.
    /// </summary>
    public Scope Lend() => Route(releaseOnExit: false);

    /// <summary>Takes back every buffer lent; the tensors made on them must be dead by now.</summary>
    public void Release()
    {
        foreach (float[] buffer in lent)
        {
            if (!free.TryGetValue(buffer.Length, out Stack<float[]>? stack))
            {
                stack = new Stack<float[]>();
                free[buffer.Length] = stack;
            }

            stack.Push(buffer);
        }

        lent.Clear();
    }

    /// <summary>A copy of <paramref name="tensor"/> whose storage outlives the scope (a leaf).</summary>
    public static Tensor Keep(Tensor tensor)
    {
        TensorArena? saved = current;
        current = null;
        try
        {
            return tensor.Clone();
        }
        finally
        {
            current = saved;
        }
    }

    /// <summary>A buffer of exactly <paramref name="length"/> elements, cleared when asked.</summary>
    public float[] Rent(int length, bool clear)
    {
        float[] buffer = free.TryGetValue(length, out Stack<float[]>? stack) && stack.Count > 0
            ? stack.Pop()
            : GC.AllocateUninitializedArray<float>(length);
        if (clear)
        {
            Array.Clear(buffer);
        }

        lent.Add(buffer);
        return buffer;
    }

    private Scope Route(bool releaseOnExit)
    {
        if (current is not null)
        {
            throw new InvalidOperationException("Tensor arena scopes do not nest.");
        }

        current = this;
        return new Scope(this, releaseOnExit);
    }

    /// <summary>Ends the arena's scope on this thread and, unless it came from <see cref="Lend"/>, takes back every buffer lent in it.</summary>
    public readonly struct Scope(TensorArena arena, bool releaseOnExit) : IDisposable
    {
        /// <summary>Stops routing this thread's allocations to the arena (and returns its buffers, see above).</summary>
        public void Dispose()
        {
            current = null;
            if (releaseOnExit)
            {
                arena.Release();
            }
        }
    }
}
