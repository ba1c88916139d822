using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>
/// The result of <see cref="DatasetDistillationEstimator"/>: a few learned rows per class and step
/// (<see cref="DistilledData"/>), and a learned learning rate for each inner training step
/// (<see cref="LearningRateSchedule"/>).
/// </summary>
/// <remarks>
/// <para><b>In a pipeline.</b> <see cref="Transform"/> returns the distilled rows for the very <see cref="IDataView"/> the
/// transformer was fitted on (the same object), and any other data unchanged. That is what makes
/// <c>DistillDataset(...).Append(trainer)</c> work: <c>Fit</c> of the chain hands the fitted-on view to
/// <see cref="Transform"/>, so the trainer learns from the distilled rows, while the fitted chain passes test data (and
/// the rows of a <c>PredictionEngine</c>) straight to the trainer's model, so it scores the test rows themselves. A
/// transformer loaded with <see cref="Load"/> was fitted on nothing and always passes data through. The distilled rows are
/// always <see cref="DistilledData"/>.</para>
/// <para>The distilled view has three columns, and a fourth when labels were learned:</para>
/// <list type="bullet">
/// <item>the feature column: the input's vector type (same size and dimensions) with the input's slot names;</item>
/// <item>the label column: the input's key type (<see cref="ClassCount"/> values) with its key values;</item>
/// <item>the step column (default "Step"): an <see cref="int"/>, the 0-based step the row is used in;</item>
/// <item>with <see cref="DatasetDistillationOptions.LearnLabels"/>, the soft-label column (default "SoftLabel"): a vector of
/// <see cref="ClassCount"/> <see cref="float"/> values, the row's learned label, in class order. Training on the rows
/// with the schedule (<see cref="TrainNetwork"/>, the <c>DistilledNetwork</c> trainer) takes the cross-entropy against it
/// instead of the one-hot class.</item>
/// </list>
/// <para>Rows come step by step; within a step, class by class, <see cref="ExamplesPerClassPerStep"/> rows per class.
/// Training runs Steps × Epochs gradient steps: step t uses the rows of step t mod Steps with rate
/// <see cref="LearningRateSchedule"/>[t].</para>
/// <para>ML.NET's model files cannot hold a component from outside ML.NET (see <see cref="Save"/>): save with
/// <see cref="SaveTo"/> and load with <see cref="Load"/>.</para>
/// </remarks>
public sealed class DatasetDistillationTransformer : ITransformer
{
    // 2 added the soft-label column name, 3 the method and dimensions (dropping the label kind), 4 the frame; 1 to 3 still load.
    private static readonly FileFormat Format = new("MLDL", "saved DatasetDistillationTransformer", 4) { OldestVersion = 1, FirstFramedVersion = 4 };

    private readonly DistilledDataset data;
    private readonly string[]? slotNames;
    private readonly int[] featureDimensions;
    private readonly KeyValues? keyValues;
    private readonly float[]? fixedWeights;
    private readonly float[][]? pretrainedWeights;
    private readonly WeakReference<IDataView>? fittedOn; // weak: the transformer must not keep the training data alive
    private readonly Lazy<IDataView> distilledData;

    internal DatasetDistillationTransformer(
        DistilledDataset data, DistillationMethod method, string featureColumnName, string labelColumnName, string stepColumnName, string? softLabelColumnName, string[]? slotNames, int[] featureDimensions,
        KeyValues? keyValues, NetworkSpec network, DistillationInitializationMode initializationMode,
        DistillationInitScheme initScheme, int seed, int examplesPerClassPerStep, float[]? fixedWeights, float[][]? pretrainedWeights, IDataView? fittedOn)
    {
        this.data = data;
        Method = method;
        FeatureColumnName = featureColumnName;
        LabelColumnName = labelColumnName;
        StepColumnName = stepColumnName;
        SoftLabelColumnName = softLabelColumnName;
        this.slotNames = slotNames;
        this.featureDimensions = featureDimensions;
        this.keyValues = keyValues;
        Network = network;
        InitializationMode = initializationMode;
        InitScheme = initScheme;
        Seed = seed;
        ExamplesPerClassPerStep = examplesPerClassPerStep;
        this.fixedWeights = fixedWeights;
        this.pretrainedWeights = pretrainedWeights;
        this.fittedOn = fittedOn is null ? null : new WeakReference<IDataView>(fittedOn);
        DistilledSchema = BuildSchema();
        distilledData = new Lazy<IDataView>(BuildView);
    }

    /// <summary>How the rows were made.</summary>
    public DistillationMethod Method { get; }

    /// <summary>The name of the feature column.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The name of the label column.</summary>
    public string LabelColumnName { get; }

