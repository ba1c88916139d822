using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>
/// Dataset distillation (Wang, Zhu, Torralba and Efros, 2018) as an ML.NET estimator: <see cref="Fit"/> learns a few
/// synthetic rows per class and step, and a learning rate per training step, such that a network trained on them with
/// those rates does well on the input data. Made by <c>mlContext.Transforms.DistillDataset(...)</c>. With
/// <see cref="DatasetDistillationOptions.Method"/> it condenses the input by other means instead (random rows, class
/// means, k-means centroids, distribution, gradient or trajectory matching), which suit ML.NET's own trainers better.
/// </summary>
/// <remarks>
/// <para>Input: a feature column that is a known-size vector of <see cref="float"/> (dense or sparse) and a key label
/// column, as ML.NET's multiclass trainers take (map other label types first with
/// <c>mlContext.Transforms.Conversion.MapValueToKey</c>). Key k is class k − 1; the key count and key values carry over
/// to the distilled rows. Every row needs a label (a missing key is refused) and there must be at least two classes,
/// each with at least <see cref="DatasetDistillationOptions.ExamplesPerClassPerStep"/> rows.</para>
/// <para>Output: see <see cref="DatasetDistillationTransformer"/>. Progress is reported once per iteration; messages go
/// to <c>MLContext.Log</c> under the source "DatasetDistillation" (start and end at Info, each iteration at Trace).
/// Cancellation is checked between iterations, before each of gradient matching's updates within one (an iteration of
/// minutes at 10 examples per class; the cancelled iteration is undone and runs again on resuming) and before every
/// mini-batch of trajectory matching's expert training,
/// and with <see cref="DatasetDistillationOptions.CheckpointPath"/> a cancelled or interrupted <see cref="Fit"/> can be
/// continued. Without <see cref="DatasetDistillationOptions.Seed"/> the
/// seed is drawn from the <see cref="MLContext"/>'s random source, so <c>new MLContext(seed: n)</c> makes runs repeatable.</para>
/// </remarks>
public sealed class DatasetDistillationEstimator : IEstimator<DatasetDistillationTransformer>
{
    /// <summary>The source name of the layer's messages in <c>MLContext.Log</c>.</summary>
    internal const string ComponentName = "DatasetDistillation";

    private readonly IHostEnvironment? environment;
    private readonly DatasetDistillationOptions options;

    internal DatasetDistillationEstimator(IHostEnvironment? environment, DatasetDistillationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.FeatureColumnName, nameof(options.FeatureColumnName));
        ArgumentException.ThrowIfNullOrEmpty(options.LabelColumnName, nameof(options.LabelColumnName));
        ArgumentException.ThrowIfNullOrEmpty(options.StepColumnName, nameof(options.StepColumnName));
        if (options.StepColumnName == options.FeatureColumnName || options.StepColumnName == options.LabelColumnName || options.FeatureColumnName == options.LabelColumnName)
        {
            throw new ArgumentException(
                $"The feature, label and step columns need three different names, but they are '{options.FeatureColumnName}', '{options.LabelColumnName}' and '{options.StepColumnName}'.",
                nameof(options));
        }

        if (options.LearnLabels)
        {
            ArgumentException.ThrowIfNullOrEmpty(options.SoftLabelColumnName, nameof(options.SoftLabelColumnName));
            if (options.SoftLabelColumnName == options.FeatureColumnName || options.SoftLabelColumnName == options.LabelColumnName || options.SoftLabelColumnName == options.StepColumnName)
            {
                throw new ArgumentException(
                    $"The soft-label column needs a name of its own, but '{options.SoftLabelColumnName}' is also the feature, label or step column.", nameof(options));
            }
        }

        ToCoreOptions(options, options.Seed ?? 0).Validate();
        if (options.Method != DistillationMethod.Unrolled)
        {
            bool matching = IsMatching(options.Method);
            string? unrolledOnly = options.LearnLabels ? nameof(options.LearnLabels)
                : options.KeepBestEvery > 0 ? nameof(options.KeepBestEvery)
                : options.CheckpointPath is not null && !matching ? nameof(options.CheckpointPath)
                : options.InitializeFromRealExamples && options.Method != DistillationMethod.GradientMatching ? nameof(options.InitializeFromRealExamples)
                : null;
            if (unrolledOnly is not null)
            {
                string methods = unrolledOnly == nameof(options.CheckpointPath) ? "Unrolled, GradientMatching, DistributionMatching and TrajectoryMatching"
                    : unrolledOnly == nameof(options.InitializeFromRealExamples) ? "Unrolled and GradientMatching"
                    : "Unrolled";
                throw new ArgumentException($"{unrolledOnly} applies to Method = {methods} only, but the method is {options.Method}.", nameof(options));
            }
        }

