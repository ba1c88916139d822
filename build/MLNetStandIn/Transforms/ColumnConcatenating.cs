using System.Runtime.InteropServices;
using Microsoft.ML.Data;
using Microsoft.ML.StandIn;

namespace Microsoft.ML.Transforms;

/// <summary>
/// Concatenates columns into one vector column, in the order given. The stand-in concatenates <see cref="float"/>
/// scalars and vectors only, and adds no slot names.
/// </summary>
public sealed class ColumnConcatenatingEstimator : IEstimator<ColumnConcatenatingTransformer>
{
    private readonly string _outputColumnName;
    private readonly string[] _inputColumnNames;

    internal ColumnConcatenatingEstimator(string outputColumnName, string[] inputColumnNames)
    {
        if (string.IsNullOrEmpty(outputColumnName))
            throw new ArgumentException("Must be non-empty", nameof(outputColumnName));
        if (inputColumnNames == null || inputColumnNames.Length == 0)
            throw new ArgumentException("Must be non-empty", nameof(inputColumnNames));
        _outputColumnName = outputColumnName;
        _inputColumnNames = inputColumnNames;
    }

    /// <summary>Nothing to learn: returns the transformer after checking the input schema.</summary>
    public ColumnConcatenatingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new ColumnConcatenatingTransformer(_outputColumnName, _inputColumnNames);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <summary>The input shape with the concatenated column added.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var kind = SchemaShape.Column.VectorKind.Vector;
        foreach (string name in _inputColumnNames)
        {
            if (!inputSchema.TryFindColumn(name, out SchemaShape.Column input))
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{name}': not found.");
            if (input.IsKey || !input.ItemType.Equals(NumberDataViewType.Single))
                throw new NotSupportedException($"The ML.NET stand-in concatenates Single columns only; '{name}' is {input.ItemType}.");
            if (input.Kind == SchemaShape.Column.VectorKind.VariableVector)
                kind = SchemaShape.Column.VectorKind.VariableVector;
        }
        return inputSchema.WithColumn(new SchemaShape.Column(_outputColumnName, kind, NumberDataViewType.Single, false));
    }
}

/// <summary>Concatenates <see cref="float"/> columns into one vector column.</summary>
public sealed class ColumnConcatenatingTransformer : ITransformer
{
    private readonly string _outputColumnName;
    private readonly string[] _inputColumnNames;

    internal ColumnConcatenatingTransformer(string outputColumnName, string[] inputColumnNames)
    {
        _outputColumnName = outputColumnName;
        _inputColumnNames = inputColumnNames;
    }

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Mapper(inputSchema).OutputSchema;

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) => new MappedDataView(input, Mapper(input.Schema));

    bool ITransformer.IsRowToRowMapper => true;

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema) => Mapper(inputSchema);

    // Nothing to write: only MLContext.Model.Save calls this, and the stand-in's Save then refuses to write a file.
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
    }

    private ColumnAddingMapper Mapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        int size = 0;
        foreach (string name in _inputColumnNames)
        {
            DataViewType type = inputSchema[name].Type;
            int columnSize = type == NumberDataViewType.Single ? 1
                : type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single ? vector.Size
                : throw new NotSupportedException($"The ML.NET stand-in concatenates Single columns only; '{name}' is {type}.");
            size = size < 0 || columnSize == 0 ? -1 : size + columnSize;
        }
        var outputType = new VectorDataViewType(NumberDataViewType.Single, Math.Max(size, 0));
        return new ColumnAddingMapper(inputSchema, [new AddedColumn(_outputColumnName, outputType, DataViewSchema.Annotations.Empty, _inputColumnNames, MakeGetter)]);
    }

    private Delegate MakeGetter(DataViewRow row)
    {
        Action<List<float>>[] readers = _inputColumnNames.Select(name => Reader(row, row.Schema[name])).ToArray();
        var values = new List<float>();
        return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
        {
            values.Clear();
            foreach (Action<List<float>> read in readers)
                read(values);
            var editor = VBufferEditor.Create(ref value, values.Count);
            CollectionsMarshal.AsSpan(values).CopyTo(editor.Values);
            value = editor.Commit();
        });
    }

    private static Action<List<float>> Reader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType)
        {
            ValueGetter<VBuffer<float>> getVector = row.GetGetter<VBuffer<float>>(column);
            VBuffer<float> buffer = default;
            return values =>
            {
                getVector(ref buffer);
                values.AddRange(buffer.DenseValues());
            };
        }
        ValueGetter<float> getScalar = row.GetGetter<float>(column);
        return values =>
        {
            float value = 0;
            getScalar(ref value);
            values.Add(value);
        };
    }
}
