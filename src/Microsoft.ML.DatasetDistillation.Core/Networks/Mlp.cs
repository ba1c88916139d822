using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Networks;

/// <summary>A multilayer perceptron: fully connected layers with ReLU between, over feature vectors or flattened images.</summary>
public sealed class Mlp : Network
{
    /// <summary>Creates an MLP with the given hidden layer widths (none gives multinomial logistic regression).</summary>
    public Mlp(int featureCount, int classCount, params int[] hiddenSizes)
        : base([featureCount], classCount, Specs(featureCount, classCount, hiddenSizes))
    {
        HiddenSizes = hiddenSizes;
    }

    /// <summary>
    /// Creates an MLP over examples of shape <paramref name="exampleShape"/>, flattened: an image [C, H, W] becomes C·H·W
    /// features (the successor papers' MLP for MNIST is <c>new Mlp([1, 28, 28], 10, 128, 128)</c>).
    /// </summary>
    public Mlp(int[] exampleShape, int classCount, params int[] hiddenSizes)
        : base(exampleShape, classCount, Specs(exampleShape.Aggregate(1, (size, d) => size * d), classCount, hiddenSizes))
    {
        HiddenSizes = hiddenSizes;
    }

    /// <summary>The widths of the hidden layers.</summary>
    public IReadOnlyList<int> HiddenSizes { get; }

    /// <inheritdoc/>
    protected override Tensor Features(Tensor[] p, Tensor batch)
    {
        Tensor h = batch.Rank == 2 ? batch : batch.Reshape(batch.Dim(0), -1);
        for (int layer = 0; layer < p.Length / 2 - 1; layer++)
        {
            h = Tensor.Relu(Linear(h, p[2 * layer], p[2 * layer + 1]));
        }

        return h;
    }

    private static List<ParameterSpec> Specs(int features, int classes, int[] hidden)
    {
        if (features < 1 || hidden.Any(h => h < 1))
        {
            throw new ArgumentException($"An MLP needs at least one feature and positive hidden sizes, but got {features} features and hidden sizes [{string.Join(", ", hidden)}].");
        }

        int[] widths = [features, .. hidden, classes];
        return Enumerable.Range(0, widths.Length - 1).SelectMany(i => LinearSpecs($"fc{i + 1}", widths[i], widths[i + 1])).ToList();
    }
}
