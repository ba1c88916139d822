using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>
/// Fits ZCA whitening to a feature column (<c>mlContext.Transforms.WhitenZca</c>): its mean μ and unbiased covariance Σ
/// over every row, and W = (Σ + εI)^(−1/2). Trajectory matching distils CIFAR and Tiny ImageNet on whitened images
/// (Cazenavette et al., 2022); put it before <c>DistillDataset</c> and score with the same fitted whitening in front of the
/// network. The rows are read into memory once, and the covariance takes the feature count squared in memory
/// (2.4 MB for MNIST's 784 pixels).
/// </summary>
public sealed class ZcaWhiteningEstimator : IEstimator<ZcaWhiteningTransformer>
{
    private readonly string outputColumnName;
    private readonly string inputColumnName;
    private readonly float epsilon;

    internal ZcaWhiteningEstimator(string outputColumnName, string? inputColumnName, float epsilon)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        this.outputColumnName = outputColumnName;
        this.inputColumnName = inputColumnName ?? outputColumnName;
        ArgumentException.ThrowIfNullOrEmpty(this.inputColumnName, nameof(inputColumnName));
        if (!(epsilon > 0) || !float.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ZCA's epsilon must be positive and finite.");
        }

        this.epsilon = epsilon;
    }

    /// <summary>Reads the input column of every row and fits the whitening to them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a known-size vector of Single.</exception>
    /// <exception cref="InvalidOperationException">A value is not finite (the message names its row and slot), or there are fewer than two rows.</exception>
    public ZcaWhiteningTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int size = LabeledRowReader.FeatureColumn(input.Schema, inputColumnName).Size;
        float[] rows = LabeledRowReader.ReadVectors(input, inputColumnName, size, "feature");
        if (rows.Length < 2 * size)
        {
            throw new InvalidOperationException($"ZCA whitening needs at least two rows to estimate a covariance, but the column '{inputColumnName}' has {rows.Length / size}.");
        }

        return new ZcaWhiteningTransformer(ZcaWhitening.Fit(rows, size, epsilon), outputColumnName, inputColumnName);
    }

    /// <summary>The input columns plus the output column: a known-size vector of Single like the input column.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a known-size vector of Single.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaShapes.FeatureColumn(inputSchema, inputColumnName);
        var columns = inputSchema.Where(c => c.Name != outputColumnName).ToList();
        if (SchemaShapes.TryMakeColumn(outputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false) is { } output)
        {
            columns.Add(output);
        }

        return new SchemaShape(columns);
    }
}
