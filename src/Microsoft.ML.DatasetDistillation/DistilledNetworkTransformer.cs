using System.Text;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>
/// A network trained on distilled data, as a row-to-row scorer: it adds a score column (a known-size vector of
/// <see cref="float"/>: the softmax of the logits, one probability per class) and a predicted label column (a key of the
/// class count, with the distilled label's key values), which <c>mlContext.MulticlassClassification.Evaluate</c> accepts.
/// </summary>
public sealed class DistilledNetworkTransformer : ITransformer
{
    private readonly Network network;
    private readonly float[] weights;
    private readonly KeyValues? keyValues;

    internal DistilledNetworkTransformer(NetworkSpec spec, Network network, float[] weights, string featureColumnName, string scoreColumnName,
        string predictedLabelColumnName, KeyValues? keyValues)
    {
        Spec = spec;
        this.network = network;
        this.weights = weights;
        FeatureColumnName = featureColumnName;
        ScoreColumnName = scoreColumnName;
        PredictedLabelColumnName = predictedLabelColumnName;
        this.keyValues = keyValues;
    }

    /// <summary>The input column of features.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The output column of class probabilities.</summary>
    public string ScoreColumnName { get; }

    /// <summary>The output column of predicted keys.</summary>
    public string PredictedLabelColumnName { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount => network.ClassCount;

    /// <summary>The network's architecture.</summary>
    public DistillationNetworkKind NetworkKind => Spec.Kind;

    /// <summary>Always true.</summary>
    public bool IsRowToRowMapper => true;

    internal NetworkSpec Spec { get; }

    /// <summary>The trained flat parameter vector (a copy); usable as a pretrained network for distillation.</summary>
    public float[] GetWeights() => (float[])weights.Clone();

    /// <summary>The class probabilities for one feature vector of the network's input size.</summary>
    public float[] Score(ReadOnlySpan<float> features)
    {
        if (features.Length != Spec.FeatureCount)
        {
            throw new ArgumentException($"The network takes {Spec.FeatureCount} features, but got {features.Length}.", nameof(features));
        }

        using var _ = Autograd.NoGrad();
        Tensor logits = network.Forward(Tensor.Wrap(weights, weights.Length), Tensor.FromValues(features, [1, .. Spec.ExampleShape]));
        float[] scores = logits.ToArray();
        float max = scores.Max(), sum = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = MathF.Exp(scores[i] - max);
            sum += scores[i];
        }

        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] /= sum;
        }

        return scores;
    }

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
    /// Throws <see cref="NotSupportedException"/>: ML.NET model files can only hold ML.NET's own components. Save with
    /// <see cref="SaveTo"/> and load with <see cref="Load"/>.
    /// </summary>
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            "DistilledNetworkTransformer cannot be saved in an ML.NET model file (ML.NET's model format is closed to outside components). " +
            "Save it with scorer.SaveTo(path) and load it with DistilledNetworkTransformer.Load(path).");

    /// <summary>
    /// Writes the scorer to <paramref name="path"/> atomically (a temporary file in the same folder, then a move).
    /// Format "MLDN" version 1, little-endian: magic, version; feature, score and predicted label column names; the
    /// network (as in the distillation file); the weights (count, values); the label key values (flag, then type code,
    /// count, values).
    /// </summary>
    public void SaveTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new AtomicFile(path);
        using (var writer = new BinaryWriter(file.Stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(FormatVersion);
            writer.Write(FeatureColumnName);
            writer.Write(ScoreColumnName);
            writer.Write(PredictedLabelColumnName);
            Spec.Write(writer);
            WeightVectors.Write(writer, weights);

            writer.Write(keyValues is null ? 0 : 1);
            keyValues?.Write(writer);
        }

        file.Commit();
    }

    /// <summary>Reads a scorer written by <see cref="SaveTo"/>, validating the file.</summary>
    /// <exception cref="InvalidDataException">The file is not such a scorer, is truncated or inconsistent.</exception>
    public static DistilledNetworkTransformer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (Encoding.ASCII.GetString(reader.ReadBytes(4)) != Magic || reader.ReadInt32() != FormatVersion)
            {
                throw new InvalidDataException($"'{path}' is not a saved DistilledNetworkTransformer of format version {FormatVersion}.");
            }

            string feature = reader.ReadString(), score = reader.ReadString(), predicted = reader.ReadString();
            NetworkSpec spec = NetworkSpec.Read(reader);
            Network network = spec.Create();
            float[]? weights = WeightVectors.Read(reader);
            if (weights?.Length != network.ParameterCount)
            {
                throw new InvalidDataException($"'{path}' holds {weights?.Length ?? 0} weights, but the network has {network.ParameterCount}.");
            }

            KeyValues? keys = reader.ReadInt32() != 0 ? KeyValues.Read(reader) : null;
            if ((keys is not null && keys.Count != spec.ClassCount) || stream.Position != stream.Length)
            {
                throw new InvalidDataException($"'{path}' is inconsistent or has trailing bytes.");
            }

            return new DistilledNetworkTransformer(spec, network, weights, feature, score, predicted, keys);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"'{path}' is truncated.");
        }
    }

    private const string Magic = "MLDN";
    private const int FormatVersion = 1;

    private DistilledNetworkMapper GetMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        DataViewSchema.Column feature = inputSchema.GetColumnOrNull(FeatureColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{FeatureColumnName}' was not found; it must be a vector of {Spec.FeatureCount} Single values.");
        if (feature.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single || vector.Size != Spec.FeatureCount)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{FeatureColumnName}' must be a vector of {Spec.FeatureCount} Single values, but it is {feature.Type}.");
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, ClassCount));
        builder.AddColumn(PredictedLabelColumnName, new KeyDataViewType(typeof(uint), ClassCount), keyValues?.ToAnnotations() ?? DataViewSchema.Annotations.Empty);
        return new DistilledNetworkMapper(this, inputSchema, feature, builder.ToSchema());
    }
}
