using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>
/// A fitted ZCA whitening: writes W(x − μ) of the input column's vector x to the output column (a column of that name in
/// the input is hidden, as ML.NET's transforms do), lazily, row by row. <see cref="InverseTransform"/> maps whitened
/// rows, such as the distilled rows of a whitened input, back to the input's scale for viewing or for other trainers.
/// </summary>
public sealed class ZcaWhiteningTransformer : ITransformer
{
    // 1: the column names, then the whitening (feature count, ε, μ, W, (Σ + εI)^(1/2)).
    private static readonly FileFormat Format = new("MLZW", "saved ZcaWhiteningTransformer", 1);

    private readonly ZcaWhitening whitening;

    internal ZcaWhiteningTransformer(ZcaWhitening whitening, string outputColumnName, string inputColumnName)
    {
        this.whitening = whitening;
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
    }

    /// <summary>The column the whitening reads.</summary>
    public string InputColumnName { get; }

    /// <summary>The column the whitened vector is written to.</summary>
    public string OutputColumnName { get; }

    /// <summary>ε, added to every eigenvalue of the covariance, in the features' units squared.</summary>
    public float Epsilon => whitening.Epsilon;

    /// <summary>The size of the vectors whitened.</summary>
    public int FeatureCount => whitening.FeatureCount;

    /// <summary>Always true.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema plus the output column.</summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => GetMapper(inputSchema, inverse: false).OutputSchema;

    /// <summary>The whitening as a mapper over rows of <paramref name="inputSchema"/>.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => GetMapper(inputSchema, inverse: false);

    /// <summary>Adds the whitened column to <paramref name="input"/>, lazily.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a vector of <see cref="FeatureCount"/> Single values.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new MappedDataView(input, GetMapper(input.Schema, inverse: false));
    }

    /// <summary>
    /// Undoes the whitening of the output column of <paramref name="whitened"/>, in place: (Σ + εI)^(1/2) y + μ. For the
    /// rows of a distillation fitted on whitened rows, this gives rows on the input's scale, to view or to give to a
    /// trainer without the whitening in front of it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The output column is missing or not a vector of <see cref="FeatureCount"/> Single values.</exception>
    public IDataView InverseTransform(IDataView whitened)
    {
        ArgumentNullException.ThrowIfNull(whitened);
        return new MappedDataView(whitened, GetMapper(whitened.Schema, inverse: true));
    }

    /// <summary>
    /// Throws <see cref="NotSupportedException"/>, for the reason <see cref="DatasetDistillationTransformer.Save"/> gives:
    /// save with <see cref="SaveTo"/> and load with <see cref="Load"/>.
    /// </summary>
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            "ZcaWhiteningTransformer cannot be saved in an ML.NET model file: ML.NET's ModelSaveContext offers outside components no public way to write, " +
            "and Model.Load only finds ML.NET's own registered components. Save it with whitening.SaveTo(path) and load it with ZcaWhiteningTransformer.Load(path).");

    /// <summary>
    /// Writes the whitening to <paramref name="path"/> atomically, in the frame all of the library's files share ("MLZW",
    /// format version 1, payload length, CRC-32); the little-endian payload holds the output and input column names, the
    /// feature count d, ε, μ (d values), W and (Σ + εI)^(1/2) (d × d values each), so a loaded whitening gives the same bits.
    /// </summary>
    public void SaveTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FramedFile.Save(path, Format, writer =>
        {
            writer.Write(OutputColumnName);
            writer.Write(InputColumnName);
            whitening.Write(writer);
        });
    }

    /// <summary>Reads a whitening written by <see cref="SaveTo"/>, validating the file.</summary>
    /// <exception cref="InvalidDataException">The file is not such a whitening, is truncated or inconsistent.</exception>
    public static ZcaWhiteningTransformer Load(string path) => FramedFile.Load(path, Format, payload => LayerFiles.Parse(payload, (reader, _) =>
    {
        string output = reader.ReadString(), input = reader.ReadString();
        if (output.Length == 0 || input.Length == 0)
        {
            throw new InvalidDataException("A column name is empty.");
        }

        return new ZcaWhiteningTransformer(ZcaWhitening.Read(reader), output, input);
    }));

    /// <summary>The mapper reading the input column, or with <paramref name="inverse"/> the whitened output column.</summary>
    private ZcaWhiteningMapper GetMapper(DataViewSchema inputSchema, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        DataViewSchema.Column source = inverse
            ? LabeledRowReader.VectorColumn(inputSchema, OutputColumnName, FeatureCount, "whitened")
            : LabeledRowReader.VectorColumn(inputSchema, InputColumnName, FeatureCount, "feature");
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, FeatureCount));
        return new ZcaWhiteningMapper(whitening, inverse, inputSchema, source, builder.ToSchema());
    }
}
