using System.Collections;
using Microsoft.ML.Data;

namespace Microsoft.ML;

/// <summary>
/// The promise of a schema that estimators pass along before fitting: names, vector kinds, item types, keyness
/// and annotation kinds, but no vector sizes or key counts. As in ML.NET, <see cref="Column"/>'s constructor,
/// <c>Create</c> and <c>TryFindColumn</c> are internal.
/// </summary>
public sealed class SchemaShape : IReadOnlyList<SchemaShape.Column>
{
    private static readonly SchemaShape _empty = new(Enumerable.Empty<Column>());

    private readonly Column[] _columns;

    /// <summary>Creates a shape of the given columns.</summary>
    public SchemaShape(IEnumerable<Column> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = columns.ToArray();
        if (_columns.Any(c => !c.IsValid))
            throw new ArgumentOutOfRangeException(nameof(columns), "Some items are not initialized properly.");
    }

    /// <summary>The number of columns.</summary>
    public int Count => _columns.Length;

    /// <summary>The column at <paramref name="index"/>.</summary>
    public Column this[int index] => _columns[index];

    /// <inheritdoc/>
    public IEnumerator<Column> GetEnumerator() => ((IEnumerable<Column>)_columns).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal static SchemaShape Create(DataViewSchema schema)
    {
        var columns = new List<Column>();
        foreach (DataViewSchema.Column column in schema)
        {
            if (column.IsHidden)
                continue;
            var annotations = column.Annotations.Schema.Select(a => ShapeOf(a.Name, a.Type, null)).ToList();
            columns.Add(ShapeOf(column.Name, column.Type, annotations.Count > 0 ? new SchemaShape(annotations) : _empty));
        }
        return new SchemaShape(columns);
    }

    private static Column ShapeOf(string name, DataViewType type, SchemaShape? annotations)
    {
        var kind = Column.VectorKind.Scalar;
        DataViewType itemType = type;
        if (type is VectorDataViewType vector)
        {
            kind = vector.IsKnownSize ? Column.VectorKind.Vector : Column.VectorKind.VariableVector;
            itemType = vector.ItemType;
        }
        bool isKey = itemType is KeyDataViewType;
        if (isKey)
            itemType = NumberTypeOf(itemType.RawType);
        return new Column(name, kind, itemType, isKey, annotations);
    }

    private static NumberDataViewType NumberTypeOf(Type keyRawType) =>
        keyRawType == typeof(byte) ? NumberDataViewType.Byte
        : keyRawType == typeof(ushort) ? NumberDataViewType.UInt16
        : keyRawType == typeof(ulong) ? NumberDataViewType.UInt64
        : NumberDataViewType.UInt32;

    /// <summary>This shape with <paramref name="column"/> replacing the column of the same name, or appended.</summary>
    internal SchemaShape WithColumn(Column column) =>
        new(_columns.Any(c => c.Name == column.Name)
            ? _columns.Select(c => c.Name == column.Name ? column : c)
            : _columns.Append(column));

    internal bool TryFindColumn(string name, out Column column)
    {
        ArgumentNullException.ThrowIfNull(name);
        column = _columns.FirstOrDefault(c => c.Name == name);
        return column.IsValid;
    }

    /// <summary>The promise of one column.</summary>
    public readonly struct Column
    {
        internal Column(string name, VectorKind vecKind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("Must be non-empty", nameof(name));
            if (itemType is KeyDataViewType)
                throw new ArgumentOutOfRangeException(nameof(itemType), "Item type cannot be a key");
            if (itemType is VectorDataViewType)
                throw new ArgumentOutOfRangeException(nameof(itemType), "Item type cannot be a vector");
            if (isKey && !KeyDataViewType.IsValidDataType(itemType.RawType))
                throw new ArgumentOutOfRangeException(nameof(itemType), "The item type must be valid for a key");
            Name = name;
            Kind = vecKind;
            ItemType = itemType;
            IsKey = isKey;
            Annotations = annotations ?? _empty;
        }

        /// <summary>Whether the column is a scalar, a known-size vector or a variable-size vector.</summary>
        public enum VectorKind
        {
            /// <summary>Not a vector.</summary>
            Scalar,

            /// <summary>A vector of known size.</summary>
            Vector,

            /// <summary>A vector of variable size.</summary>
            VariableVector,
        }

        /// <summary>The column name.</summary>
        public readonly string Name;

        /// <summary>The vector kind.</summary>
        public readonly VectorKind Kind;

        /// <summary>The item type; for keys, the unsigned integer type that holds them.</summary>
        public readonly DataViewType ItemType;

        /// <summary>Whether the items are keys.</summary>
        public readonly bool IsKey;

        /// <summary>The annotations the column has.</summary>
        public readonly SchemaShape Annotations;

        internal bool IsValid => Name != null;
    }
}
