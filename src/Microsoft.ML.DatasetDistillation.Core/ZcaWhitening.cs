using System.Numerics.Tensors;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation;

/// <summary>
/// ZCA whitening (Bell and Sejnowski, 1997), as trajectory matching (Cazenavette et al., 2022) applies it to CIFAR and
/// Tiny ImageNet: x ↦ W(x − μ) with W = (Σ + εI)^(−1/2), where μ and Σ are the mean and the unbiased covariance of the
/// training examples' flattened features. W decorrelates the features while keeping the result as close to the original
/// as whitening allows (it is the symmetric whitening matrix, so images still look like images); ε damps the directions
/// of least variance, which would otherwise be blown up to noise. Distilling and training then run on whitened examples,
/// and <see cref="InverseTransform(LabeledExamples)"/> maps distilled examples back for viewing or for other trainers.
/// </summary>
/// <remarks>
/// W equals U diag(1/√(λᵢ + ε)) Uᵀ for the eigendecomposition Σ = U diag(λ) Uᵀ; it is computed here by the Newton–Schulz
/// iteration of <see cref="SymmetricMatrix.InverseSquareRoot"/>, which needs only matrix products. ε is in the features'
/// units squared: the reference's ε = 0.1 is for pixels on a 0..1 scale, so features normalised by a standard deviation s
/// want ε = 0.1 · s² to be whitened the same way (the mean drops out).
/// </remarks>
public sealed class ZcaWhitening
{
    /// <summary>Rows multiplied by W (or √(Σ + εI)) in one product: large enough for the packed path, small enough to stay in memory.</summary>
    private const int RowsPerProduct = 2048;

    /// <summary>The most features a transform may have: ⌊√Array.MaxLength⌋, so that its d × d matrices fit an array.</summary>
    private const int MaxFeatureCount = 46340;

    private readonly float[] mean;
    private readonly float[] whitening;
    private readonly float[] coloring;

    private ZcaWhitening(float[] mean, float[] whitening, float[] coloring, float epsilon)
    {
        this.mean = mean;
        this.whitening = whitening;
        this.coloring = coloring;
        Epsilon = epsilon;
    }

    /// <summary>The regularisation added to every eigenvalue of the covariance.</summary>
    public float Epsilon { get; }

    /// <summary>The features of one example: the order of W.</summary>
    public int FeatureCount => mean.Length;

    /// <summary>The mean example μ the transform subtracts.</summary>
    public ReadOnlySpan<float> Mean => mean;

