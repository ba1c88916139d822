using System.Runtime.CompilerServices;

namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// A dense, contiguous float32 tensor that records how it was computed, so gradients can flow back to its inputs.
/// </summary>
/// <remarks>
/// Tensors are values: no op writes into its inputs. A tensor owns a range of its backend's storage; views made by
/// <see cref="Reshape"/> and <see cref="Split"/> share the storage of their source instead of copying it, which is
/// safe because of that rule. Only optimisers write in place, into leaves, between gradient computations.
/// The graph an op records is kept alive only by the tensors that refer to it, so it is freed with them.
/// Values are computed by the <see cref="Backend"/>; this class keeps shapes, views and the graph.
/// </remarks>
public sealed partial class Tensor
{
    private readonly object storage;
    private readonly int offset;
    private readonly int[] shape;

    private Tensor(object storage, int offset, int[] shape, int length)
    {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        Length = length;
    }

    private static ITensorBackend backend = ManagedBackend.Instance;

    /// <summary>The storage and kernels every tensor op computes with: the managed SIMD backend, the only one so far.</summary>
    internal static ITensorBackend Backend => backend;

    /// <summary>
    /// Computes with <paramref name="replacement"/> until the returned scope is disposed, process-wide: for tests that run
    /// the library over a backend that checks the seam. Tensors made before must not be used inside, nor after.
    /// </summary>
    internal static BackendScope UseBackend(ITensorBackend replacement)
    {
        var scope = new BackendScope(backend);
        backend = replacement;
        return scope;
    }

    /// <summary>The scope of <see cref="UseBackend"/>: disposing it restores the backend before.</summary>
    internal readonly struct BackendScope(ITensorBackend previous) : IDisposable
    {
        /// <summary>Restores the backend in use before the scope.</summary>
        public void Dispose() => backend = previous;
    }

    /// <summary>The backend's object for the memory this tensor's elements live in (shared by views).</summary>
    internal object Storage => storage;

    /// <summary>Where this tensor's elements start in <see cref="Storage"/>.</summary>
    internal int Offset => offset;

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Number of dimensions; 0 for a scalar.</summary>
    public int Rank => shape.Length;

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>
    /// The elements in row-major order, in the managed backend's array: for tests and benchmarks. Writing here is for
    /// leaves only (see the class remarks). The library reads values with <see cref="ToArray"/> or <see cref="Item"/>, writes
    /// leaves with <see cref="CopyFrom"/> and computes through <see cref="Backend"/>, so that other storage can slot in.
    /// </summary>
    internal Span<float> Data => ManagedBackend.Span(this);

    /// <summary>
    /// True when gradients with respect to this tensor can be computed: set on leaves by the caller, and on
    /// results of ops recorded while gradient recording was on and some input required gradients.
    /// </summary>
    public bool RequiresGrad { get; private set; }

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    internal GraphNode? Producer { get; private set; }

    /// <summary>Which output of <see cref="Producer"/> this tensor is.</summary>
    internal int ProducerOutput { get; private set; }

    /// <summary>The size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => shape[axis < 0 ? shape.Length + axis : axis];

    /// <summary>The value of a tensor with one element.</summary>
    public float Item()
    {
        if (Length != 1)
        {
            throw new InvalidOperationException($"Item() needs a tensor with one element, but the shape is {ShapeText(shape)}.");
        }

        float value = 0f;
        Backend.Read(this, new Span<float>(ref value));
        return value;
    }

    /// <summary>A new zero-filled tensor of the given shape.</summary>
    public static Tensor Zeros(params ReadOnlySpan<int> shape)
    {
        int[] dims = CheckShape(shape);
        int length = ElementCount(dims);
        return new Tensor(Backend.Allocate(length, clear: true), 0, dims, length);
    }

    /// <summary>A new tensor whose contents are not initialised; every element must be written before it is read.</summary>
    internal static Tensor Uninitialized(params ReadOnlySpan<int> shape)
    {
        int[] dims = CheckShape(shape);
        int length = ElementCount(dims);
        return new Tensor(Backend.Allocate(length, clear: false), 0, dims, length);
    }

    /// <summary>A new tensor holding a copy of <paramref name="values"/> with the given shape.</summary>
    public static Tensor FromValues(ReadOnlySpan<float> values, params ReadOnlySpan<int> shape)
    {
        int[] dims = CheckShape(shape);
        int length = ElementCount(dims);
        if (values.Length != length)
        {
            throw new ArgumentException($"Shape {ShapeText(dims)} needs {length} values but {values.Length} were given.", nameof(values));
        }

        var result = new Tensor(Backend.Allocate(length, clear: false), 0, dims, length);
        Backend.Write(values, result);
        return result;
    }

