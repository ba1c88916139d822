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
    /// inverseDeviations[r] receives the row's 1/√(variance + epsilon), which the gradients take instead of the input.
    /// </summary>
    public static void Normalize(int rows, int columns, ReadOnlySpan<float> input, Span<float> output, Span<float> inverseDeviations, float epsilon)
    {
        Check(rows, columns, input.Length, output.Length, rows * columns);
        Check(rows, columns, input.Length, inverseDeviations.Length, rows);
        for (int r = 0; r < rows; r++)
        {
            Span<float> y = output.Slice(r * columns, columns);
            TensorPrimitives.Subtract(input.Slice(r * columns, columns), TensorPrimitives.Sum(input.Slice(r * columns, columns)) / columns, y);
            inverseDeviations[r] = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(y) / columns + epsilon);
            TensorPrimitives.Multiply(y, inverseDeviations[r], y);
        }
    }

    /// <summary>
    /// The gradient of <see cref="Normalize"/>: with y its output, s its inverse deviations and g the gradient at y, row
    /// by row dx = s · (g − mean(g) − y · mean(g·y)). The input itself is not needed, so it is never read again.
    /// </summary>
    public static void NormalizeBackward(int rows, int columns, ReadOnlySpan<float> normalized, ReadOnlySpan<float> inverseDeviations, ReadOnlySpan<float> gradient, Span<float> output)
    {
        Check(rows, columns, normalized.Length, output.Length, rows * columns);
        Check(rows, columns, gradient.Length, inverseDeviations.Length, rows);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> y = normalized.Slice(r * columns, columns), g = gradient.Slice(r * columns, columns);
            Span<float> dx = output.Slice(r * columns, columns);
            float meanGradient = TensorPrimitives.Sum(g) / columns, meanProduct = TensorPrimitives.Dot(g, y) / columns;
            TensorPrimitives.MultiplyAdd(y, -meanProduct, g, dx);
            TensorPrimitives.Add(dx, -meanGradient, dx);
            TensorPrimitives.Multiply(dx, inverseDeviations[r], dx);
        }
    }

    /// <summary>
    /// The gradient of <see cref="NormalizeBackward"/>'s dx = s·(g − mean(g) − y·mean(g·y)) (s = 1/√(var(x) + epsilon),
    /// y = (x − mean(x))·s) in x and g, given the gradient h at dx: row by row, with means over the row,
    /// <code>
    ///   dg = s·(h − mean(h) − y·mean(h·y))
    ///   dx = −s²·(mean(h·y)·(g − mean(g)) + mean(g·y)·(h − mean(h)) + y·(mean(h·g) − mean(g)·mean(h) − 3·mean(g·y)·mean(h·y)))
    /// </code>
    /// (dx takes y's and s's dependence on x into account). Normalisation's second derivative, which gradients of
    /// gradients through instance norm need.
    /// </summary>
    public static void NormalizeBackwardGradient(
        int rows, int columns, ReadOnlySpan<float> normalized, ReadOnlySpan<float> inverseDeviations, ReadOnlySpan<float> gradient, ReadOnlySpan<float> outerGradient,
        Span<float> inputGradient, Span<float> gradientGradient)
    {
        Check(rows, columns, normalized.Length, inverseDeviations.Length, rows);
        Check(rows, columns, gradient.Length, outerGradient.Length, rows * columns);
        Check(rows, columns, inputGradient.Length, gradientGradient.Length, rows * columns);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> y = normalized.Slice(r * columns, columns);
            ReadOnlySpan<float> g = gradient.Slice(r * columns, columns), h = outerGradient.Slice(r * columns, columns);
            Span<float> dx = inputGradient.Slice(r * columns, columns), dg = gradientGradient.Slice(r * columns, columns);
            float inverse = inverseDeviations[r];
            float meanG = TensorPrimitives.Sum(g) / columns, meanH = TensorPrimitives.Sum(h) / columns;
            float meanGY = TensorPrimitives.Dot(g, y) / columns, meanHY = TensorPrimitives.Dot(h, y) / columns, meanHG = TensorPrimitives.Dot(h, g) / columns;

            // dg = s·(h − mean(h) − y·mean(h·y))
            TensorPrimitives.MultiplyAdd(y, -meanHY, h, dg);
            TensorPrimitives.Add(dg, -meanH, dg);
            TensorPrimitives.Multiply(dg, inverse, dg);

            // dx = −s²·(mean(h·y)·g + mean(g·y)·h + c·y) + s²·(mean(h·y)·mean(g) + mean(g·y)·mean(h)), c as above
            float along = meanHG - meanG * meanH - 3f * meanGY * meanHY;
            float shift = meanHY * meanG + meanGY * meanH;
            float scale = -inverse * inverse;
            TensorPrimitives.Multiply(y, along, dx);
            TensorPrimitives.MultiplyAdd(g, meanHY, dx, dx);
            TensorPrimitives.MultiplyAdd(h, meanGY, dx, dx);
            TensorPrimitives.Add(dx, -shift, dx);
            TensorPrimitives.Multiply(dx, scale, dx);
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
