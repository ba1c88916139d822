using System.Numerics;
using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>Element-wise activation kernels that System.Numerics.Tensors.TensorPrimitives does not provide.</summary>
internal static class Activation
{
    /// <summary>Elements per thread below which splitting a memory-bound pass across threads costs more than it saves.</summary>
    private const int MinParallelChunk = 1 << 17;

    /// <summary>output[i] = max(input[i], 0).</summary>
    public static void Relu(ReadOnlySpan<float> input, Span<float> output)
    {
        CheckSameLength(input.Length, output.Length);
        unsafe
        {
            fixed (float* x = input, y = output)
            {
                float* source = x, target = y;
                KernelParallel.For(input.Length, MinParallelChunk, (start, end) =>
                    TensorPrimitives.Max(new ReadOnlySpan<float>(source + start, end - start), 0f, new Span<float>(target + start, end - start)));
            }
        }
    }

    /// <summary>output[i] = values[i] where condition[i] &gt; 0, else 0: ReLU's backward pass.</summary>
    public static void WherePositive(ReadOnlySpan<float> condition, ReadOnlySpan<float> values, Span<float> output)
    {
        CheckSameLength(condition.Length, values.Length);
        CheckSameLength(condition.Length, output.Length);
        unsafe
        {
            fixed (float* c = condition, v = values, y = output)
            {
                float* conditionStart = c, valuesStart = v, target = y;
                KernelParallel.For(condition.Length, MinParallelChunk, (start, end) => WherePositiveSerial(
                    new ReadOnlySpan<float>(conditionStart + start, end - start),
                    new ReadOnlySpan<float>(valuesStart + start, end - start),
                    new Span<float>(target + start, end - start)));
            }
        }
    }

    private static void WherePositiveSerial(ReadOnlySpan<float> condition, ReadOnlySpan<float> values, Span<float> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= condition.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<float>(condition.Slice(i)), Vector<float>.Zero);
                Vector.ConditionalSelect(positive, new Vector<float>(values.Slice(i)), Vector<float>.Zero).CopyTo(output.Slice(i));
            }
        }

        for (; i < condition.Length; i++)
        {
            output[i] = condition[i] > 0 ? values[i] : 0f;
        }
    }

    /// <summary>output[i] = log(1 + exp(input[i])), stable for large |input|.</summary>
    public static void Softplus(ReadOnlySpan<float> input, Span<float> output)
    {
        CheckSameLength(input.Length, output.Length);
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            output[i] = MathF.Max(x, 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x)));
        }
    }

    private static void CheckSameLength(int input, int output)
    {
        if (input != output)
        {
            throw new ArgumentException($"Input has {input} elements but output has {output}.");
        }
    }
}