        if (options.SiameseAugmentation && !IsMatching(options.Method))
        {
            throw new ArgumentException($"SiameseAugmentation applies to Method = GradientMatching, DistributionMatching and TrajectoryMatching only, but the method is {options.Method}.", nameof(options));
        }

        if (options.MatchingLearningRate is { } matchingRate)
        {
            if (!IsMatching(options.Method))
            {
                throw new ArgumentException(
                    $"MatchingLearningRate applies to Method = GradientMatching, DistributionMatching and TrajectoryMatching only, but the method is {options.Method}.", nameof(options));
            }

            if (!(matchingRate > 0) || !float.IsFinite(matchingRate))
            {
                throw new ArgumentOutOfRangeException(nameof(options.MatchingLearningRate), matchingRate, "MatchingLearningRate must be a positive number.");
            }
        }

        CheckTrajectoryMatchingOptions(options);

        if (options.SiameseAugmentation && options.ImageShape is null)
        {
            throw new ArgumentException("SiameseAugmentation transforms images: set ImageShape to the layout of the feature column.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.CheckpointEvery, nameof(options.CheckpointEvery));
        if (options.CheckpointPath is { Length: 0 })
        {
            throw new ArgumentException("CheckpointPath is empty; leave it null to keep no checkpoint.", nameof(options));
        }

        this.environment = environment;
        this.options = options;
    }

    /// <summary>
    /// Checks the input shape and returns the shape of the distilled rows: the feature and key label columns as they are, the
    /// step column (<see cref="int"/>) and, with <see cref="DatasetDistillationOptions.LearnLabels"/>, the soft-label column
    /// (a vector of <see cref="float"/>). Throws <see cref="ArgumentOutOfRangeException"/> naming a column that is missing or
    /// of the wrong type.
    /// </summary>
    /// <remarks>
    /// ML.NET keeps <see cref="SchemaShape.Column"/>'s constructor internal; the new columns are made through it by
    /// reflection. Should that fail in some ML.NET version, the shape lists the input's feature and label columns only
    /// (the check itself still runs). The shape is that of the rows <see cref="Fit"/>'s transformer gives for the data it
    /// was fitted on; other data passes through it unchanged (see <see cref="DatasetDistillationTransformer"/>).
    /// </remarks>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaShape.Column feature = SchemaShapes.FeatureColumn(inputSchema, options.FeatureColumnName);

        SchemaShape.Column label = SchemaShapes.Find(inputSchema, options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The label column '{options.LabelColumnName}' was not found in the input; it must be a key.");
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), LabeledRowReader.NotAKeyMessage(options.LabelColumnName, $"{label.Kind} of {label.ItemType}"));
        }

        var columns = new List<SchemaShape.Column> { feature, label };
        if (SchemaShapes.TryMakeColumn(options.StepColumnName, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Int32, false) is { } step)
        {
            columns.Add(step);
        }

        if (options.LearnLabels && SchemaShapes.TryMakeColumn(options.SoftLabelColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false) is { } soft)
        {
            columns.Add(soft);
        }

        return new SchemaShape(columns);
    }

    /// <summary>Reads the input and runs the distillation. See the class remarks for what the input must hold.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="ArgumentException">The image shape does not match the feature vector.</exception>
    /// <exception cref="InvalidOperationException">The data cannot be distilled: no rows, one class, a missing label,
    /// a class with too few rows (the message names the column). Or the <see cref="DatasetDistillationOptions.CheckpointPath"/>
    /// checkpoint was written for other options or rows, or is at an iteration beyond <see cref="DatasetDistillationOptions.Iterations"/>.
    /// Or the <see cref="DatasetDistillationOptions.ExpertTrajectoriesPath"/> file is damaged or was trained for another network,
    /// other rows or other settings.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <see cref="DatasetDistillationOptions.CheckpointPath"/> or
    /// <see cref="DatasetDistillationOptions.ExpertTrajectoriesPath"/> does not exist.</exception>
    /// <exception cref="OperationCanceledException">The options' cancellation token was cancelled (the checkpoint, if any, is saved first).</exception>
    /// <exception cref="DistillationDivergedException">The distillation diverged (its loss stopped being finite); a lower
    /// <see cref="DatasetDistillationOptions.LearningRate"/> (with the matching methods, <see cref="DatasetDistillationOptions.MatchingLearningRate"/>)
    /// usually helps.</exception>
    public DatasetDistillationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        options.CancellationToken.ThrowIfCancellationRequested();
        // Found now rather than at the first save, which may come an hour into the run.
        RequireFolderOf(options.CheckpointPath, nameof(options.CheckpointPath));
        RequireFolderOf(options.ExpertTrajectoriesPath, nameof(options.ExpertTrajectoriesPath));

        using IChannel? channel = HostEnvironments.TryStartChannel(environment, ComponentName);
        using TensorThreads.Scope threads = TensorThreads.Limit(options.Threads); // the baselines' and keep-best scoring too
        var clock = Stopwatch.StartNew();

        LabeledRows rows = LabeledRowReader.Read(input, options.FeatureColumnName, options.LabelColumnName);
        NetworkSpec spec = NetworkSpec.Resolve(options, rows.FeatureCount, rows.ClassCount);
        int[] counts = new int[rows.ClassCount];
        foreach (int c in rows.Classes)
        {
            counts[c]++;
        }

        int seed = options.Seed ?? HostEnvironments.DrawSeed(environment, ComponentName);
        DistillationOptions core = ToCoreOptions(options, seed);
        BaselineKind? baseline = options.Method switch
        {
            DistillationMethod.RandomRows => BaselineKind.RandomReal,
            DistillationMethod.ClassMeans => BaselineKind.AverageReal,
            DistillationMethod.KMeansCentroids => BaselineKind.KMeans,
            _ => null,
        };
        BaselineOptions packaging = new()
        {
            ExamplesPerClassPerStep = options.ExamplesPerClassPerStep, Steps = options.Steps, Epochs = options.Epochs, Seed = seed,
        };
        MatchingOptions? matching = IsMatching(options.Method) ? ToMatchingOptions(options, seed) : null;
        int needed = baseline is { } kind ? Baselines.ExamplesNeededPerClass(kind, packaging)
            : matching is not null ? (matching.InitializeFromRealExamples ? matching.ExamplesPerClass : 1)
            : core.ExamplesNeededPerClass;
        int smallest = Array.IndexOf(counts, counts.Min());
        if (counts[smallest] < needed)
        {
            string request = options.InitializeFromRealExamples || matching is not null || baseline is BaselineKind.RandomReal or BaselineKind.KMeans
                ? $"{(options.Method == DistillationMethod.Unrolled ? "InitializeFromRealExamples" : $"Method = {options.Method}")} with Steps × ExamplesPerClassPerStep = {needed} needs that many distinct rows"
                : $"ExamplesPerClassPerStep = {needed} needs at least that many rows";
            throw new InvalidOperationException(
                $"The label column '{options.LabelColumnName}' has {counts[smallest]} rows of class {smallest + 1}{ValueText(rows, smallest)}, " +
                $"but {request} of every class.");
        }

        var real = new LabeledExamples(rows.Features, rows.Classes, spec.ExampleShape, rows.ClassCount);
        var network = spec.Create();
        (DistilledDataset result, float[]? fixedWeights) = baseline is { } method ? (Condense(method, packaging, network, real, seed, channel), null)
            : matching is not null ? (Match(matching, packaging, network, real, spec, seed, channel), null)
            : Distill(core, network, real, spec, seed, channel);
        channel.Log($"Finished in {clock.Elapsed.TotalSeconds:F1} s: {result.Examples.Count} rows, " +
                    $"learning rates {result.LearningRates.Min():G3} … {result.LearningRates.Max():G3}.");

        string[]? slotNames = ReadSlotNames(input.Schema[options.FeatureColumnName], rows.FeatureCount);
        float[][]? pretrained = options.InitializationMode == DistillationInitializationMode.Pretrained
            ? options.PretrainedWeights?.Select(w => (float[])w.Clone()).ToArray()
            : null;
        return new DatasetDistillationTransformer(
            result, options.Method, options.FeatureColumnName, options.LabelColumnName, options.StepColumnName, options.LearnLabels ? options.SoftLabelColumnName : null,
            slotNames, [.. ((VectorDataViewType)input.Schema[options.FeatureColumnName].Type).Dimensions], rows.KeyValues, spec, options.InitializationMode, options.InitScheme, seed, options.ExamplesPerClassPerStep, fixedWeights, pretrained, fittedOn: input);
    }

    /// <summary>The paper's method: unrolled optimisation, with progress, checkpoints and cancellation.</summary>
    private (DistilledDataset Result, float[]? FixedWeights) Distill(DistillationOptions core, Network network, LabeledExamples real, NetworkSpec spec, int seed, IChannel? channel)
    {
        var distiller = new DatasetDistiller(network, real, core);
        channel.Log(
            $"Distilling {real.Count} rows of {real.ExampleSize} features in {real.ClassCount} classes into {options.Steps} steps × " +
            $"{options.ExamplesPerClassPerStep} rows per class for {spec.Kind} ({network.ParameterCount} parameters), " +
            $"{options.Iterations} iterations, {options.InitializationMode} initialisation, seed {seed}.");
        DistilledDataset result = Run(distiller, channel);
        if (distiller.Best is var (keptIteration, accuracy))
        {
            channel.Log($"Kept the snapshot of iteration {keptIteration}: accuracy {accuracy:P2} on the scoring rows.");
        }

        return (result, distiller.FixedWeights);
    }

    /// <summary>
    /// Gradient, distribution or trajectory matching through the same loop (progress, checkpoints, cancellation); the
    /// matched rows get one constant rate, chosen as for the condensations that learn no schedule. Trajectory matching's
    /// learned step size is not that rate: it was learned for steps on all the rows from an expert's weights part-way
    /// through training, not for the layer's schedule from fresh weights, so it is only logged.
    /// </summary>
    private DistilledDataset Match(MatchingOptions matching, BaselineOptions packaging, Network network, LabeledExamples real, NetworkSpec spec, int seed, IChannel? channel)
    {
        DatasetDistiller distiller = matching switch
        {
            GradientMatchingOptions gradient => new DatasetDistiller(network, real, gradient),
            TrajectoryMatchingOptions trajectory => new DatasetDistiller(network, real, trajectory, TrainExperts(trajectory, network, real, spec, channel)),
            _ => new DatasetDistiller(network, real, (DistributionMatchingOptions)matching),
        };
        string networks = matching is TrajectoryMatchingOptions t
            ? $"from the experts' weights ({t.SyntheticSteps} steps over {t.ExpertEpochs} expert epochs, starting before epoch {t.MaxStartEpoch})"
            : $"under random {spec.Kind} networks";
        channel.Log(
            $"Matching {real.Count} rows of {real.ExampleSize} features in {real.ClassCount} classes by {options.Method} with {options.Steps} steps × " +
            $"{options.ExamplesPerClassPerStep} rows per class {networks}{(options.SiameseAugmentation ? ", siamese augmentation" : string.Empty)}, " +
            $"{options.Iterations} iterations, seed {seed}.");
        DistilledDataset learned;
        try
        {
            learned = Run(distiller, channel);
        }
        catch (DistillationDivergedException e)
        {
            // Core's advice names its own options; the layer's rate of the rows is MatchingLearningRate.
            throw new DistillationDivergedException(e.Iteration,
                $"{options.Method} diverged at iteration {e.Iteration}: its loss or gradient stopped being finite. Try a lower MatchingLearningRate (now {matching.LearningRate:G3}).");
        }

        if (matching is TrajectoryMatchingOptions)
        {
            channel.Log($"Learned step size {learned.LearningRates[0]:G4}.");
        }

        LabeledExamples matched = learned.Examples;
        Func<int, float[]> scoringNetworks = Baselines.RandomInitializations(network, NetworkSpec.ToCore(options.InitScheme), seed);
        return Baselines.FromExamplesByClass(matched, network, real, packaging, scoringNetworks, options.CancellationToken);
    }

    /// <summary>
    /// Trains the experts of trajectory matching on <paramref name="real"/> for <paramref name="network"/>, or reads and
    /// continues them from <see cref="DatasetDistillationOptions.ExpertTrajectoriesPath"/>. Their progress goes to the log
    /// (each epoch at Trace), not to <see cref="DatasetDistillationOptions.Progress"/>, whose reports are iterations with a loss.
    /// </summary>
    private ExpertTrajectories TrainExperts(TrajectoryMatchingOptions matching, Network network, LabeledExamples real, NetworkSpec spec, IChannel? channel)
    {
        var training = new ExpertTrainingOptions
        {
            Experts = options.ExpertCount ?? DefaultExpertCount,
            Epochs = options.ExpertEpochs ?? ExpertEpochsNeeded(matching),
            Augmentation = matching.Augmentation,
            InitScheme = matching.InitScheme,
            // Without a Seed every fit draws its own, and a file kept in ExpertTrajectoriesPath would be refused by the next
            // fit: the experts, a cache of costly work on the same rows, then take the experts' default seed.
            Seed = options.Seed ?? new ExpertTrainingOptions().Seed,
            Threads = options.Threads,
        };
        string? path = options.ExpertTrajectoriesPath;
        channel.Log(
            $"{(path is not null && File.Exists(path) ? $"Reading (and continuing if unfinished) the experts in '{path}'" : "Training the experts")}: " +
            $"{training.Experts} {spec.Kind} networks, {training.Epochs} epochs each{(path is null ? string.Empty : $", kept in '{path}'")}.");
        var progress = new SynchronousProgress<ExpertTrainingProgress>(p =>
            channel.Detail($"Expert {p.Expert}, epoch {p.Epoch}: {p.EpochsDone} of {p.TotalEpochs} expert epochs trained."));
        try
        {
            return ExpertTrajectories.Train(network, real, training, path, progress, options.CancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidOperationException(
                $"ExpertTrajectoriesPath: {e.Message} Delete the file or choose another ExpertTrajectoriesPath to train the experts afresh.", e);
        }
    }

    /// <summary>Runs <paramref name="distiller"/> to <see cref="DatasetDistillationOptions.Iterations"/>, resuming, checkpointing and reporting as the options ask.</summary>
    private DistilledDataset Run(DatasetDistiller distiller, IChannel? channel)
    {
        string? checkpoint = options.CheckpointPath;
        if (checkpoint is not null && File.Exists(checkpoint))
        {
            Resume(distiller, checkpoint);
            channel.Log($"Resuming at iteration {distiller.Iteration} of {options.Iterations} from the checkpoint '{checkpoint}'.");
        }

        var progress = new SynchronousProgress<DistillationProgress>(p =>
        {
            options.Progress?.Report(new DatasetDistillationProgress(p.Iteration, p.TotalIterations, p.Loss, p.LearningRate));
            if (checkpoint is not null && options.CheckpointEvery > 0 && p.Iteration % options.CheckpointEvery == 0 && p.Iteration < p.TotalIterations)
            {
                distiller.SaveCheckpoint(checkpoint);
            }

            channel.Detail($"Iteration {p.Iteration}/{p.TotalIterations}: loss {p.Loss:G4}, learning rate {p.LearningRate:G3}.");
        });

        DistilledDataset result;
        try
        {
            result = distiller.Run(progress, options.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            if (checkpoint is not null)
            {
                distiller.SaveCheckpoint(checkpoint);
            }

            channel.Log($"Distillation cancelled after {distiller.Iteration} of {options.Iterations} iterations" +
                        (checkpoint is null ? "." : $"; the checkpoint '{checkpoint}' continues it."));
            throw;
        }

        if (checkpoint is not null)
        {
            distiller.SaveCheckpoint(checkpoint);
        }

        return result;
    }

    /// <summary>The methods that pick or summarise input rows; the constant rate is chosen for the network on input rows.</summary>
    private DistilledDataset Condense(BaselineKind kind, BaselineOptions baselineOptions, Network network, LabeledExamples real, int seed, IChannel? channel)
    {
        channel.Log(
            $"Condensing {real.Count} rows of {real.ExampleSize} features in {real.ClassCount} classes into {options.Steps} steps × " +
            $"{options.ExamplesPerClassPerStep} rows per class by {options.Method}, seed {seed}.");
        Func<int, float[]> scoringNetworks = Baselines.RandomInitializations(network, NetworkSpec.ToCore(options.InitScheme), seed);
        return Baselines.Create(kind, network, real, baselineOptions, scoringNetworks, options.CancellationToken);
    }

    private void Resume(DatasetDistiller distiller, string checkpoint)
    {
        try
        {
            distiller.LoadCheckpoint(checkpoint);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidOperationException($"CheckpointPath: {e.Message} Delete the file or choose another CheckpointPath to start afresh.", e);
        }

        if (distiller.Iteration > options.Iterations)
        {
            throw new InvalidOperationException(
                $"CheckpointPath: '{checkpoint}' is at iteration {distiller.Iteration}, beyond Iterations = {options.Iterations}; raise Iterations to continue it, or delete the file to start afresh.");
        }
    }

    private static string ValueText(LabeledRows rows, int index) =>
        rows.KeyValues is { } kv && index < kv.Count ? $" (value '{kv.Values.GetValue(index)}')" : string.Empty;

    private static string[]? ReadSlotNames(DataViewSchema.Column column, int size)
    {
        DataViewSchema.Column? annotation = column.Annotations.Schema.GetColumnOrNull("SlotNames");
        if (annotation?.Type is not VectorDataViewType { ItemType: TextDataViewType } type || type.Size != size)
        {
            return null;
        }

        VBuffer<ReadOnlyMemory<char>> names = default;
        column.Annotations.GetValue("SlotNames", ref names);
        return names.Length == size ? names.DenseValues().Select(n => n.ToString()).ToArray() : null;
    }

    private static DistillationOptions ToCoreOptions(DatasetDistillationOptions o, int seed) => new()
    {
        ExamplesPerClassPerStep = o.ExamplesPerClassPerStep,
        Steps = o.Steps,
        Epochs = o.Epochs,
        Iterations = o.Iterations,
        RealBatchSize = o.RealBatchSize,
        LearningRate = o.LearningRate,
        InitialStepLearningRate = o.InitialStepLearningRate,
        Initialization = NetworkSpec.ToCore(o.InitializationMode),
        InitScheme = NetworkSpec.ToCore(o.InitScheme),
        PretrainedWeights = o.PretrainedWeights,
        NetworksPerIteration = o.NetworksPerIteration,
        InitializeFromRealExamples = o.InitializeFromRealExamples,
        Seed = seed,
        Threads = o.Threads,
        KeepBestEvery = o.KeepBestEvery,
        KeepBestExamples = o.KeepBestExamples,
        KeepBestNetworks = o.KeepBestNetworks,
        LearnLabels = o.LearnLabels,
        LabelLearningRateScale = o.LabelLearningRateScale,
    };

    private static bool IsMatching(DistillationMethod method) =>
        method is DistillationMethod.GradientMatching or DistillationMethod.DistributionMatching or DistillationMethod.TrajectoryMatching;

    /// <summary>Experts trained when <see cref="DatasetDistillationOptions.ExpertCount"/> is null: few, since a CPU trains them.</summary>
    private const int DefaultExpertCount = 2;

    /// <summary>The epochs the matching reaches: a start before epoch T⁺ plus M epochs.</summary>
    private static int ExpertEpochsNeeded(TrajectoryMatchingOptions matching) => matching.MaxStartEpoch - 1 + matching.ExpertEpochs;

    /// <summary>
    /// Refuses the options of trajectory matching with another method, and with trajectory matching those out of range
    /// (under the layer's names: Core's ExpertEpochs is the layer's MatchedExpertEpochs).
    /// </summary>
    private static void CheckTrajectoryMatchingOptions(DatasetDistillationOptions options)
    {
        (string Name, int? Value)[] counts =
        [
            (nameof(options.ExpertCount), options.ExpertCount), (nameof(options.ExpertEpochs), options.ExpertEpochs),
            (nameof(options.SyntheticSteps), options.SyntheticSteps), (nameof(options.MatchedExpertEpochs), options.MatchedExpertEpochs),
            (nameof(options.MaxStartEpoch), options.MaxStartEpoch),
        ];
        if (options.Method != DistillationMethod.TrajectoryMatching)
        {
            string? set = options.ExpertTrajectoriesPath is not null ? nameof(options.ExpertTrajectoriesPath) : counts.FirstOrDefault(c => c.Value is not null).Name;
            if (set is not null)
            {
                throw new ArgumentException($"{set} applies to Method = TrajectoryMatching only, but the method is {options.Method}.", nameof(options));
            }

            return;
        }

        foreach ((string name, int? value) in counts)
        {
            if (value is int count)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, name);
            }
        }

        if (options.ExpertTrajectoriesPath is { Length: 0 })
        {
            throw new ArgumentException("ExpertTrajectoriesPath is empty; leave it null to train the experts in memory.", nameof(options));
        }

        if (options.ExpertTrajectoriesPath is { } experts && options.CheckpointPath is { } checkpoint && Path.GetFullPath(experts) == Path.GetFullPath(checkpoint))
        {
            throw new ArgumentException($"ExpertTrajectoriesPath and CheckpointPath are the same file, '{experts}': each needs its own.", nameof(options));
        }

        var matching = (TrajectoryMatchingOptions)ToMatchingOptions(options, options.Seed ?? 0);
        if (options.ExpertEpochs is int epochs && epochs < ExpertEpochsNeeded(matching))
        {
            throw new ArgumentException(
                $"ExpertEpochs = {epochs} is too few: MaxStartEpoch = {matching.MaxStartEpoch} and MatchedExpertEpochs = {matching.ExpertEpochs} " +
                $"reach expert epoch {ExpertEpochsNeeded(matching)}.", nameof(options));
        }
    }

    /// <summary>Throws <see cref="DirectoryNotFoundException"/> naming <paramref name="option"/> when the folder of <paramref name="path"/> does not exist.</summary>
    private static void RequireFolderOf(string? path, string option)
    {
        if (path is not null && Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder && !Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{option}: the folder '{folder}' does not exist.");
        }
    }

    /// <summary>
    /// The matching method's settings: the papers' rates, real batches and loops, with the layer's size, iterations, network
    /// draws, seed and augmentation. Gradient matching's outer loop is the rows per class, as in the papers; its inner loop is
    /// the papers' for their nearest count (1: 1, 10: 50, 20: 25, 30: 20, 40: 15, 50 and more: 10). Trajectory matching's
    /// N, M and T⁺ are the options' where set, else the paper's at one row per class.
    /// </summary>
    private static MatchingOptions ToMatchingOptions(DatasetDistillationOptions options, int seed)
    {
        int perClass = options.Steps * options.ExamplesPerClassPerStep;
        MatchingOptions matching = options.Method switch
        {
            DistillationMethod.GradientMatching => new GradientMatchingOptions
            {
                OuterLoop = perClass, InnerLoop = GradientMatchingInnerLoop(perClass), InitializeFromRealExamples = options.InitializeFromRealExamples,
            },
            DistillationMethod.TrajectoryMatching => new TrajectoryMatchingOptions(),
            _ => new DistributionMatchingOptions(),
        };
        if (matching is TrajectoryMatchingOptions trajectory)
        {
            trajectory.SyntheticSteps = options.SyntheticSteps ?? trajectory.SyntheticSteps;
            trajectory.ExpertEpochs = options.MatchedExpertEpochs ?? trajectory.ExpertEpochs;
            trajectory.MaxStartEpoch = options.MaxStartEpoch ?? trajectory.MaxStartEpoch;
        }

        matching.ExamplesPerClass = perClass;
        matching.LearningRate = options.MatchingLearningRate ?? matching.LearningRate;
        matching.Iterations = options.Iterations;
        matching.InitScheme = NetworkSpec.ToCore(options.InitScheme);
        matching.Seed = seed;
        matching.Threads = options.Threads;
        matching.Augmentation = options.SiameseAugmentation ? new DsaOptions() : null;
        return matching;
    }

    private static int GradientMatchingInnerLoop(int perClass) =>
        GradientMatchingOptions.PapersLoopTable.MinBy(p => Math.Abs(p.ExamplesPerClass - perClass)).Inner;

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and arrive late).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
