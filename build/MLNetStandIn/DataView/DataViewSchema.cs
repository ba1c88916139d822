using System.Collections;
using Microsoft.ML.Data;
using Microsoft.ML.StandIn;

namespace Microsoft.ML;

/// <summary>The columns of an <see cref="IDataView"/> or a <see cref="DataViewRow"/>.</summary>
public sealed class DataViewSchema : IReadOnlyList<DataViewSchema.Column>
{
    private readonly Column[] _columns;
    private readonly Dictionary<string, int> _nameMap;

    private DataViewSchema(Column[] columns)
    {
        _columns = columns;
        _nameMap = new Dictionary<string, int>();
        for (int i = 0; i < columns.Length; i++)
            _nameMap[columns[i].Name] = i;
    }

    /// <summary>The number of columns, hidden ones included.</summary>
    public int Count => _columns.Length;

    /// <summary>The visible column called <paramref name="name"/>; throws <see cref="ArgumentOutOfRangeException"/> when there is none.</summary>
    public Column this[string name]
    {
        get
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentNullException(nameof(name));
            if (!_nameMap.TryGetValue(name, out int index))
                throw new ArgumentOutOfRangeException(nameof(name), $"Column '{name}' not found");
            return _columns[index];
        }
    }

    /// <summary>The column at <paramref name="columnIndex"/>.</summary>
    public Column this[int columnIndex] =>
        0 <= columnIndex && columnIndex < _columns.Length
            ? _columns[columnIndex]
            : throw new ArgumentOutOfRangeException(nameof(columnIndex));

    /// <summary>The visible column called <paramref name="name"/>, or null.</summary>
    public Column? GetColumnOrNull(string name)
    {
        if (string.IsNullOrEmpty(name))
            throw new ArgumentNullException(nameof(name));
        return _nameMap.TryGetValue(name, out int index) ? _columns[index] : null;
    }

    /// <inheritdoc/>
    public IEnumerator<Column> GetEnumerator() => ((IEnumerable<Column>)_columns).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString() => $"{Count} columns";

    /// <summary>One column of a schema. Made only by <see cref="Builder"/>.</summary>
    public struct Column
    {
        internal Column(string name, int index, bool isHidden, DataViewType type, Annotations? annotations)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentNullException(nameof(name));
            if (index < 0)
                throw new ArgumentOutOfRangeException(nameof(index));
            Name = name;
            Index = index;
            IsHidden = isHidden;
            Type = type ?? throw new ArgumentNullException(nameof(type));
            Annotations = annotations ?? Annotations.Empty;
        }

        /// <summary>The name of the column.</summary>
        public string Name { get; }

        /// <summary>The position of the column in its schema.</summary>
        public int Index { get; }

        /// <summary>Whether a later column of the same name hides this one (it is then reachable by index only).</summary>
        public bool IsHidden { get; }

        /// <summary>The type of the column.</summary>
        public DataViewType Type { get; }

        /// <summary>The annotations of the column.</summary>
        public Annotations Annotations { get; }

        /// <inheritdoc/>
        public override readonly string ToString() =>
            Annotations.Schema.Count == 0 ? $"{Name}: {Type}" : $"{Name}: {Type} {{{Annotations}}}";
    }

    /// <summary>A column description that belongs to no schema.</summary>
    public struct DetachedColumn
    {
        /// <summary>Describes a column.</summary>
        public DetachedColumn(string name, DataViewType type, Annotations? annotations = null)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentNullException(nameof(name));
            Name = name;
            Type = type ?? throw new ArgumentNullException(nameof(type));
            Annotations = annotations ?? Annotations.Empty;
        }

        /// <summary>Copies the description of a schema's column.</summary>
        public DetachedColumn(Column column)
        {
            Name = column.Name;
            Type = column.Type;
            Annotations = column.Annotations;
        }

        /// <summary>The name of the column.</summary>
        public string Name { get; }

        /// <summary>The type of the column.</summary>
        public DataViewType Type { get; }

        /// <summary>The annotations of the column.</summary>
        public Annotations Annotations { get; }
    }

    /// <summary>The annotations of a column: a one-row table whose column names are the annotation kinds.</summary>
    public sealed class Annotations
    {
        private readonly Delegate[] _getters;

        internal Annotations(DataViewSchema schema, Delegate[] getters)
        {
            Schema = schema;
            _getters = getters;
        }

        /// <summary>No annotations.</summary>
        public static Annotations Empty { get; } = new(new DataViewSchema([]), []);

        /// <summary>The kinds and types of the annotations.</summary>
        public DataViewSchema Schema { get; }

        /// <summary>The getter of one annotation.</summary>
        public ValueGetter<TValue> GetGetter<TValue>(Column column)
        {
            if (column.Index >= _getters.Length)
                throw new ArgumentException(nameof(column));
            return _getters[column.Index] as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Invalid call to '{nameof(GetGetter)}'");
        }

        /// <summary>Reads the annotation of kind <paramref name="kind"/>; throws when there is none.</summary>
        public void GetValue<TValue>(string kind, ref TValue value)
        {
            Column column = Schema.GetColumnOrNull(kind) ?? throw new InvalidOperationException($"Invalid call to '{nameof(GetValue)}'");
            GetGetter<TValue>(column)(ref value);
        }

        internal Delegate GetGetterDelegate(int index) => _getters[index];

        /// <inheritdoc/>
        public override string ToString() => string.Join(", ", Schema.Select(c => c.Name));

        /// <summary>Builds <see cref="Annotations"/>.</summary>
        public sealed class Builder
        {
            private readonly List<(string Name, DataViewType Type, Delegate Getter, Annotations? Annotations)> _items = [];

            /// <summary>Copies the annotations of <paramref name="annotations"/> whose kind <paramref name="selector"/> accepts.</summary>
            public void Add(Annotations? annotations, Func<string, bool> selector)
            {
                if (annotations == null)
                    return;
                ArgumentNullException.ThrowIfNull(selector);
                foreach (Column column in annotations.Schema)
                {
                    if (selector(column.Name))
                        _items.Add((column.Name, column.Type, annotations.GetGetterDelegate(column.Index), column.Annotations));
                }
            }

            /// <summary>Adds an annotation read by <paramref name="getter"/>.</summary>
            public void Add<TValue>(string name, DataViewType type, ValueGetter<TValue> getter, Annotations? annotations = null)
            {
                if (string.IsNullOrEmpty(name))
                    throw new ArgumentNullException(nameof(name));
                ArgumentNullException.ThrowIfNull(type);
                ArgumentNullException.ThrowIfNull(getter);
                if (type.RawType != typeof(TValue))
                    throw new ArgumentException($"{nameof(type)}.{nameof(type.RawType)} must be of type '{typeof(TValue).FullName}'.", nameof(type));
                _items.Add((name, type, getter, annotations));
            }

            /// <summary>Adds an annotation read by <paramref name="getter"/>, a <see cref="ValueGetter{TValue}"/> of the raw type of <paramref name="type"/>.</summary>
            public void Add(string name, DataViewType type, Delegate getter, Annotations? annotations = null)
            {
                if (string.IsNullOrEmpty(name))
                    throw new ArgumentNullException(nameof(name));
                ArgumentNullException.ThrowIfNull(type);
                ArgumentNullException.ThrowIfNull(getter);
                if (getter.GetType() != typeof(ValueGetter<>).MakeGenericType(type.RawType))
                    throw new ArgumentException($"{nameof(getter)} must be of type '{typeof(ValueGetter<>).MakeGenericType(type.RawType).FullName}'", nameof(getter));
                _items.Add((name, type, getter, annotations));
            }

            /// <summary>Adds an annotation with a fixed primitive value.</summary>
            public void AddPrimitiveValue<TValue>(string name, PrimitiveDataViewType type, TValue value, Annotations? annotations = null)
            {
                ArgumentNullException.ThrowIfNull(type);
                if (type.RawType != typeof(TValue))
                    throw new ArgumentException($"{nameof(type)}.{nameof(type.RawType)} must be of type '{typeof(TValue).FullName}'.", nameof(type));
                Add(name, type, (ref TValue dst) => dst = value, annotations);
            }

            /// <summary>The annotations added so far.</summary>
            public Annotations ToAnnotations()
            {
                var builder = new DataViewSchema.Builder();
                foreach (var item in _items)
                    builder.AddColumn(item.Name, item.Type, item.Annotations);
                return new Annotations(builder.ToSchema(), _items.Select(x => x.Getter).ToArray());
            }
        }
    }

    /// <summary>Builds a <see cref="DataViewSchema"/>; of several columns with one name, the last stays visible.</summary>
    public sealed class Builder
    {
        private readonly List<(string Name, DataViewType Type, Annotations? Annotations)> _items = [];

        /// <summary>Adds a column.</summary>
        public void AddColumn(string name, DataViewType type, Annotations? annotations = null)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentNullException(nameof(name));
            ArgumentNullException.ThrowIfNull(type);
            _items.Add((name, type, annotations));
        }

        /// <summary>Adds copies of existing columns.</summary>
        public void AddColumns(IEnumerable<Column> source)
        {
            foreach (Column column in source)
                AddColumn(column.Name, column.Type, column.Annotations);
        }

        /// <summary>Adds detached columns.</summary>
        public void AddColumns(IEnumerable<DetachedColumn> source)
        {
            foreach (DetachedColumn column in source)
                AddColumn(column.Name, column.Type, column.Annotations);
        }

        /// <summary>The schema built so far.</summary>
        public DataViewSchema ToSchema()
        {
            var lastIndex = new Dictionary<string, int>();
            for (int i = 0; i < _items.Count; i++)
                lastIndex[_items[i].Name] = i;
            var columns = new Column[_items.Count];
            for (int i = 0; i < columns.Length; i++)
                columns[i] = new Column(_items[i].Name, i, lastIndex[_items[i].Name] != i, _items[i].Type, _items[i].Annotations);
            return new DataViewSchema(columns);
        }
    }

    internal static DataViewSchema Create(IEnumerable<DetachedColumn> columns)
    {
        var builder = new Builder();
        builder.AddColumns(columns);
        return builder.ToSchema();
    }

    internal static Annotations CreateAnnotations(IEnumerable<(string Kind, DataViewType Type, object Value)> values)
    {
        var builder = new Annotations.Builder();
        foreach (var (kind, type, value) in values)
            builder.Add(kind, type, TypedValues.MakeGetter(type, () => value));
        return builder.ToAnnotations();
    }
}
