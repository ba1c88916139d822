using System.Reflection;
using Microsoft.ML.StandIn;

namespace Microsoft.ML.Data;

/// <summary>Marks a member as a key column. Applies to byte, ushort, uint and ulong members.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class KeyTypeAttribute : Attribute
{
    /// <summary>A key type whose count is the largest value of the member's type.</summary>
    public KeyTypeAttribute()
    {
    }

    /// <summary>A key type of <paramref name="count"/> values; member values above it become 0 (missing).</summary>
    public KeyTypeAttribute(ulong count)
    {
        Count = count;
    }

    internal ulong? Count { get; }
}

/// <summary>Marks an array member as a vector column, optionally of known size.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class VectorTypeAttribute : Attribute
{
    /// <summary>A vector of variable size.</summary>
    public VectorTypeAttribute()
    {
    }

    /// <summary>A vector of <paramref name="size"/> items (0 meaning variable).</summary>
    public VectorTypeAttribute(int size)
    {
        Dims = size >= 0 ? [size] : throw new ArgumentOutOfRangeException(nameof(size), "Should be non-negative number");
    }

    /// <summary>A vector of the given dimensions.</summary>
    public VectorTypeAttribute(params int[] dimensions)
    {
        Dims = dimensions.All(d => d >= 0) ? dimensions : throw new ArgumentOutOfRangeException(nameof(dimensions), "Should contain only non-negative values");
    }

    internal int[]? Dims { get; }
}

/// <summary>Names the column of a member, instead of the member's name.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class ColumnNameAttribute : Attribute
{
    /// <summary>Names the column <paramref name="name"/>.</summary>
    public ColumnNameAttribute(string name)
    {
        Name = name;
    }

    internal string Name { get; }
}

/// <summary>Keeps a member out of the columns.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class NoColumnAttribute : Attribute
{
}

/// <summary>The columns of a typed data view: which member gives which column, of which type.</summary>
public sealed class SchemaDefinition : List<SchemaDefinition.Column>
{
    private SchemaDefinition()
    {
    }

    /// <summary>Which members <see cref="Create"/> takes: readable ones, writable ones, or both.</summary>
    [Flags]
    public enum Direction
    {
        /// <summary>Members with a public getter.</summary>
        Read = 1,

        /// <summary>Members with a public setter.</summary>
        Write = 2,

        /// <summary>Members with either.</summary>
        Both = Read | Write,
    }

