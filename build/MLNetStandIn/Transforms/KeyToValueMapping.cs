using Microsoft.ML.Data;
using Microsoft.ML.StandIn;

namespace Microsoft.ML.Transforms;

/// <summary>Maps keys back to the values of their "KeyValues" annotation. The stand-in maps scalar key columns only.</summary>
public sealed class KeyToValueMappingEstimator : IEstimator<KeyToValueMappingTransformer>
{
    private readonly string _outputColumnName;
    private readonly string _inputColumnName;

    internal KeyToValueMappingEstimator(string outputColumnName, string? inputColumnName)
    {
        if (string.IsNullOrEmpty(outputColumnName))
            throw new ArgumentException("Must be non-empty", nameof(outputColumnName));
        _outputColumnName = outputColumnName;
        _inputColumnName = inputColumnName ?? outputColumnName;
    }

    /// <summary>Nothing to learn: returns the transformer after checking the input schema.</summary>
    public KeyToValueMappingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new KeyToValueMappingTransformer(_outputColumnName, _inputColumnName);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <summary>The input shape with the value column added, of the key values' item type.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.TryFindColumn(_inputColumnName, out SchemaShape.Column input))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{_inputColumnName}': not found.");
        if (!input.IsKey || !input.Annotations.TryFindColumn(AnnotationKinds.KeyValues, out SchemaShape.Column keyValues))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{_inputColumnName}': expected a key with key values.");
        return inputSchema.WithColumn(new SchemaShape.Column(_outputColumnName, input.Kind, keyValues.ItemType, keyValues.IsKey));
    }
}

/// <summary>Maps keys to their values; key 0 and keys past the count give the type's missing value.</summary>
public sealed class KeyToValueMappingTransformer : ITransformer
{
    private readonly string _outputColumnName;
    private readonly string _inputColumnName;

    internal KeyToValueMappingTransformer(string outputColumnName, string inputColumnName)
    {
        _outputColumnName = outputColumnName;
        _inputColumnName = inputColumnName;
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
        DataViewSchema.Column input = inputSchema[_inputColumnName];
        if (input.Type is not KeyDataViewType
            || input.Annotations.Schema.GetColumnOrNull(AnnotationKinds.KeyValues)?.Type is not VectorDataViewType keyValuesType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{_inputColumnName}': expected a scalar key with key values, got {input.Type}.");

        object keyValuesVector = TypedValues.ReadAnnotation(input.Annotations, input.Annotations.Schema[AnnotationKinds.KeyValues]);
        object[] values = TypedValues.VectorItems(keyValuesVector);
        object missing = TypedValues.MissingValue(keyValuesType.ItemType.RawType);

        Delegate MakeGetter(DataViewRow row)
        {
            Func<object> readKey = TypedValues.MakeReader(row, row.Schema[_inputColumnName]);
            return TypedValues.MakeGetter(keyValuesType.ItemType, () =>
            {
                ulong key = Convert.ToUInt64(readKey());
                return key >= 1 && key <= (ulong)values.Length ? values[key - 1] : missing;
            });
        }

        return new ColumnAddingMapper(inputSchema, [new AddedColumn(_outputColumnName, keyValuesType.ItemType, DataViewSchema.Annotations.Empty, [_inputColumnName], MakeGetter)]);
    }
}
