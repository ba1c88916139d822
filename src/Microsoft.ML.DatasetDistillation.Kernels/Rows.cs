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

    /// <summary>
    /// output[r, :] = (input[r, :] − mean) / √(variance + epsilon), with the row's mean and biased variance: instance
    /// normalisation's core. Each row is read and written while it sits in cache, so a row costs about one pass over memory.
    /// </summary>
    public static void Normalize(int rows, int columns, ReadOnlySpan<float> input, Span<float> output, float epsilon)
    {
        Check(rows, columns, input.Length, output.Length, rows * columns);
        for (int r = 0; r < rows; r++)
        {
            Span<float> y = output.Slice(r * columns, columns);
            TensorPrimitives.Subtract(input.Slice(r * columns, columns), TensorPrimitives.Sum(input.Slice(r * columns, columns)) / columns, y);
            TensorPrimitives.Multiply(y, InverseDeviation(y, columns, epsilon), y);
        }
    }

    /// <summary>
    /// The gradient of <see cref="Normalize"/>: with y its output and g the gradient at y, row by row
    /// dx = (g − mean(g) − y · mean(g·y)) / √(variance(x) + epsilon).
    /// </summary>
    public static void NormalizeBackward(int rows, int columns, ReadOnlySpan<float> input, ReadOnlySpan<float> normalized, ReadOnlySpan<float> gradient, Span<float> output, float epsilon)
    {
        Check(rows, columns, input.Length, output.Length, rows * columns);
        Check(rows, columns, normalized.Length, gradient.Length, rows * columns);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = input.Slice(r * columns, columns), y = normalized.Slice(r * columns, columns), g = gradient.Slice(r * columns, columns);
            Span<float> dx = output.Slice(r * columns, columns);
            // The row's variance again, from x: dx is written into the output row first as the centred x.
            TensorPrimitives.Subtract(x, TensorPrimitives.Sum(x) / columns, dx);
            float inverse = InverseDeviation(dx, columns, epsilon);
            float meanGradient = TensorPrimitives.Sum(g) / columns, meanProduct = TensorPrimitives.Dot(g, y) / columns;
            TensorPrimitives.MultiplyAdd(y, -meanProduct, g, dx);
            TensorPrimitives.Add(dx, -meanGradient, dx);
            TensorPrimitives.Multiply(dx, inverse, dx);
        }
    }

    private static float InverseDeviation(ReadOnlySpan<float> centred, int columns, float epsilon) =>
        1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(centred) / columns + epsilon);

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
