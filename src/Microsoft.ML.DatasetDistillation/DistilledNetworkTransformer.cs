using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>
/// A network trained by the <c>DistilledNetwork</c> trainer, as a row-to-row scorer like ML.NET's multiclass models: it
/// adds a "Score" column (a known-size vector of <see cref="float"/>: the softmax of the logits, one probability per
/// class) and a "PredictedLabel" column (a key of the class count with the training label's key values), both with the
/// annotations ML.NET's multiclass scorers give them, so <c>Evaluate</c>, <c>PermutationFeatureImportance</c> and
/// <c>PredictionEngine</c> take it as they take SDCA's.
/// </summary>
public sealed class DistilledNetworkTransformer : ISingleFeaturePredictionTransformer<DistilledNetworkModel>
{
    /// <summary>The output column of class probabilities.</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>The output column of predicted keys.</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    private readonly KeyValues? keyValues;

    internal DistilledNetworkTransformer(DistilledNetworkModel model, string featureColumnName, KeyValues? keyValues)
    {
        Model = model;
        FeatureColumnName = featureColumnName;
        this.keyValues = keyValues;
    }

    /// <summary>The trained network.</summary>
    public DistilledNetworkModel Model { get; }

    /// <summary>The input column of features.</summary>
    public string FeatureColumnName { get; }

    /// <summary>A known-size vector of <see cref="float"/> of the network's input size.</summary>
    public DataViewType FeatureColumnType => new VectorDataViewType(NumberDataViewType.Single, Model.FeatureCount);

    /// <summary>Always true.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the score and predicted label columns.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => GetMapper(inputSchema).OutputSchema;

    /// <summary>The scorer as a mapper over rows of <paramref name="inputSchema"/>.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => GetMapper(inputSchema);

    /// <summary>Adds the score and predicted label columns to <paramref name="input"/>, lazily.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new MappedDataView(input, GetMapper(input.Schema));
    }

    /// <summary>
    /// Throws <see cref="NotSupportedException"/>, for the reason <see cref="DatasetDistillationTransformer.Save"/> gives:
    /// save with <see cref="SaveTo"/> and load with <see cref="Load"/>.
    /// </summary>
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            "DistilledNetworkTransformer cannot be saved in an ML.NET model file: ML.NET's ModelSaveContext offers outside components no public way to write, " +
            "and Model.Load only finds ML.NET's own registered components. Save it with scorer.SaveTo(path) and load it with DistilledNetworkTransformer.Load(path).");

    /// <summary>
    /// Writes the scorer to <paramref name="path"/> atomically (a temporary file in the same folder, then a move).
    /// In the frame all of the library's files share ("MLDN", format version 3, payload length, CRC-32), a little-endian
    /// payload: the feature column name; the network (as in the distillation file); the weights (count, values); the label
    /// key values (flag, then type code, count, values). Versions 1 and 2 (no frame) are still read; version 1 had the score
    /// and predicted-label column names after the feature column's.
    /// </summary>
    public void SaveTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FramedFile.Save(path, Format, writer =>
        {
            writer.Write(FeatureColumnName);
            Model.Spec.Write(writer);
            WeightVectors.Write(writer, Model.Weights);

            writer.Write(keyValues is null ? 0 : 1);
            keyValues?.Write(writer);
        });
    }

    /// <summary>Reads a scorer written by <see cref="SaveTo"/>, validating the file.</summary>
    /// <exception cref="InvalidDataException">The file is not such a scorer, is truncated or inconsistent.</exception>
    public static DistilledNetworkTransformer Load(string path) => FramedFile.Load(path, Format, payload => LayerFiles.Parse(payload, (reader, version) =>
        {
            string feature = reader.ReadString();
            if (version == 1)
            {
                reader.ReadString(); // the score and predicted-label column names, fixed since
                reader.ReadString();
            }

            NetworkSpec spec = NetworkSpec.Read(reader);
            Network network = spec.Create();
            float[]? weights = WeightVectors.Read(reader);
            if (weights?.Length != network.ParameterCount)
            {
                throw new InvalidDataException($"The file holds {weights?.Length ?? 0} weights, but the network has {network.ParameterCount}.");
            }

            KeyValues? keys = reader.ReadInt32() != 0 ? KeyValues.Read(reader) : null;
            if (keys is not null && keys.Count != spec.ClassCount)
            {
                throw new InvalidDataException($"The file holds {keys.Count} label values for {spec.ClassCount} classes.");
            }

            return new DistilledNetworkTransformer(new DistilledNetworkModel(spec, network, weights), feature, keys);
        }));

    // 2 dropped the score and predicted-label column names, 3 added the frame; 1 and 2 still load.
    private static readonly FileFormat Format = new("MLDN", "saved DistilledNetworkTransformer", 3) { OldestVersion = 1, FirstFramedVersion = 3 };

    private DistilledNetworkMapper GetMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        DataViewSchema.Column feature = LabeledRowReader.VectorColumn(inputSchema, FeatureColumnName, Model.FeatureCount, "feature");
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        var annotations = new ScoreAnnotations(inputSchema, keyValues);
        builder.AddColumn(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, Model.ClassCount), annotations.ForScore());
        builder.AddColumn(PredictedLabelColumnName, new KeyDataViewType(typeof(uint), Model.ClassCount), annotations.ForPredictedLabel());
        return new DistilledNetworkMapper(this, inputSchema, feature, builder.ToSchema());
    }
}
