using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.StandIn;

namespace Microsoft.ML.Transforms;

/// <summary>
/// Learns the distinct values of a column and maps them to keys 1..count (0 for values not learned and for NaN),
/// with the learned values, in key order, as the output column's "KeyValues" annotation.
/// The stand-in maps scalar columns only.
/// </summary>
public sealed class ValueToKeyMappingEstimator : IEstimator<ValueToKeyMappingTransformer>
{
    private readonly string _outputColumnName;
    private readonly string _inputColumnName;
    private readonly int _maximumNumberOfKeys;
    private readonly KeyOrdinality _keyOrdinality;
    private readonly bool _addKeyValueAnnotationsAsText;
    private readonly IDataView? _keyData;

    internal ValueToKeyMappingEstimator(string outputColumnName, string? inputColumnName, int maximumNumberOfKeys,
        KeyOrdinality keyOrdinality, bool addKeyValueAnnotationsAsText, IDataView? keyData)
    {
        if (string.IsNullOrEmpty(outputColumnName))
            throw new ArgumentException("Must be non-empty", nameof(outputColumnName));
        if (maximumNumberOfKeys <= 0)
            throw new ArgumentOutOfRangeException(nameof(maximumNumberOfKeys), "Must be positive");
        _outputColumnName = outputColumnName;
        _inputColumnName = inputColumnName ?? outputColumnName;
        _maximumNumberOfKeys = maximumNumberOfKeys;
        _keyOrdinality = keyOrdinality;
        _addKeyValueAnnotationsAsText = addKeyValueAnnotationsAsText;
        _keyData = keyData;
    }

    /// <summary>The order of the keys.</summary>
    public enum KeyOrdinality
    {
        /// <summary>Keys in the order the values first occur.</summary>
        ByOccurrence = 0,

        /// <summary>Keys in the ordinal order of the values.</summary>
        ByValue = 1,
    }

    /// <summary>Learns the values of the input column (or of the key data's column, when given).</summary>
    public ValueToKeyMappingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DataViewSchema.Column column = input.Schema[_inputColumnName];
        if (column.Type is not PrimitiveDataViewType itemType)
            throw new NotSupportedException($"The ML.NET stand-in maps scalar columns only; '{_inputColumnName}' is {column.Type}.");

        IDataView source = _keyData ?? input;
        DataViewSchema.Column sourceColumn = _keyData == null ? column : _keyData.Schema.First(c => !c.IsHidden);
        if (!sourceColumn.Type.Equals(itemType))
            throw new ArgumentOutOfRangeException(nameof(input), $"The key data column is {sourceColumn.Type}, but '{_inputColumnName}' is {itemType}.");

        var values = new List<object>();
        var seen = new HashSet<object>();
        using (DataViewRowCursor cursor = source.GetRowCursor([sourceColumn]))
        {
            Func<object> read = TypedValues.MakeReader(cursor, sourceColumn);
            while (cursor.MoveNext() && values.Count < _maximumNumberOfKeys)
            {
                object raw = read();
                if (!TypedValues.IsMissing(raw) && seen.Add(TypedValues.ToComparable(raw)))
                    values.Add(TypedValues.ToComparable(raw));
            }
        }
        if (values.Count == 0)
            throw new InvalidOperationException($"Column '{_inputColumnName}' has no values to map to keys.");
        if (_keyOrdinality == KeyOrdinality.ByValue)
            values.Sort((a, b) => a is string text ? string.CompareOrdinal(text, (string)b) : ((IComparable)a).CompareTo(b));

        return new ValueToKeyMappingTransformer(_outputColumnName, _inputColumnName, itemType, values, _addKeyValueAnnotationsAsText);
    }

    /// <summary>The input shape with the key column added: a key of the input's vector kind, with key values.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.TryFindColumn(_inputColumnName, out SchemaShape.Column input))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{_inputColumnName}': not found.");
        DataViewType keyValueType = _addKeyValueAnnotationsAsText ? TextDataViewType.Instance : input.ItemType;
        var keyValues = new SchemaShape.Column(AnnotationKinds.KeyValues, SchemaShape.Column.VectorKind.Vector, keyValueType, false);
        return inputSchema.WithColumn(new SchemaShape.Column(_outputColumnName, input.Kind, NumberDataViewType.UInt32, true, new SchemaShape([keyValues])));
    }
}

/// <summary>Maps the values of a column to the keys learned by <see cref="ValueToKeyMappingEstimator"/>.</summary>
public sealed class ValueToKeyMappingTransformer : ITransformer
{
    private readonly string _outputColumnName;
    private readonly string _inputColumnName;
    private readonly PrimitiveDataViewType _itemType;
    private readonly Dictionary<object, uint> _keys;
    private readonly KeyDataViewType _keyType;
    private readonly DataViewSchema.Annotations _annotations;

    internal ValueToKeyMappingTransformer(string outputColumnName, string inputColumnName, PrimitiveDataViewType itemType,
        IReadOnlyList<object> values, bool keyValuesAsText)
    {
        _outputColumnName = outputColumnName;
        _inputColumnName = inputColumnName;
        _itemType = itemType;
        _keys = values.Select((value, i) => (value, key: (uint)(i + 1))).ToDictionary(p => p.value, p => p.key);
        _keyType = new KeyDataViewType(typeof(uint), values.Count);

        PrimitiveDataViewType keyValueType = keyValuesAsText ? TextDataViewType.Instance : itemType;
        var keyValues = values
            .Select(v => keyValuesAsText ? (object)(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").AsMemory() : TypedValues.FromComparable(v, itemType.RawType))
            .ToList();
        _annotations = DataViewSchema.CreateAnnotations(
            [(AnnotationKinds.KeyValues, new VectorDataViewType(keyValueType, values.Count), TypedValues.MakeVector(keyValueType, keyValues))]);
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
        if (!input.Type.Equals(_itemType))
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{_inputColumnName}': expected {_itemType}, got {input.Type}.");
        return new ColumnAddingMapper(inputSchema, [new AddedColumn(_outputColumnName, _keyType, _annotations, [_inputColumnName], MakeGetter)]);
    }

    private Delegate MakeGetter(DataViewRow row)
    {
        Func<object> read = TypedValues.MakeReader(row, row.Schema[_inputColumnName]);
        return (ValueGetter<uint>)((ref uint key) =>
        {
            object raw = read();
            key = TypedValues.IsMissing(raw) ? 0 : _keys.GetValueOrDefault(TypedValues.ToComparable(raw));
        });
    }
}
