using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>
/// The paper's learner, as a multiclass trainer: trains the network a <see cref="DatasetDistillationTransformer"/> was
/// distilled for, with its learned learning-rate schedule, on labelled rows (usually the distilled rows; any rows with the
/// same columns work, for example a random sample of real rows as a baseline). Made by
/// <c>mlContext.MulticlassClassification.Trainers.DistilledNetwork(...)</c>; its model scores like ML.NET's multiclass
/// trainers' (a "Score" and a "PredictedLabel" column with the usual annotations).
/// </summary>
/// <remarks>
/// <para>The label column must be a key of <see cref="DatasetDistillationTransformer.ClassCount"/> values (as the
/// distilled view's is) and the feature column a vector of <see cref="DatasetDistillationTransformer.FeatureCount"/>
/// <see cref="float"/> values. When the step column is present (<see cref="int"/> or <see cref="uint"/>, 0-based), rows are
/// grouped by it; otherwise the rows, in order, are split into Steps equal consecutive groups. Every step needs the same
/// number of rows. Training then takes Steps × Epochs plain gradient steps of the cross-entropy: step t uses group
/// t mod Steps with rate <see cref="DatasetDistillationTransformer.LearningRateSchedule"/>[t]. The cross-entropy is against
/// the soft-label column (a vector of ClassCount <see cref="float"/> values) when the distillation learned labels and the
/// input has that column, and against the one-hot key label otherwise (for example on real rows as a baseline).</para>
/// <para>The initial weights: with no seed, the distillation's own (the fixed network in fixed mode, the first pretrained
/// network in pretrained mode, a draw from the distillation seed in random mode); with a seed, a fresh draw.</para>
/// </remarks>
public sealed class DistilledNetworkTrainer : IEstimator<DistilledNetworkTransformer>
{
    private readonly IHostEnvironment? environment;
    private readonly DatasetDistillationTransformer distillation;
    private readonly int? initializationSeed;
    private readonly string featureColumnName;
    private readonly string labelColumnName;
    private readonly string stepColumnName;
    private readonly string? softLabelColumnName;
    private readonly int? threads;

    /// <summary>The source name of the trainer's messages in <c>MLContext.Log</c>.</summary>
    private const string ComponentName = "DistilledNetwork";