    /// <summary>The first column called <paramref name="columnName"/> (null when none); setting replaces it or adds one.</summary>
    public Column? this[string columnName]
    {
        get => this.FirstOrDefault(c => c.ColumnName == columnName);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.ColumnName != columnName)
                throw new ArgumentOutOfRangeException(nameof(columnName), $"The column name is specified as '{value.ColumnName}' but must match the selector '{columnName}'.");
            int index = FindIndex(c => c.ColumnName == columnName);
            if (index >= 0)
                this[index] = value;
            else
                Add(value);
        }
    }

    /// <summary>The definition of every public field and property of <paramref name="userType"/>, honouring the column attributes.</summary>
    public static SchemaDefinition Create(Type userType, Direction direction = Direction.Both)
    {
        ArgumentNullException.ThrowIfNull(userType);
        IEnumerable<MemberInfo> fields = userType.GetFields(BindingFlags.Public | BindingFlags.Instance).Where(f => !f.IsLiteral);
        IEnumerable<MemberInfo> properties = userType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0
                && (((direction & Direction.Read) != 0 && p.GetGetMethod() != null)
                    || ((direction & Direction.Write) != 0 && p.GetSetMethod() != null)));

        var definition = new SchemaDefinition();
        var names = new HashSet<string>();
        foreach (MemberInfo member in fields.Concat(properties))
        {
            if (member.GetCustomAttribute<NoColumnAttribute>() != null)
                continue;
            string name = member.GetCustomAttribute<ColumnNameAttribute>()?.Name ?? member.Name;
            if (!names.Add(name))
                throw new ArgumentOutOfRangeException(nameof(userType), $"Duplicate column name '{name}' detected, this is disallowed");
            definition.Add(new Column(member.Name, InferType(member), name));
        }
        return definition;
    }

    internal static DataViewType InferType(MemberInfo member)
    {
        var (isVector, itemRawType) = MemberBinding.VectorAndItemType(MemberBinding.MemberType(member));
        PrimitiveDataViewType itemType;
        KeyTypeAttribute? key = member.GetCustomAttribute<KeyTypeAttribute>();
        if (key != null)
        {
            if (!KeyDataViewType.IsValidDataType(itemRawType))
                throw new ArgumentOutOfRangeException(nameof(member), $"Member {member.Name} marked with KeyType attribute, but does not appear to be a valid kind of data for a key type");
            itemType = new KeyDataViewType(itemRawType, key.Count ?? KeyDataViewType.MaxValue(itemRawType));
        }
        else
        {
            itemType = PrimitiveTypeOf(itemRawType)
                ?? throw new NotSupportedException($"The ML.NET stand-in does not support columns of type '{itemRawType}' (member {member.Name}).");
        }

        VectorTypeAttribute? vectorAttribute = member.GetCustomAttribute<VectorTypeAttribute>();
        if (vectorAttribute != null && !isVector)
            throw new ArgumentOutOfRangeException(nameof(member), $"Member {member.Name} marked with {nameof(VectorTypeAttribute)}, but does not appear to be a vector type");
        if (!isVector)
            return itemType;
        return vectorAttribute?.Dims is { Length: > 0 } dims ? new VectorDataViewType(itemType, dims) : new VectorDataViewType(itemType, 0);
    }

    private static PrimitiveDataViewType? PrimitiveTypeOf(Type rawType) =>
        rawType == typeof(ReadOnlyMemory<char>) ? TextDataViewType.Instance
        : rawType == typeof(bool) ? BooleanDataViewType.Instance
        : rawType == typeof(float) ? NumberDataViewType.Single
        : rawType == typeof(double) ? NumberDataViewType.Double
        : rawType == typeof(int) ? NumberDataViewType.Int32
        : rawType == typeof(uint) ? NumberDataViewType.UInt32
        : rawType == typeof(long) ? NumberDataViewType.Int64
        : rawType == typeof(ulong) ? NumberDataViewType.UInt64
        : rawType == typeof(short) ? NumberDataViewType.Int16
        : rawType == typeof(ushort) ? NumberDataViewType.UInt16
        : rawType == typeof(sbyte) ? NumberDataViewType.SByte
        : rawType == typeof(byte) ? NumberDataViewType.Byte
        : null;

    /// <summary>One column: the member it comes from, its name and its type.</summary>
    public sealed class Column
    {
        private readonly List<(string Kind, DataViewType Type, object Value)> _annotations = [];

        internal Column(string memberName, DataViewType? columnType, string? columnName = null)
        {
            if (string.IsNullOrEmpty(memberName))
                throw new ArgumentException("Must be non-empty", nameof(memberName));
            MemberName = memberName;
            ColumnName = columnName ?? memberName;
            ColumnType = columnType;
        }

        /// <summary>The field or property the column comes from.</summary>
        public string MemberName { get; }

        /// <summary>The name of the column.</summary>
        public string ColumnName { get; set; }

        /// <summary>The type of the column; when null, it is inferred from the member.</summary>
        public DataViewType? ColumnType { get; set; }

        /// <summary>Adds an annotation of kind <paramref name="kind"/>.</summary>
        public void AddAnnotation<T>(string kind, T value, DataViewType annotationType)
        {
            ArgumentNullException.ThrowIfNull(kind);
            ArgumentNullException.ThrowIfNull(annotationType);
            if (annotationType.RawType != typeof(T))
                throw new ArgumentException($"The annotation type's raw type must be '{typeof(T)}'.", nameof(annotationType));
            if (_annotations.Any(a => a.Kind == kind))
                throw new InvalidOperationException("Column already contains an annotation of this kind.");
            _annotations.Add((kind, annotationType, value!));
        }

        /// <summary>The annotations added to the column.</summary>
        public DataViewSchema.Annotations Annotations => DataViewSchema.CreateAnnotations(_annotations);
    }
}