    /// <summary>The name of the step column.</summary>
    public string StepColumnName { get; }

    /// <summary>The name of the soft-label column, or null when labels were not learned.</summary>
    public string? SoftLabelColumnName { get; }

    /// <summary>Distinct steps, each with its own rows.</summary>
    public int Steps => data.Steps;

    /// <summary>Passes over the steps when training.</summary>
    public int Epochs => data.Epochs;

    /// <summary>Distilled rows of every class in each step.</summary>
    public int ExamplesPerClassPerStep { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount => data.Examples.ClassCount;

    /// <summary>Values in one feature vector.</summary>
    public int FeatureCount => data.Examples.ExampleSize;

    /// <summary>Rows of the distilled data: ClassCount × ExamplesPerClassPerStep × Steps.</summary>
    public int RowCount => data.Examples.Count;

    /// <summary>The network the data was distilled for (never <see cref="DistillationNetworkKind.Auto"/>).</summary>
    public DistillationNetworkKind NetworkKind => Network.Kind;

    /// <summary>The image layout of the features, or null for plain features.</summary>
    public ImageShape? ImageShape => Network.Image;

    /// <summary>Hidden layer widths of the MLP (empty for the other networks).</summary>
    public IReadOnlyList<int> MlpHiddenSizes => Network.Kind == DistillationNetworkKind.Mlp ? Network.HiddenSizes : [];

    /// <summary>Where the initial weights came from while distilling.</summary>
    public DistillationInitializationMode InitializationMode { get; }

    /// <summary>How fresh weights are drawn.</summary>
    public DistillationInitScheme InitScheme { get; }

    /// <summary>The seed of the distillation (the one drawn from the <see cref="MLContext"/> when the options gave none).</summary>
    public int Seed { get; }

    /// <summary>
    /// The distilled rows (see the remarks for the columns and their order), whatever data <see cref="Transform"/> is given.
    /// </summary>
    public IDataView DistilledData => distilledData.Value;

    /// <summary>The learned learning rate of each of the Steps × Epochs inner steps (a copy).</summary>
    public float[] LearningRateSchedule => (float[])data.LearningRates.Clone();

    /// <summary>The distilled features, row after row (a copy of RowCount × FeatureCount values).</summary>
    public float[] GetFeatures() => (float[])data.Examples.Features.Clone();

    /// <summary>The class of each distilled row, 0-based (the key value minus 1), a copy.</summary>
    public int[] GetClasses() => (int[])data.Examples.Labels.Clone();

    /// <summary>
    /// The learned label vector of each distilled row, RowCount × ClassCount values row after row (a copy), or null when
    /// labels were not learned.
    /// </summary>
    public float[]? GetSoftLabels() => (float[]?)data.SoftLabels?.Clone();

    /// <summary>The 0-based step of each distilled row.</summary>
    public int[] GetSteps() => Enumerable.Range(0, RowCount).Select(data.StepOf).ToArray();

    /// <summary>True: for any data but the data it was fitted on, the transformer is the identity on rows.</summary>
    public bool IsRowToRowMapper => true;

    internal NetworkSpec Network { get; }

    internal DistilledDataset Data => data;

    internal KeyValues? LabelKeyValues => keyValues;

    internal DataViewSchema DistilledSchema { get; }

    /// <summary>
    /// The schema of <see cref="DistilledData"/> when <paramref name="inputSchema"/> is the schema of the data the
    /// transformer was fitted on, and <paramref name="inputSchema"/> itself otherwise (see the remarks).
    /// </summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return fittedOn is not null && fittedOn.TryGetTarget(out IDataView? fitted) && ReferenceEquals(fitted.Schema, inputSchema) ? DistilledSchema : inputSchema;
    }

