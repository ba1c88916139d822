using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// One SIMD register of floats, so that one micro-kernel source compiles to 256-bit and 512-bit code: the JIT
/// specialises a generic method for each struct argument and keeps the wrapped vector in a register.
/// </summary>
internal unsafe interface IFloatLanes<TSelf>
    where TSelf : struct, IFloatLanes<TSelf>
{
    /// <summary>Floats per register.</summary>
    static abstract int Count { get; }

    /// <summary>Loads <see cref="Count"/> floats (any alignment).</summary>
    static abstract TSelf Load(float* source);

    /// <summary>The value in every lane.</summary>
    static abstract TSelf Broadcast(float value);

    /// <summary>left · right + addend with one rounding per lane.</summary>
    static abstract TSelf MultiplyAdd(TSelf left, TSelf right, TSelf addend);

    /// <summary>Stores <see cref="Count"/> floats (any alignment).</summary>
    void Store(float* destination);

    /// <summary>Eight floats from each of <see cref="Count"/>/8 places, source + offsets[i], one place per eight lanes.</summary>
    static abstract TSelf LoadEights(float* source, int* offsets);

    /// <summary>The eight floats at <paramref name="source"/> in every group of eight lanes.</summary>
    static abstract TSelf RepeatEight(float* source);

    /// <summary>destination[i] += the sum of lane group i, each group folded as <see cref="Vector256.Sum{T}"/> folds it.</summary>
    void AddEightSums(float* destination);
}

/// <summary>Eight floats: AVX2 with FMA.</summary>
internal readonly unsafe struct Lanes256(Vector256<float> value) : IFloatLanes<Lanes256>
{
    private readonly Vector256<float> value = value;

    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Broadcast(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 MultiplyAdd(Lanes256 left, Lanes256 right, Lanes256 addend) =>
        new(Vector256.FusedMultiplyAdd(left.value, right.value, addend.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 LoadEights(float* source, int* offsets) => new(Vector256.Load(source + offsets[0]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 RepeatEight(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddEightSums(float* destination) => destination[0] += Vector256.Sum(value);
}

/// <summary>
/// Sixteen floats: AVX-512, twice the work per instruction where the core has full-width units. The eight-lane-group
/// members use AVX-512 F and DQ instructions, so they run only where <see cref="ConvMicroKernels.Use512"/>.
/// </summary>
internal readonly unsafe struct Lanes512(Vector512<float> value) : IFloatLanes<Lanes512>
{
    private readonly Vector512<float> value = value;

    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Broadcast(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 MultiplyAdd(Lanes512 left, Lanes512 right, Lanes512 addend) =>
        new(Vector512.FusedMultiplyAdd(left.value, right.value, addend.value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 LoadEights(float* source, int* offsets) =>
        new(Avx512F.InsertVector256(Vector256.Load(source + offsets[0]).ToVector512Unsafe(), Vector256.Load(source + offsets[1]), 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 RepeatEight(float* source) => new(Avx512DQ.BroadcastVector256ToVector512(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddEightSums(float* destination)
    {
        destination[0] += Vector256.Sum(value.GetLower());
        destination[1] += Vector256.Sum(value.GetUpper());
    }
}
