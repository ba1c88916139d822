using System.Reflection;
using Microsoft.ML.Data;

namespace Microsoft.ML.StandIn;

/// <summary>
/// Binds one column to a field or property of a user row type, converting between the member's type and the
/// column's raw type as ML.NET does: string for text, <c>T[]</c> (or <see cref="VBuffer{T}"/>) for vectors,
/// the raw type itself otherwise (a key column binds to its unsigned integer type).
/// </summary>
internal sealed class MemberBinding
{
    private readonly MemberInfo _member;
    private readonly Func<object?, object> _toRaw;
    private readonly Func<object, object?> _fromRaw;

    private MemberBinding(MemberInfo member, string columnName, DataViewType columnType, DataViewSchema.Annotations annotations)
    {
        _member = member;
        ColumnName = columnName;
        ColumnType = columnType;
        Annotations = annotations;
        (_toRaw, _fromRaw) = Converters(MemberType(member), columnType);
    }

    public string ColumnName { get; }

    public DataViewType ColumnType { get; }

    public DataViewSchema.Annotations Annotations { get; }

    /// <summary>The bindings that expose a row type as columns (<see cref="DataOperationsCatalog.LoadFromEnumerable{TRow}(IEnumerable{TRow}, SchemaDefinition)"/>).</summary>
    public static List<MemberBinding> ForReading(Type rowType, SchemaDefinition? definition)
    {
        definition ??= SchemaDefinition.Create(rowType, SchemaDefinition.Direction.Read);
        var bindings = new List<MemberBinding>();
        foreach (SchemaDefinition.Column column in definition)
        {
            MemberInfo member = FindMember(rowType, column.MemberName);
            DataViewType type = column.ColumnType ?? SchemaDefinition.InferType(member);
            CheckCompatible(type, member, column.ColumnName);
            bindings.Add(new MemberBinding(member, column.ColumnName, type, column.Annotations));
        }
        return bindings;
    }

    /// <summary>The bindings that fill a row type from <paramref name="schema"/>'s columns (<see cref="DataOperationsCatalog.CreateEnumerable{TRow}"/>).</summary>
    public static List<(MemberBinding Binding, DataViewSchema.Column Column)> ForWriting(
        Type rowType, DataViewSchema schema, bool ignoreMissingColumns, SchemaDefinition? definition)
    {
        definition ??= SchemaDefinition.Create(rowType, SchemaDefinition.Direction.Write);
        var bindings = new List<(MemberBinding, DataViewSchema.Column)>();
        foreach (SchemaDefinition.Column column in definition)
        {
            DataViewSchema.Column? dataColumn = schema.GetColumnOrNull(column.ColumnName);
            if (dataColumn == null)
            {
                if (ignoreMissingColumns)
                    continue;
                throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{column.ColumnName}' not found in the data view.");
            }
            MemberInfo member = FindMember(rowType, column.MemberName);
            CheckCompatible(dataColumn.Value.Type, member, column.ColumnName);
            bindings.Add((new MemberBinding(member, column.ColumnName, dataColumn.Value.Type, DataViewSchema.Annotations.Empty), dataColumn.Value));
        }
        return bindings;
    }

    /// <summary>The column value of <paramref name="row"/>, boxed as the column's raw type.</summary>
    public object Read(object row) => _toRaw(_member is FieldInfo field ? field.GetValue(row) : ((PropertyInfo)_member).GetValue(row));

    /// <summary>Stores a boxed raw value into the member of <paramref name="row"/>.</summary>
    public void Write(object row, object raw)
    {
        object? value = _fromRaw(raw);
        if (_member is FieldInfo field)
            field.SetValue(row, value);
        else
            ((PropertyInfo)_member).SetValue(row, value);
    }

    /// <summary>Whether a member is a vector, and its item type as a raw type (string becomes text).</summary>
    public static (bool IsVector, Type ItemType) VectorAndItemType(Type memberType)
    {
        bool isVector = true;
        Type itemType;
        if (memberType.IsArray)
            itemType = memberType.GetElementType()!;
        else if (memberType.IsGenericType && memberType.GetGenericTypeDefinition() == typeof(VBuffer<>))
            itemType = memberType.GetGenericArguments()[0];
        else
            (isVector, itemType) = (false, memberType);
        return (isVector, itemType == typeof(string) ? typeof(ReadOnlyMemory<char>) : itemType);
    }

