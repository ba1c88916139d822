using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML;

/// <summary>
/// Dataset distillation in <c>mlContext.Transforms</c> (<c>DistillDataset</c>, with <c>WhitenZca</c> to whiten its input) and the paper's learner in
/// <c>mlContext.MulticlassClassification.Trainers</c> (<c>DistilledNetwork</c>).
/// </summary>
public static class DatasetDistillationCatalog
{
    /// <summary>
    /// Learns a small synthetic training set: <paramref name="examplesPerClassPerStep"/> rows of every class for each of
    /// <paramref name="steps"/> gradient steps, and a learning rate per step, such that a network trained on them does
    /// well on the input data. Plain features train a multilayer perceptron; give <paramref name="imageShape"/> for LeNet.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="featureColumnName">The known-size vector of Single column of features.</param>
    /// <param name="labelColumnName">The label column: a key (map other types with <c>MapValueToKey</c> first).</param>
    /// <param name="examplesPerClassPerStep">Distilled rows of each class in each step.</param>
    /// <param name="steps">Distinct gradient steps, each with its own rows.</param>
    /// <param name="epochs">Passes over the steps when training.</param>
    /// <param name="iterations">Outer iterations of the distillation.</param>
    /// <param name="imageShape">The image layout of the features (LeNet), or null for plain features (MLP).</param>
    /// <param name="seed">The seed of every random choice; null draws one from the <see cref="MLContext"/>'s random source.</param>
    /// <example>
    /// <code>
    /// var distilled = mlContext.Transforms.DistillDataset("Features", "Label", steps: 10, imageShape: new ImageShape(1, 28, 28)).Fit(data);
    /// IDataView rows = distilled.DistilledData;
    /// </code>
    /// </example>
    public static DatasetDistillationEstimator DistillDataset(
        this TransformsCatalog catalog,
        string featureColumnName = "Features",
        string labelColumnName = "Label",
        int examplesPerClassPerStep = 1,
        int steps = 10,
        int epochs = 3,
        int iterations = 200,
        ImageShape? imageShape = null,
        int? seed = null) =>
        DistillDataset(catalog, new DatasetDistillationOptions
        {
            FeatureColumnName = featureColumnName,
            LabelColumnName = labelColumnName,
            ExamplesPerClassPerStep = examplesPerClassPerStep,
            Steps = steps,
            Epochs = epochs,
            Iterations = iterations,
            ImageShape = imageShape,
            Seed = seed,
        });

    /// <summary>Learns a small synthetic training set with every setting of <paramref name="options"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The settings.</param>
    public static DatasetDistillationEstimator DistillDataset(this TransformsCatalog catalog, DatasetDistillationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new DatasetDistillationEstimator(HostEnvironments.TryGet(catalog), options);
    }

    /// <summary>
    /// ZCA whitening of a known-size vector of Single column: x ↦ W(x − μ), W = (Σ + εI)^(−1/2), fitted to the rows given
    /// to <c>Fit</c>. It decorrelates the features while keeping images looking like images; trajectory matching distils
    /// CIFAR on whitened images (on MNIST it did worse; see docs/results.md). Whiten before <c>DistillDataset</c>, score
    /// test rows through the same fitted whitening, and map distilled rows back with
    /// <see cref="ZcaWhiteningTransformer.InverseTransform"/> to view them.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The column of whitened vectors (it hides an input column of that name).</param>
    /// <param name="inputColumnName">The column whitened; null whitens <paramref name="outputColumnName"/> in place.</param>
    /// <param name="epsilon">ε, added to every eigenvalue of the covariance, in the features' units squared: the
    /// reference's 0.1 is for pixels scaled to 0…1 (pixels of 0…255 want 0.1 × 255² ≈ 6500 for the same whitening).</param>
    /// <example>
    /// <code>
    /// var whitening = mlContext.Transforms.WhitenZca("Features").Fit(train);
    /// var distilled = mlContext.Transforms.DistillDataset(options).Fit(whitening.Transform(train));
    /// IDataView viewable = whitening.InverseTransform(distilled.DistilledData);
    /// </code>
    /// </example>
    public static ZcaWhiteningEstimator WhitenZca(
        this TransformsCatalog catalog, string outputColumnName = "Features", string? inputColumnName = null, float epsilon = 0.1f)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ZcaWhiteningEstimator(outputColumnName, inputColumnName, epsilon);
    }

    /// <summary>
    /// The paper's learner as a multiclass trainer: trains the network <paramref name="distillation"/> was learned for,
    /// with its learned learning-rate schedule, on the rows given to <c>Fit</c> (the distilled rows, or any rows with a
    /// key label of the same classes, for example a random sample of real rows as a baseline), and scores data as
    /// ML.NET's multiclass trainers do.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="distillation">The fitted distillation: the architecture, schedule and initialisation.</param>
    /// <param name="initializationSeed">Null for the distillation's own initialisation; a value for a fresh random one.</param>
    /// <param name="featureColumnName">The feature column (default: the distillation's).</param>
    /// <param name="labelColumnName">The key label column (default: the distillation's).</param>
    /// <param name="stepColumnName">The step column, used when present (default: the distillation's).</param>
    /// <param name="softLabelColumnName">The learned-label column, trained on when present (default: the distillation's,
    /// when it learned labels).</param>
    /// <param name="threads">Threads the training may use; null uses one per processor. The weights are the same for any number.</param>
    /// <example>
    /// <code>
    /// var network = mlContext.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(distilled.DistilledData);
    /// var metrics = mlContext.MulticlassClassification.Evaluate(network.Transform(test));
    /// </code>
    /// </example>
    public static DistilledNetworkTrainer DistilledNetwork(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        DatasetDistillationTransformer distillation,
        int? initializationSeed = null,
        string? featureColumnName = null,
        string? labelColumnName = null,
        string? stepColumnName = null,
        string? softLabelColumnName = null,
        int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new DistilledNetworkTrainer(HostEnvironments.TryGet(catalog), distillation, initializationSeed, featureColumnName,
            labelColumnName, stepColumnName, softLabelColumnName, threads);
    }
}
