using System.Reflection;
using Microsoft.ML.Data;

namespace Microsoft.ML.StandIn;

/// <summary>
/// Bridges typed getters and boxed values, so that the stand-in's views handle every column type with one code path.
/// Boxed values are of the column's raw type; boxed vectors are <see cref="VBuffer{T}"/>s owned by whoever holds them.
/// </summary>
internal static class TypedValues
{
    /// <summary>A <see cref="ValueGetter{TValue}"/> of the raw type of <paramref name="type"/> returning <paramref name="fetch"/>'s values; vectors are copied into the caller's buffer.</summary>
    public static Delegate MakeGetter(DataViewType type, Func<object> fetch) =>
        type is VectorDataViewType vector
            ? (Delegate)Invoke(nameof(VectorGetter), vector.ItemType.RawType, fetch)
            : (Delegate)Invoke(nameof(ScalarGetter), type.RawType, fetch);

    /// <summary>Reads <paramref name="column"/> of <paramref name="row"/> as boxed values; vectors come as fresh buffers.</summary>
    public static Func<object> MakeReader(DataViewRow row, DataViewSchema.Column column) =>
        (Func<object>)Invoke(nameof(Reader), column.Type.RawType, row, column);

    /// <summary>The value of one annotation, boxed; vectors come as fresh buffers.</summary>
    public static object ReadAnnotation(DataViewSchema.Annotations annotations, DataViewSchema.Column kind) =>
        Invoke(nameof(AnnotationValue), kind.Type.RawType, annotations, kind);

    /// <summary><paramref name="row"/>'s getter of <paramref name="column"/>, typed by the column's raw type.</summary>
    public static Delegate GetGetter(DataViewRow row, DataViewSchema.Column column) =>
        (Delegate)Invoke(nameof(Getter), column.Type.RawType, row, column);

    /// <summary>A boxed dense <see cref="VBuffer{T}"/> of the raw type of <paramref name="itemType"/> holding <paramref name="items"/>.</summary>
    public static object MakeVector(PrimitiveDataViewType itemType, IReadOnlyList<object> items) =>
        Invoke(nameof(Vector), itemType.RawType, items);

    /// <summary>All items of a boxed <see cref="VBuffer{T}"/>, boxed.</summary>
    public static object[] VectorItems(object vector) =>
        (object[])Invoke(nameof(Items), vector.GetType().GetGenericArguments()[0], vector);

    /// <summary>Converts an array member (<c>T[]</c>, or <c>string[]</c> for text) to a boxed <see cref="VBuffer{T}"/>; null gives an empty vector.</summary>
    public static Func<object?, object> ArrayToVector(Type itemRawType) =>
        itemRawType == typeof(ReadOnlyMemory<char>)
            ? array => TextVector((string?[]?)array ?? [])
            : MakeFunc<object?, object>(nameof(ArrayToVectorCore), itemRawType);

    /// <summary>Converts a boxed <see cref="VBuffer{T}"/> to a dense array member (<c>string[]</c> when <paramref name="elementType"/> is string).</summary>
    public static Func<object, object> VectorToArray(Type itemRawType, Type elementType) =>
        elementType == typeof(string)
            ? vector => ((VBuffer<ReadOnlyMemory<char>>)vector).DenseValues().Select(t => t.ToString()).ToArray()
            : MakeFunc<object, object>(nameof(VectorToArrayCore), itemRawType);

    /// <summary>A value that compares by content: text becomes a string; everything else is already compared by value.</summary>
    public static object ToComparable(object raw) => raw is ReadOnlyMemory<char> text ? text.ToString() : raw;

    /// <summary>The inverse of <see cref="ToComparable"/>.</summary>
    public static object FromComparable(object value, Type rawType) =>
        rawType == typeof(ReadOnlyMemory<char>) ? ((string)value).AsMemory() : value;

    /// <summary>Whether a boxed value is ML.NET's missing value of its type (NaN for floating point).</summary>
    public static bool IsMissing(object raw) => raw is float f ? float.IsNaN(f) : raw is double d && double.IsNaN(d);

    /// <summary>ML.NET's missing value of a raw type: NaN for floating point, empty text, otherwise the default.</summary>
    public static object MissingValue(Type rawType) =>
        rawType == typeof(float) ? float.NaN
        : rawType == typeof(double) ? double.NaN
        : Activator.CreateInstance(rawType)!;

    private static ValueGetter<T> ScalarGetter<T>(Func<object> fetch) => (ref T value) => value = (T)fetch();

    private static ValueGetter<VBuffer<T>> VectorGetter<T>(Func<object> fetch) =>
        (ref VBuffer<T> value) => ((VBuffer<T>)fetch()).CopyTo(ref value);

    private static Func<object> Reader<T>(DataViewRow row, DataViewSchema.Column column)
    {
        ValueGetter<T> getter = row.GetGetter<T>(column);
        return () =>
        {
            T value = default!;
            getter(ref value);
            return value!;
        };
    }

    private static object AnnotationValue<T>(DataViewSchema.Annotations annotations, DataViewSchema.Column kind)
    {
        T value = default!;
        annotations.GetGetter<T>(kind)(ref value);
        return value!;
    }

    private static Delegate Getter<T>(DataViewRow row, DataViewSchema.Column column) => row.GetGetter<T>(column);

    private static object Vector<T>(IReadOnlyList<object> items) => new VBuffer<T>(items.Count, items.Select(i => (T)i).ToArray());

    private static object[] Items<T>(object vector) => ((VBuffer<T>)vector).DenseValues().Select(v => (object)v!).ToArray();

    private static object ArrayToVectorCore<T>(object? array)
    {
        T[] items = (T[]?)array ?? [];
        return new VBuffer<T>(items.Length, (T[])items.Clone());
    }

    private static object VectorToArrayCore<T>(object vector) => ((VBuffer<T>)vector).DenseValues().ToArray();

    private static object TextVector(string?[] items) =>
        new VBuffer<ReadOnlyMemory<char>>(items.Length, items.Select(s => (s ?? "").AsMemory()).ToArray());

    private static object Invoke(string method, Type typeArgument, params object[] args) =>
        Method(method, typeArgument).Invoke(null, BindingFlags.DoNotWrapExceptions, null, args, null)!;

    private static Func<TIn, TOut> MakeFunc<TIn, TOut>(string method, Type typeArgument) =>
        Method(method, typeArgument).CreateDelegate<Func<TIn, TOut>>();

    private static MethodInfo Method(string method, Type typeArgument) =>
        typeof(TypedValues).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeArgument);
}