    /// <summary>
    /// A new tensor whose contents are <paramref name="values"/>: the managed storage adopts the array instead of copying it
    /// (a device's would upload it), so the caller must not change the array while the tensor is in use.
    /// </summary>
    internal static Tensor FromArray(float[] values, params ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        int[] dims = CheckShape(shape);
        int length = ElementCount(dims);
        if (values.Length != length)
        {
            throw new ArgumentException($"Shape {ShapeText(dims)} needs {length} values but the array has {values.Length}.", nameof(values));
        }

        return new Tensor(Backend.Adopt(values), 0, dims, length);
    }

    /// <summary>A scalar (rank-0) tensor.</summary>
    public static Tensor Scalar(float value)
    {
        return new Tensor(Backend.Adopt([value]), 0, [], 1);
    }

    /// <summary>Marks this leaf as one whose gradient will be asked for, and returns it.</summary>
    public Tensor RequireGrad()
    {
        if (Producer is not null)
        {
            throw new InvalidOperationException("Only leaves can be marked as requiring gradients; use Detach() first.");
        }

        RequiresGrad = true;
        return this;
    }

    /// <summary>A leaf sharing this tensor's storage, cut off from the graph (no copy).</summary>
    public Tensor Detach() => new(storage, offset, shape, Length);

    /// <summary>A new leaf holding a copy of this tensor's values.</summary>
    public Tensor Clone()
    {
        Tensor copy = Uninitialized(shape);
        Backend.Copy(this, copy, 0);
        return copy;
    }

    /// <summary>The values as a new array.</summary>
    public float[] ToArray()
    {
        float[] values = GC.AllocateUninitializedArray<float>(Length);
        Backend.Read(this, values);
        return values;
    }

    /// <summary>
    /// Overwrites this leaf's values with a copy of <paramref name="values"/>: how optimisers' states and checkpoints are
    /// restored. Like an optimiser step, it is for leaves between gradient computations only (see the class remarks).
    /// </summary>
    internal void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != Length)
        {
            throw new ArgumentException($"A tensor of shape {ShapeText(shape)} needs {Length} values but {values.Length} were given.", nameof(values));
        }

        Backend.Write(values, this);
    }

    /// <summary>True when every element is a finite number (neither NaN nor infinite); true for no elements.</summary>
    internal bool IsAllFinite() => Backend.IsAllFinite(this);

    /// <summary>Same elements, new shape (no copy). One dimension may be -1 to be inferred.</summary>
    public Tensor Reshape(params ReadOnlySpan<int> newShape)
    {
        int[] dims = newShape.ToArray();
        int inferred = Array.IndexOf(dims, -1);
        if (inferred >= 0)
        {
            int known = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                known *= i == inferred ? 1 : dims[i];
            }

            dims[inferred] = known == 0 ? 0 : Length / known;
        }

        CheckShape(dims);
        if (ElementCount(dims) != Length)
        {
            throw new ArgumentException($"Cannot reshape {ShapeText(shape)} ({Length} elements) to {ShapeText(newShape.ToArray())}.", nameof(newShape));
        }

        var view = new Tensor(storage, offset, dims, Length);
        int[] original = shape;
        return Record("Reshape", [view], [this], (g, _) => [g[0]!.Reshape(original)]);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{ShapeText(shape)}{(RequiresGrad ? " requires grad" : string.Empty)}";

    /// <summary>Formats a shape as "[2, 3]" for messages.</summary>
    public static string ShapeText(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    internal static int ElementCount(ReadOnlySpan<int> dims)
    {
        long count = 1;
        foreach (int d in dims)
        {
            count *= d;
        }

        return checked((int)count);
    }

    private static int[] CheckShape(ReadOnlySpan<int> dims)
    {
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {ShapeText(dims)} has a negative size.", "shape");
            }
        }

        return dims.ToArray();
    }

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="start"/>, with the given shape.</summary>
    private Tensor View(int start, int length, int[] dims) => new(storage, offset + start, dims, length);

    /// <summary>
    /// Attaches a graph node to freshly computed <paramref name="outputs"/> when recording is on and an input
    /// requires gradients. The rule maps the outputs' gradients (null where none flowed) to the inputs' gradients
    /// (null where not needed), using differentiable ops so that it can itself be differentiated.
    /// </summary>
    internal static Tensor Record(string name, Tensor[] outputs, Tensor[] inputs, BackwardRule rule)
    {
        RecordMany(name, outputs, inputs, rule);
        return outputs[0];
    }

    internal static void RecordMany(string name, Tensor[] outputs, Tensor[] inputs, BackwardRule rule)
    {
        if (!Autograd.IsRecording || !AnyRequiresGrad(inputs))
        {
            return;
        }

        var node = new GraphNode(name, inputs, outputs.Length, rule);
        for (int i = 0; i < outputs.Length; i++)
        {
            outputs[i].Producer = node;
            outputs[i].ProducerOutput = i;
            outputs[i].RequiresGrad = true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AnyRequiresGrad(Tensor[] inputs)
    {
        foreach (Tensor t in inputs)
        {
            if (t.RequiresGrad)
            {
                return true;
            }
        }

        return false;
    }
}
