namespace Microsoft.ML.Data;

/// <summary>Reads the common annotations of a column.</summary>
public static class SchemaAnnotationsExtensions
{
    /// <summary>Whether the column is a known-size vector with text slot names of its size.</summary>
    public static bool HasSlotNames(this DataViewSchema.Column column) =>
        column.Type is VectorDataViewType { Size: > 0 } vector
        && column.Annotations.Schema.GetColumnOrNull(AnnotationKinds.SlotNames)?.Type is VectorDataViewType { ItemType: TextDataViewType } names
        && names.Size == vector.Size;

    /// <summary>Reads the slot names; throws when there are none.</summary>
    public static void GetSlotNames(this DataViewSchema.Column column, ref VBuffer<ReadOnlyMemory<char>> slotNames) =>
        column.Annotations.GetValue(AnnotationKinds.SlotNames, ref slotNames);

    /// <summary>Whether the column is a key (or vector of keys) with key values of <paramref name="keyValueItemType"/> (text when null), one per key.</summary>
    public static bool HasKeyValues(this DataViewSchema.Column column, PrimitiveDataViewType? keyValueItemType = null)
    {
        DataViewType itemType = column.Type is VectorDataViewType vector ? vector.ItemType : column.Type;
        if (itemType is not KeyDataViewType key)
            return false;
        keyValueItemType ??= TextDataViewType.Instance;
        return column.Annotations.Schema.GetColumnOrNull(AnnotationKinds.KeyValues)?.Type is VectorDataViewType values
            && key.Count == (ulong)values.Size
            && keyValueItemType.Equals(values.ItemType);
    }

    /// <summary>Reads the key values, in key order; throws when there are none of type <typeparamref name="TValue"/>.</summary>
    public static void GetKeyValues<TValue>(this DataViewSchema.Column column, ref VBuffer<TValue> keyValues) =>
        column.Annotations.GetValue(AnnotationKinds.KeyValues, ref keyValues);

    /// <summary>Whether the column has an IsNormalized annotation set to true.</summary>
    public static bool IsNormalized(this DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull(AnnotationKinds.IsNormalized)?.Type is not BooleanDataViewType)
            return false;
        bool value = false;
        column.Annotations.GetValue(AnnotationKinds.IsNormalized, ref value);
        return value;
    }
}

/// <summary>The annotation kinds; internal, like ML.NET's <c>AnnotationUtils.Kinds</c> (users write the strings).</summary>
internal static class AnnotationKinds
{
    public const string SlotNames = "SlotNames";
    public const string KeyValues = "KeyValues";
    public const string IsNormalized = "IsNormalized";
}