    /// <summary>The identity on rows of <paramref name="inputSchema"/>: what the transformer does to data it was not fitted on.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new PassThroughMapper(inputSchema);
    }

    /// <summary>
    /// <see cref="DistilledData"/> when <paramref name="input"/> is the very view the transformer was fitted on, so that
    /// the next estimator of a chain learns from the distilled rows; <paramref name="input"/> itself otherwise, so that a
    /// fitted chain scores test data rather than the distilled rows.
    /// </summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return fittedOn is not null && fittedOn.TryGetTarget(out IDataView? fitted) && ReferenceEquals(fitted, input) ? DistilledData : input;
    }

    private IDataView BuildView()
    {
        int size = FeatureCount;
        uint[] keys = data.Examples.Labels.Select(c => (uint)(c + 1)).ToArray();
        List<IInMemoryColumn> columns =
        [
            new VectorColumn<float>(data.Examples.Features, size),
            new ScalarColumn<uint>(keys),
            new ScalarColumn<int>(GetSteps()),
        ];
        if (data.SoftLabels is { } soft)
        {
            columns.Add(new VectorColumn<float>(soft, ClassCount));
        }

        return new InMemoryDataView(DistilledSchema, RowCount, [.. columns]);
    }

    /// <summary>
    /// Throws <see cref="NotSupportedException"/>: an ML.NET model file cannot hold a component from outside ML.NET. In
    /// Microsoft.ML 5 and 6, <see cref="ModelSaveContext"/> has no public member to write with, and <c>mlContext.Model.Load</c>
    /// finds components only through ML.NET's internal <c>LoadableClass</c> registration. Save with <see cref="SaveTo"/> and
    /// load with <see cref="Load"/>.
    /// </summary>
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            "DatasetDistillationTransformer cannot be saved in an ML.NET model file: ML.NET's ModelSaveContext offers outside components no public way to write, " +
            "and Model.Load only finds ML.NET's own registered components. Save it with transformer.SaveTo(path) and load it with " +
            "DatasetDistillationTransformer.Load(path); the distilled rows themselves can also be saved with mlContext.Data.SaveAsBinary(transformer.DistilledData, stream).");

    /// <summary>
    /// Trains the network the data was distilled for on the distilled rows with the learned schedule, and returns it as a scorer.
    /// </summary>
    /// <param name="initializationSeed">Null starts from the distillation's own initialisation (the fixed network in fixed
    /// mode, the first pretrained network in pretrained mode, a draw from <see cref="Seed"/> in random mode); a value draws
    /// fresh weights with it.</param>
    public DistilledNetworkTransformer TrainNetwork(int? initializationSeed = null) =>
        DistilledNetworkTrainer.Train(this, data, initializationSeed, FeatureColumnName);

    internal float[] InitialWeights(int? initializationSeed)
    {
        var network = Network.Create();
        if (initializationSeed is null)
        {
            if (InitializationMode == DistillationInitializationMode.Fixed && fixedWeights is not null)
            {
                return fixedWeights;
            }

            if (InitializationMode == DistillationInitializationMode.Pretrained && pretrainedWeights is { Length: > 0 })
            {
                return pretrainedWeights[0];
            }
        }

        return Evaluation.RandomInitializations(network, NetworkSpec.ToCore(InitScheme), initializationSeed ?? Seed)(0);
    }

    /// <summary>
    /// Writes the transformer to <paramref name="path"/> atomically (a temporary file in the same folder, then a move), in
    /// the frame all of the library's files share ("MLDL", format version 4, payload length, CRC-32) around a
    /// little-endian payload: the method; the feature, label, step and soft-label column names (the last empty when labels
    /// were not learned); slot names (count, then strings; 0 for none); the feature vector's dimensions (count, then each);
    /// the label key values (flag, then type code, count, values); the network (kind, feature count, class count, image
    /// flag and shape, hidden sizes); initialisation mode, scheme, seed, examples per class per step; the fixed weights
    /// (count or −1, values); the pretrained networks (count, then each as count and values); the Core distilled dataset
    /// ("MLDD") as length and bytes. Versions 1 to 3 (no frame, no checksum) are still read: versions 1 and 2 had no
    /// method (always unrolled) and no dimensions, and the input's label kind before the key values; version 1 had no
    /// soft-label column name.
    /// </summary>
    public void SaveTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] core = CoreBytes();
        FramedFile.Save(path, Format, writer =>
        {
            writer.Write((int)Method);
            writer.Write(FeatureColumnName);
            writer.Write(LabelColumnName);
            writer.Write(StepColumnName);
            writer.Write(SoftLabelColumnName ?? string.Empty);
            writer.Write(slotNames?.Length ?? 0);
            foreach (string name in slotNames ?? [])
            {
                writer.Write(name);
            }

            writer.Write(featureDimensions.Length);
            foreach (int dimension in featureDimensions)
            {
                writer.Write(dimension);
            }

            writer.Write(keyValues is null ? 0 : 1);
            keyValues?.Write(writer);
            Network.Write(writer);
            writer.Write((int)InitializationMode);
            writer.Write((int)InitScheme);
            writer.Write(Seed);
            writer.Write(ExamplesPerClassPerStep);
            WeightVectors.Write(writer, fixedWeights);
            writer.Write(pretrainedWeights?.Length ?? 0);
            foreach (float[] weights in pretrainedWeights ?? [])
            {
                WeightVectors.Write(writer, weights);
            }

            writer.Write(core.Length);
            writer.Write(core);
        });
    }

    /// <summary>Reads a transformer written by <see cref="SaveTo"/>, checking its checksum and every field.</summary>
    /// <exception cref="InvalidDataException">The file is not such a transformer, is damaged, truncated or inconsistent;
    /// the message names the file.</exception>
    public static DatasetDistillationTransformer Load(string path) => FramedFile.Load(path, Format, payload => LayerFiles.Parse(payload, (reader, version) =>
        {
            var method = version >= 3 ? (DistillationMethod)reader.ReadInt32() : DistillationMethod.Unrolled;
            string feature = reader.ReadString(), label = reader.ReadString(), step = reader.ReadString();
            string? softLabel = version >= 2 && reader.ReadString() is { Length: > 0 } name ? name : null;
            int slotCount = Count(reader, Math.Min(1 << 26, Remaining(reader)), "slot name count");
            string[]? slots = slotCount == 0 ? null : Enumerable.Range(0, slotCount).Select(_ => reader.ReadString()).ToArray();
            int[]? dimensions = version >= 3 ? Enumerable.Range(0, Count(reader, 8, "feature dimension count")).Select(_ => Count(reader, 1 << 30, "feature dimension")).ToArray() : null;
            if (version < 3)
            {
                reader.ReadInt32(); // the label kind of the input; labels are keys now
            }

            KeyValues? keys = reader.ReadInt32() != 0 ? KeyValues.Read(reader) : null;
            NetworkSpec network = NetworkSpec.Read(reader);
            var mode = (DistillationInitializationMode)reader.ReadInt32();
            var scheme = (DistillationInitScheme)reader.ReadInt32();
            int seed = reader.ReadInt32();
            int perClass = Count(reader, 1 << 20, "examples per class");
            float[]? fixedWeights = WeightVectors.Read(reader);
            int pretrainedCount = Count(reader, Math.Min(1 << 16, Remaining(reader) / 4), "pretrained network count");
            float[][]? pretrained = pretrainedCount == 0 ? null : Enumerable.Range(0, pretrainedCount).Select(_ => WeightVectors.Read(reader)!).ToArray();
            int coreLength = Count(reader, Remaining(reader), "distilled data length");
            byte[] core = reader.ReadBytes(coreLength);
            if (!Enum.IsDefined(method) || !Enum.IsDefined(mode) || !Enum.IsDefined(scheme))
            {
                throw new InvalidDataException("The method, initialisation mode or scheme is unknown.");
            }

            DistilledDataset data = CoreFromBytes(core);
            if (data.Examples.ExampleSize != network.FeatureCount || data.Examples.ClassCount != network.ClassCount
                || (slots is not null && slots.Length != network.FeatureCount) || (keys is not null && keys.Count != network.ClassCount)
                || (dimensions is not null && dimensions.Aggregate(1L, (a, b) => a * b) != network.FeatureCount)
                || data.ExamplesPerStep != perClass * network.ClassCount || (softLabel is null) != (data.SoftLabels is null))
            {
                throw new InvalidDataException("The sizes of its parts do not agree.");
            }

            return new DatasetDistillationTransformer(data, method, feature, label, step, softLabel, slots, dimensions ?? [network.FeatureCount], keys, network, mode, scheme, seed, perClass, fixedWeights, pretrained, fittedOn: null);
        }));

    internal static DataViewSchema.Annotations SlotNameAnnotations(string[]? names)
    {
        if (names is null)
        {
            return DataViewSchema.Annotations.Empty;
        }

        var builder = new DataViewSchema.Annotations.Builder();
        ReadOnlyMemory<char>[] memory = names.Select(n => n.AsMemory()).ToArray();
        builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, names.Length), KeyValues.Getter(memory));
        return builder.ToAnnotations();
    }

    private DataViewSchema BuildSchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(FeatureColumnName, new VectorDataViewType(NumberDataViewType.Single, featureDimensions), SlotNameAnnotations(slotNames));
        builder.AddColumn(LabelColumnName, new KeyDataViewType(typeof(uint), ClassCount), keyValues?.ToAnnotations() ?? DataViewSchema.Annotations.Empty);
        builder.AddColumn(StepColumnName, NumberDataViewType.Int32);
        if (SoftLabelColumnName is not null)
        {
            builder.AddColumn(SoftLabelColumnName, new VectorDataViewType(NumberDataViewType.Single, ClassCount));
        }

        return builder.ToSchema();
    }

    private byte[] CoreBytes()
    {
        using var stream = new MemoryStream();
        data.Save(stream);
        return stream.ToArray();
    }

    private static DistilledDataset CoreFromBytes(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return DistilledDataset.Load(stream);
    }

    private static int Count(BinaryReader reader, int max, string what)
    {
        int value = reader.ReadInt32();
        return value < 0 || value > max ? throw new InvalidDataException($"The {what} {value} is out of range.") : value;
    }

    private static int Remaining(BinaryReader reader) => LayerFiles.Remaining(reader);
}
