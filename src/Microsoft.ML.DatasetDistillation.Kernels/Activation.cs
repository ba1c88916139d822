using System.Numerics;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>Element-wise activation kernels that System.Numerics.Tensors.TensorPrimitives does not provide.</summary>
public static class Activation
{
    /// <summary>mask[i] = 1 where input[i] &gt; 0, else 0: the derivative of ReLU.</summary>
    public static void PositiveMask(ReadOnlySpan<float> input, Span<float> mask)
    {
        CheckSameLength(input.Length, mask.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<float>.One;
            for (; i <= input.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(input.Slice(i));
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), one, Vector<float>.Zero).CopyTo(mask.Slice(i));
            }
        }

        for (; i < input.Length; i++)
        {
            mask[i] = input[i] > 0 ? 1f : 0f;
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
