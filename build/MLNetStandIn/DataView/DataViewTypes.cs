using System.Collections.Immutable;

namespace Microsoft.ML.Data;

/// <summary>The base of the <see cref="IDataView"/> type system.</summary>
public abstract class DataViewType : IEquatable<DataViewType>
{
    private protected DataViewType(Type rawType)
    {
        RawType = rawType ?? throw new ArgumentNullException(nameof(rawType));
    }

    /// <summary>The .NET type that holds values of this type (for example <see cref="ReadOnlyMemory{T}"/> of char for text).</summary>
    public Type RawType { get; }

    /// <summary>Whether <paramref name="other"/> describes the same type.</summary>
    public abstract bool Equals(DataViewType? other);
}

/// <summary>The base of the non-primitive types, such as <see cref="VectorDataViewType"/>.</summary>
public abstract class StructuredDataViewType : DataViewType
{
    /// <summary>Creates a structured type over <paramref name="rawType"/>.</summary>
    protected StructuredDataViewType(Type rawType)
        : base(rawType)
    {
    }
}

/// <summary>The base of the types whose values can be copied freely.</summary>
public abstract class PrimitiveDataViewType : DataViewType
{
    /// <summary>Creates a primitive type over <paramref name="rawType"/>, which must not be disposable.</summary>
    protected PrimitiveDataViewType(Type rawType)
        : base(rawType)
    {
        if (typeof(IDisposable).IsAssignableFrom(RawType))
            throw new ArgumentException("A " + nameof(PrimitiveDataViewType) + " cannot have a disposable " + nameof(RawType), nameof(rawType));
    }
}

/// <summary>Text, held as <see cref="ReadOnlyMemory{T}"/> of char.</summary>
public sealed class TextDataViewType : PrimitiveDataViewType
{
    private TextDataViewType()
        : base(typeof(ReadOnlyMemory<char>))
    {
    }

    /// <summary>The only instance.</summary>
    public static TextDataViewType Instance { get; } = new();

    /// <inheritdoc/>
    public override bool Equals(DataViewType? other) => ReferenceEquals(other, this);

    /// <inheritdoc/>
    public override string ToString() => "String";
}

/// <summary>Booleans.</summary>
public sealed class BooleanDataViewType : PrimitiveDataViewType
{
    private BooleanDataViewType()
        : base(typeof(bool))
    {
    }

    /// <summary>The only instance.</summary>
    public static BooleanDataViewType Instance { get; } = new();

    /// <inheritdoc/>
    public override bool Equals(DataViewType? other) => ReferenceEquals(other, this);

    /// <inheritdoc/>
    public override string ToString() => "Boolean";
}

/// <summary>The numeric types; each is a singleton.</summary>
public sealed class NumberDataViewType : PrimitiveDataViewType
{
    private NumberDataViewType(Type rawType)
        : base(rawType)
    {
    }

    /// <summary><see cref="sbyte"/> numbers.</summary>
    public static NumberDataViewType SByte { get; } = new(typeof(sbyte));

    /// <summary><see cref="byte"/> numbers.</summary>
    public static NumberDataViewType Byte { get; } = new(typeof(byte));

    /// <summary><see cref="short"/> numbers.</summary>
    public static NumberDataViewType Int16 { get; } = new(typeof(short));

    /// <summary><see cref="ushort"/> numbers.</summary>
    public static NumberDataViewType UInt16 { get; } = new(typeof(ushort));

    /// <summary><see cref="int"/> numbers.</summary>
    public static NumberDataViewType Int32 { get; } = new(typeof(int));

    /// <summary><see cref="uint"/> numbers.</summary>
    public static NumberDataViewType UInt32 { get; } = new(typeof(uint));

    /// <summary><see cref="long"/> numbers.</summary>
    public static NumberDataViewType Int64 { get; } = new(typeof(long));

    /// <summary><see cref="ulong"/> numbers.</summary>
    public static NumberDataViewType UInt64 { get; } = new(typeof(ulong));

    /// <summary><see cref="float"/> numbers.</summary>
    public static NumberDataViewType Single { get; } = new(typeof(float));

    /// <summary><see cref="double"/> numbers.</summary>
    public static NumberDataViewType Double { get; } = new(typeof(double));

    /// <inheritdoc/>
    public override bool Equals(DataViewType? other) => ReferenceEquals(other, this);

    /// <inheritdoc/>
    public override string ToString() => RawType.Name;
}

