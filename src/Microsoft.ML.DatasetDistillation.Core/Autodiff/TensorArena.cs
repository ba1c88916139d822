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
    /// <summary>Smaller tensors are cheap for the garbage collector and are not pooled.</summary>
    public const int MinimumLength = 16 * 1024;

    [ThreadStatic]
    private static TensorArena? current;

    private readonly Dictionary<int, Stack<float[]>> free = [];
    private readonly List<float[]> lent = [];

    /// <summary>The arena whose scope this thread is in, if any.</summary>
    public static TensorArena? Current => current;

    /// <summary>Routes this thread's large allocations to the arena until the scope is disposed.</summary>
    public Scope Enter()
    {
        if (current is not null)
        {
            throw new InvalidOperationException("Tensor arena scopes do not nest.");
        }

        current = this;
        return new Scope(this);
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

    private void ReturnAll()
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
        current = null;
    }

    /// <summary>Ends the arena's scope on this thread and takes back every buffer lent in it.</summary>
    public readonly struct Scope(TensorArena arena) : IDisposable
    {
        /// <summary>Returns the scope's buffers to the arena.</summary>
        public void Dispose() => arena.ReturnAll();
    }
}