    public static Type MemberType(MemberInfo member) =>
        member is FieldInfo field ? field.FieldType : ((PropertyInfo)member).PropertyType;

    private static MemberInfo FindMember(Type rowType, string name) =>
        (MemberInfo?)rowType.GetField(name, BindingFlags.Public | BindingFlags.Instance)
        ?? rowType.GetProperty(name, BindingFlags.Public | BindingFlags.Instance)
        ?? throw new ArgumentOutOfRangeException(nameof(name), $"Type '{rowType}' has no public field or property '{name}'.");

    // Like ML.NET: both vectors or both scalars, with the same raw item type.
    private static void CheckCompatible(DataViewType columnType, MemberInfo member, string columnName)
    {
        var (isVector, itemType) = VectorAndItemType(MemberType(member));
        bool compatible = isVector
            ? columnType is VectorDataViewType vector && vector.ItemType.RawType == itemType
            : columnType is not VectorDataViewType && columnType.RawType == itemType;
        if (!compatible)
            throw new InvalidOperationException($"Can't bind the IDataView column '{columnName}' of type '{columnType}' to field or property '{member.Name}' of type '{MemberType(member)}'.");
    }

    private static (Func<object?, object> ToRaw, Func<object, object?> FromRaw) Converters(Type memberType, DataViewType columnType)
    {
        if (columnType is VectorDataViewType vector)
        {
            if (!memberType.IsArray)
                return (value => value!, raw => raw);
            Func<object?, object> toVector = TypedValues.ArrayToVector(vector.ItemType.RawType);
            return (
                value =>
                {
                    object raw = toVector(value);
                    int length = ((Array?)value)?.Length ?? 0;
                    if (vector.IsKnownSize && length != vector.Size)
                        throw new InvalidOperationException($"A value of the fixed-size column of type {vector} has {length} items.");
                    return raw;
                },
                TypedValues.VectorToArray(vector.ItemType.RawType, memberType.GetElementType()!));
        }
        if (memberType == typeof(string))
            return (value => ((string?)value ?? "").AsMemory(), raw => raw.ToString());
        if (columnType is KeyDataViewType key)
        {
            // Values past the key count are missing (0), as the KeyType attribute documents.
            object missing = Activator.CreateInstance(key.RawType)!;
            return (value => Convert.ToUInt64(value) <= key.Count ? value! : missing, raw => raw);
        }
        return (value => value!, raw => raw);
    }
}

/// <summary>A view over a user enumerable, read lazily through <see cref="MemberBinding"/>s.</summary>
internal sealed class EnumerableDataView<TRow> : IDataView
    where TRow : class
{
    private readonly IEnumerable<TRow> _data;
    private readonly List<MemberBinding> _bindings;

    public EnumerableDataView(IEnumerable<TRow> data, SchemaDefinition? definition)
    {
        _data = data;
        _bindings = MemberBinding.ForReading(typeof(TRow), definition);
        Schema = DataViewSchema.Create(_bindings.Select(b => new DataViewSchema.DetachedColumn(b.ColumnName, b.ColumnType, b.Annotations)));
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    // Like ML.NET: a list's count is known, a plain enumerable's is not.
    public long? GetRowCount() => _data is IList<TRow> list ? list.Count : null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(EnumerableDataView<TRow> view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        : CursorBase(view.Schema, columnsNeeded)
    {
        private readonly IEnumerator<TRow> _rows = view._data.GetEnumerator();

        protected override bool MoveNextCore() => _rows.MoveNext();

        protected override Delegate MakeGetter(int index)
        {
            MemberBinding binding = view._bindings[index];
            return TypedValues.MakeGetter(binding.ColumnType, () => binding.Read(_rows.Current));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _rows.Dispose();
            base.Dispose(disposing);
        }
    }
}