/// <summary>Categorical values: unsigned integers from 1 to <see cref="Count"/>, 0 meaning missing.</summary>
public sealed class KeyDataViewType : PrimitiveDataViewType
{
    /// <summary>Creates a key type over <paramref name="type"/> (byte, ushort, uint or ulong) with <paramref name="count"/> values.</summary>
    public KeyDataViewType(Type type, ulong count)
        : base(type)
    {
        if (!IsValidDataType(type))
            throw new ArgumentOutOfRangeException(nameof(type), $"Type is not valid, it must be {typeof(byte).Name}, {typeof(ushort).Name}, {typeof(uint).Name}, or {typeof(ulong).Name}.");
        if (count == 0 || MaxValue(type) < count)
            throw new ArgumentOutOfRangeException(nameof(count), $"The cardinality of a {nameof(KeyDataViewType)} must not exceed {type.Name}.MaxValue and must be strictly positive, but got {count}.");
        Count = count;
    }

    /// <summary>Creates a key type over <paramref name="type"/> with <paramref name="count"/> values.</summary>
    public KeyDataViewType(Type type, int count)
        : this(type, count > 0 ? (ulong)count : throw new ArgumentOutOfRangeException(nameof(count), "The cardinality of a " + nameof(KeyDataViewType) + " must be strictly positive."))
    {
    }

    /// <summary>The number of key values; valid keys are 1 to <see cref="Count"/>.</summary>
    public ulong Count { get; }

    /// <summary>Whether <paramref name="type"/> can hold keys: byte, ushort, uint or ulong.</summary>
    public static bool IsValidDataType(Type type) =>
        type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(byte);

    internal static ulong MaxValue(Type type) =>
        type == typeof(uint) ? (ulong)uint.MaxValue
        : type == typeof(ulong) ? ulong.MaxValue
        : type == typeof(ushort) ? (ulong)ushort.MaxValue
        : type == typeof(byte) ? (ulong)byte.MaxValue
        : 0UL;

    /// <inheritdoc/>
    public override bool Equals(DataViewType? other) =>
        ReferenceEquals(other, this) || (other is KeyDataViewType key && key.RawType == RawType && key.Count == Count);

    /// <inheritdoc/>
    public override bool Equals(object? other) => other is DataViewType type && Equals(type);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(RawType, Count);

    /// <inheritdoc/>
    public override string ToString() => $"Key<{RawType.Name}, 0-{Count - 1}>";
}

/// <summary>Vectors of a primitive item type, held as <see cref="VBuffer{T}"/>.</summary>
public sealed class VectorDataViewType : StructuredDataViewType
{
    /// <summary>Creates a one-dimensional vector type; a <paramref name="size"/> of 0 means variable length.</summary>
    public VectorDataViewType(PrimitiveDataViewType itemType, int size = 0)
        : this(itemType, ImmutableArray.Create(size >= 0 ? size : throw new ArgumentOutOfRangeException(nameof(size))))
    {
    }

    /// <summary>Creates a vector type with the given dimensions (0 meaning unknown along that dimension).</summary>
    public VectorDataViewType(PrimitiveDataViewType itemType, params int[] dimensions)
        : this(itemType, (dimensions ?? throw new ArgumentNullException(nameof(dimensions))).ToImmutableArray())
    {
    }

    /// <summary>Creates a vector type with the given dimensions (0 meaning unknown along that dimension).</summary>
    public VectorDataViewType(PrimitiveDataViewType itemType, ImmutableArray<int> dimensions)
        : base(typeof(VBuffer<>).MakeGenericType((itemType ?? throw new ArgumentNullException(nameof(itemType))).RawType))
    {
        if (dimensions.Length == 0 || dimensions.Any(d => d < 0))
            throw new ArgumentOutOfRangeException(nameof(dimensions));
        ItemType = itemType;
        Dimensions = dimensions;
        Size = dimensions.Aggregate(1, (size, d) => checked(size * d));
    }

    /// <summary>The dimensions; <see cref="Size"/> is their product.</summary>
    public ImmutableArray<int> Dimensions { get; }

    /// <summary>Whether every vector of this type has <see cref="Size"/> items.</summary>
    public bool IsKnownSize => Size > 0;

    /// <summary>The type of the items.</summary>
    public PrimitiveDataViewType ItemType { get; }

    /// <summary>The number of items, or 0 when the length varies.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public override bool Equals(DataViewType? other) =>
        ReferenceEquals(other, this)
        || (other is VectorDataViewType vector && ItemType.Equals(vector.ItemType) && Size == vector.Size
            && Dimensions.SequenceEqual(vector.Dimensions));

    /// <inheritdoc/>
    public override bool Equals(object? other) => other is DataViewType type && Equals(type);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ItemType);
        hash.Add(Size);
        foreach (int d in Dimensions)
            hash.Add(d);
        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        string dims = Dimensions.Length == 1
            ? (Size > 0 ? $", {Size}" : "")
            : string.Concat(Dimensions.Select(d => d > 0 ? $", {d}" : ", *"));
        return $"Vector<{ItemType}{dims}>";
    }
}