    internal DistilledNetworkTrainer(
        IHostEnvironment? environment, DatasetDistillationTransformer distillation, int? initializationSeed, string? featureColumnName,
        string? labelColumnName, string? stepColumnName, string? softLabelColumnName, int? threads)
    {
        ArgumentNullException.ThrowIfNull(distillation);
        if (threads is int count)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(threads));
        }

        this.threads = threads;
        this.environment = environment;
        this.distillation = distillation;
        this.initializationSeed = initializationSeed;
        this.featureColumnName = featureColumnName ?? distillation.FeatureColumnName;
        this.labelColumnName = labelColumnName ?? distillation.LabelColumnName;
        this.stepColumnName = stepColumnName ?? distillation.StepColumnName;
        this.softLabelColumnName = softLabelColumnName ?? distillation.SoftLabelColumnName;
    }

    /// <summary>Checks the feature and label columns and adds the "Score" (vector of Single) and "PredictedLabel" (key) columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaShape.Column feature = SchemaShapes.Find(inputSchema, featureColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{featureColumnName}' was not found in the input; it must be {LabeledRowReader.ExpectedFeature}.");
        if (feature.Kind != SchemaShape.Column.VectorKind.Vector || feature.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{featureColumnName}' must be {LabeledRowReader.ExpectedFeature}, but it is {feature.Kind} of {feature.ItemType}.");
        }

        SchemaShape.Column label = SchemaShapes.Find(inputSchema, labelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The label column '{labelColumnName}' was not found in the input; it must be a key.");
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The label column '{labelColumnName}' must be a key, but it is {label.Kind} of {label.ItemType}.");
        }

        // As ML.NET's own estimators do, a new column replaces an input column of the same name.
        var columns = inputSchema.Where(c => c.Name != DistilledNetworkTransformer.ScoreColumnName && c.Name != DistilledNetworkTransformer.PredictedLabelColumnName).ToList();
        if (SchemaShapes.TryMakeColumn(DistilledNetworkTransformer.ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false) is { } score)
        {
            columns.Add(score);
        }

        if (SchemaShapes.TryMakeColumn(DistilledNetworkTransformer.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, label.Annotations) is { } predicted)
        {
            columns.Add(predicted);
        }

        return new SchemaShape(columns);
    }

    /// <summary>Trains the network on <paramref name="input"/> with the distilled schedule.</summary>
    public DistilledNetworkTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using IChannel? channel = HostEnvironments.TryStartChannel(environment, ComponentName);
        DataViewSchema.Column labelColumn = LabeledRowReader.FindColumn(input.Schema, labelColumnName, "label", "a key");
        if (labelColumn.Type is not KeyDataViewType key || key.Count != (ulong)distillation.ClassCount)
        {
            throw new ArgumentOutOfRangeException(nameof(input),
                $"The label column '{labelColumnName}' must be a key of {distillation.ClassCount} values (the distilled classes), but it is {labelColumn.Type}.");
        }

        LabeledRows rows = LabeledRowReader.Read(input, featureColumnName, labelColumnName, stepColumnName);
        if (rows.FeatureCount != distillation.FeatureCount)
        {
            throw new ArgumentOutOfRangeException(nameof(input),
                $"The feature column '{featureColumnName}' holds vectors of {rows.FeatureCount}, but the network takes {distillation.FeatureCount}.");
        }

        int steps = distillation.Steps, count = rows.Classes.Length;
        int[] stepOf = rows.Steps ?? Enumerable.Range(0, count).Select(i => count % steps == 0 ? i / (count / steps) : -1).ToArray();
        if (rows.Steps is null && count % steps != 0)
        {
            throw new InvalidOperationException($"{count} rows cannot be split into {steps} equal steps, and the input has no step column '{stepColumnName}'.");
        }

        int[] perStep = new int[steps];
        foreach (int s in stepOf)
        {
            if (s < 0 || s >= steps)
            {
                throw new InvalidOperationException($"The step column '{stepColumnName}' holds {s}, outside 0…{steps - 1}.");
            }

            perStep[s]++;
        }

        if (perStep.Distinct().Count() != 1)
        {
            throw new InvalidOperationException($"Every step needs the same number of rows, but the steps of column '{stepColumnName}' have [{string.Join(", ", perStep)}].");
        }

        int classCount = distillation.ClassCount;
        float[]? softLabels = softLabelColumnName is not null && input.Schema.GetColumnOrNull(softLabelColumnName) is not null
            ? LabeledRowReader.ReadVectors(input, softLabelColumnName, classCount, "soft-label")
            : null;
        int[] order = Enumerable.Range(0, count).OrderBy(i => stepOf[i]).ToArray();
        int size = rows.FeatureCount;
        var features = new float[count * size];
        var classes = new int[count];
        float[]? orderedSoftLabels = softLabels is null ? null : new float[count * classCount];
        for (int i = 0; i < count; i++)
        {
            rows.Features.AsSpan(order[i] * size, size).CopyTo(features.AsSpan(i * size));
            classes[i] = rows.Classes[order[i]];
            softLabels?.AsSpan(order[i] * classCount, classCount).CopyTo(orderedSoftLabels.AsSpan(i * classCount));
        }

        // The reader has checked the soft labels' size and values, naming the column.
        var schedule = new DistilledDataset(
            features, classes, distillation.Network.ExampleShape, classCount, steps, distillation.Epochs, distillation.LearningRateSchedule, orderedSoftLabels);

        string targets = orderedSoftLabels is null ? "key labels" : $"soft labels of column '{softLabelColumnName}'";
        channel.Log($"Training {distillation.NetworkKind} on {count} rows ({targets}) in {steps} steps × {distillation.Epochs} epochs with the distilled learning rates.");
        using TensorThreads.Scope limit = TensorThreads.Limit(threads);
        return Train(distillation, schedule, initializationSeed, featureColumnName);
    }

    internal static DistilledNetworkTransformer Train(DatasetDistillationTransformer distillation, DistilledDataset schedule, int? initializationSeed, string featureColumnName)
    {
        var network = distillation.Network.Create();
        float[] weights = Evaluation.Train(network, schedule, distillation.InitialWeights(initializationSeed));
        return new DistilledNetworkTransformer(new DistilledNetworkModel(distillation.Network, network, weights), featureColumnName, distillation.LabelKeyValues);
    }
}