    /// <summary>
    /// Fits the transform to <paramref name="examples"/>: their mean and unbiased covariance over all features of an
    /// example, flattened (channels and pixels together, as the reference does).
    /// </summary>
    /// <param name="examples">The training examples; at least two.</param>
    /// <param name="epsilon">ε, positive and finite; see the remarks for its scale. The reference's is 0.1 on 0..1 pixels.</param>
    /// <exception cref="ArgumentException">There are fewer than two examples.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite.</exception>
    public static ZcaWhitening Fit(LabeledExamples examples, float epsilon = 0.1f)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return Fit(examples.Features, examples.ExampleSize, epsilon);
    }

    /// <summary>Fits the transform to <paramref name="rows"/>: examples of <paramref name="featureCount"/> features, one after another.</summary>
    internal static ZcaWhitening Fit(float[] rows, int featureCount, float epsilon)
    {
        if (!(epsilon > 0) || !float.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ZCA's epsilon must be positive and finite.");
        }

        int d = featureCount, count = rows.Length / d;
        if (count < 2)
        {
            throw new ArgumentException($"ZCA whitening needs at least two examples to estimate a covariance, but got {count}.", nameof(rows));
        }

        var sums = new double[d];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> example = rows.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
            {
                sums[j] += example[j];
            }
        }

        float[] mean = [.. sums.Select(sum => (float)(sum / count))];

        // Σ = Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ / (N − 1), accumulated a block of centred rows at a time.
        var covariance = new float[d * d];
        var centred = new float[Math.Min(RowsPerProduct, count) * d];
        for (int start = 0; start < count; start += RowsPerProduct)
        {
            int n = Math.Min(RowsPerProduct, count - start);
            Center(rows.AsSpan(start * d, n * d), mean, centred);
            Gemm.Multiply(true, false, d, d, n, 1f / (count - 1), centred, d, centred, d, start == 0 ? 0f : 1f, covariance, d);
        }

        for (int j = 0; j < d; j++)
        {
            covariance[j * (d + 1)] += epsilon;
        }

        var whitening = new float[d * d];
        var coloring = new float[d * d];
        SymmetricMatrix.InverseSquareRoot(covariance, d, whitening, coloring);
        return new ZcaWhitening(mean, whitening, coloring, epsilon);
    }

    /// <summary>Whitens every example: W(x − μ). Labels, shape and classes are kept.</summary>
    /// <exception cref="ArgumentException">The examples have another number of features than the ones fitted.</exception>
    public LabeledExamples Transform(LabeledExamples examples) => Map(examples, inverse: false);

    /// <summary>Undoes <see cref="Transform(LabeledExamples)"/>: (Σ + εI)^(1/2) y + μ.</summary>
    /// <exception cref="ArgumentException">The examples have another number of features than the ones fitted.</exception>
    public LabeledExamples InverseTransform(LabeledExamples examples) => Map(examples, inverse: true);

    private LabeledExamples Map(LabeledExamples examples, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.ExampleSize != FeatureCount)
        {
            throw new ArgumentException(
                $"The whitening was fitted to examples of {FeatureCount} features, but these have shape [{string.Join(", ", examples.ExampleShape)}] ({examples.ExampleSize} features).",
                nameof(examples));
        }

        var features = GC.AllocateUninitializedArray<float>(examples.Features.Length);
        Map(examples.Features, features, inverse);
        return new LabeledExamples(features, (int[])examples.Labels.Clone(), (int[])examples.ExampleShape.Clone(), examples.ClassCount);
    }

    /// <summary>
    /// Whitens (or, with <paramref name="inverse"/>, un-whitens) whole examples of <see cref="FeatureCount"/> features from
    /// <paramref name="rows"/> into <paramref name="output"/>, which must not overlap them. Whitening centres the rows in
    /// <paramref name="centred"/> when it holds a block of them (callers mapping one row at a time pass one of
    /// <see cref="FeatureCount"/> values), else in a buffer of its own.
    /// </summary>
    internal void Map(ReadOnlySpan<float> rows, Span<float> output, bool inverse, float[]? centred = null)
    {
        int d = FeatureCount, count = rows.Length / d;
        if (rows.Length != count * d || output.Length != rows.Length || rows.Overlaps(output))
        {
            throw new ArgumentException($"Whitening maps whole examples of {d} features into a separate buffer of the same size, but got {rows.Length} values into {output.Length}.");
        }

        // Rows times W or √(Σ + εI), a block at a time; both are symmetric, so a row times the matrix is the matrix times the column.
        int block = Math.Min(RowsPerProduct, count) * d;
        if (!inverse && (centred is null || centred.Length < block))
        {
            centred = new float[block];
        }
        for (int start = 0; start < count; start += RowsPerProduct)
        {
            int n = Math.Min(RowsPerProduct, count - start);
            ReadOnlySpan<float> input = rows.Slice(start * d, n * d);
            Span<float> mapped = output.Slice(start * d, n * d);
            if (inverse)
            {
                Gemm.Multiply(false, false, n, d, d, 1f, input, d, coloring, d, 0f, mapped, d);
                for (int r = 0; r < n; r++)
                {
                    TensorPrimitives.Add(mapped.Slice(r * d, d), mean, mapped.Slice(r * d, d));
                }
            }
            else
            {
                Span<float> centredBlock = centred.AsSpan(0, n * d);
                Center(input, mean, centredBlock);
                Gemm.Multiply(false, false, n, d, d, 1f, centredBlock, d, whitening, d, 0f, mapped, d);
            }
        }
    }

    /// <summary>Writes the fitted transform: feature count, ε, μ, W and √(Σ + εI), little-endian, for <see cref="Read"/>.</summary>
    internal void Write(BinaryWriter writer)
    {
        writer.Write(FeatureCount);
        writer.Write(Epsilon);
        DistilledDataset.WriteFloats(writer, mean);
        DistilledDataset.WriteFloats(writer, whitening);
        DistilledDataset.WriteFloats(writer, coloring);
    }

    /// <summary>Reads a transform written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">A count, ε or a value is out of range, or the stream ends early.</exception>
    internal static ZcaWhitening Read(BinaryReader reader)
    {
        int d = reader.ReadInt32();
        if (d < 1 || d > MaxFeatureCount)
        {
            throw new InvalidDataException($"The whitening's feature count {d} is out of range (1 to {MaxFeatureCount}).");
        }

        float epsilon = reader.ReadSingle();
        if (!(epsilon > 0) || !float.IsFinite(epsilon))
        {
            throw new InvalidDataException($"The whitening's epsilon {epsilon} is not positive and finite.");
        }

        float[] mean = FiniteFloats(reader, d, "mean"), whitening = FiniteFloats(reader, d * d, "whitening matrix"), coloring = FiniteFloats(reader, d * d, "inverse matrix");
        return new ZcaWhitening(mean, whitening, coloring, epsilon);
    }

    private static float[] FiniteFloats(BinaryReader reader, int count, string what)
    {
        float[] values = DistilledDataset.ReadFloats(reader, count);
        return TensorPrimitives.IsFiniteAll<float>(values) ? values : throw new InvalidDataException($"The whitening's {what} holds a value that is not finite.");
    }

    private static void Center(ReadOnlySpan<float> rows, ReadOnlySpan<float> mean, Span<float> centred)
    {
        int d = mean.Length;
        for (int r = 0; r < rows.Length / d; r++)
        {
            TensorPrimitives.Subtract(rows.Slice(r * d, d), mean, centred.Slice(r * d, d));
        }
    }
}
