using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>Kernels over the rows of a row-major [rows, columns] matrix.</summary>
internal static class Rows
{
    /// <summary>output[r, :] = input[r, :] − log Σ exp(input[r, :]), computed stably.</summary>
    public static void LogSoftmax(int rows, int columns, ReadOnlySpan<float> input, Span<float> output)
    {
        Check(rows, columns, input.Length, output.Length, rows * columns);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = input.Slice(r * columns, columns);
            Span<float> y = output.Slice(r * columns, columns);
            float max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, y);
            double sum = 0;
            foreach (float v in y)
            {
                sum += Math.Exp(v);
            }

            TensorPrimitives.Subtract(y, (float)Math.Log(sum), y);
        }
    }

    /// <summary>output[r] = Σ_c input[r, c].</summary>
    public static void Sum(int rows, int columns, ReadOnlySpan<float> input, Span<float> output)
    {
        Check(rows, columns, input.Length, output.Length, rows);
        for (int r = 0; r < rows; r++)
        {
            output[r] = TensorPrimitives.Sum(input.Slice(r * columns, columns));
        }
    }

    /// <summary>output[r, c] = input[r]: the adjoint of <see cref="Sum"/>.</summary>
    public static void Broadcast(int rows, int columns, ReadOnlySpan<float> input, Span<float> output)
    {
        Check(rows, columns, output.Length, input.Length, rows);
        for (int r = 0; r < rows; r++)
        {
            output.Slice(r * columns, columns).Fill(input[r]);
        }
    }

    /// <summary>output[r] = the index of the largest value in input[r, :] (the first, on ties).</summary>
    public static void ArgMax(int rows, int columns, ReadOnlySpan<float> input, Span<int> output)
    {
        Check(rows, columns, input.Length, output.Length, rows);
        for (int r = 0; r < rows; r++)
        {
            output[r] = TensorPrimitives.IndexOfMax(input.Slice(r * columns, columns));
        }
    }

    private static void Check(int rows, int columns, int matrixLength, int otherLength, int expectedOther)
    {
        if (rows < 0 || columns < 0 || matrixLength != rows * columns || otherLength != expectedOther)
        {
            throw new ArgumentException(
                $"Row kernel over [{rows}, {columns}] got a matrix of {matrixLength} and a companion of {otherLength} elements (expected {expectedOther}).");
        }
    }
}
