using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>
/// The values of a key column's "KeyValues" annotation, typed: text, Single, Double, Int32, UInt32, Int64, UInt64 or
/// Boolean (the item types ML.NET's MapValueToKey produces). Other item types are not kept.
/// </summary>
internal sealed class KeyValues
{
    private KeyValues(PrimitiveDataViewType itemType, Array values)
    {
        ItemType = itemType;
        Values = values;
    }

    public PrimitiveDataViewType ItemType { get; }

    /// <summary>A T[] of the CLR type of <see cref="ItemType"/> (string[] for text).</summary>
    public Array Values { get; }

    public int Count => Values.Length;

    /// <summary>The KeyValues annotation of <paramref name="column"/>, or null when it has none of a supported type.</summary>
    public static KeyValues? FromColumn(DataViewSchema.Column column)
    {
        DataViewSchema.Column? annotation = column.Annotations.Schema.GetColumnOrNull(AnnotationKind);
        if (annotation is null || annotation.Value.Type is not VectorDataViewType vector)
        {
            return null;
        }

        DataViewType item = vector.ItemType;
        if (item is TextDataViewType)
        {
            return new(TextDataViewType.Instance, Read<ReadOnlyMemory<char>>(column).Select(v => v.ToString()).ToArray());
        }

        if (item is BooleanDataViewType)
        {
            return new(BooleanDataViewType.Instance, Read<bool>(column));
        }

        return item switch
        {
            _ when item == NumberDataViewType.Single => new(NumberDataViewType.Single, Read<float>(column)),
            _ when item == NumberDataViewType.Double => new(NumberDataViewType.Double, Read<double>(column)),
            _ when item == NumberDataViewType.Int32 => new(NumberDataViewType.Int32, Read<int>(column)),
            _ when item == NumberDataViewType.UInt32 => new(NumberDataViewType.UInt32, Read<uint>(column)),
            _ when item == NumberDataViewType.Int64 => new(NumberDataViewType.Int64, Read<long>(column)),
            _ when item == NumberDataViewType.UInt64 => new(NumberDataViewType.UInt64, Read<ulong>(column)),
            _ => null,
        };
    }

    /// <summary>An annotation set holding these values as "KeyValues".</summary>
    public DataViewSchema.Annotations ToAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        AddTo(builder, AnnotationKind);
        return builder.ToAnnotations();
    }

    /// <summary>Adds these values to <paramref name="builder"/> as the annotation <paramref name="kind"/>.</summary>
    public void AddTo(DataViewSchema.Annotations.Builder builder, string kind)
    {
        var type = new VectorDataViewType(ItemType, Count);
        // Switch on the item type, not on the array: the runtime lets an int[] pass as uint[] (and long[] as ulong[]).
        switch (TypeCode(ItemType))
        {
            case 1:
                ReadOnlyMemory<char>[] memory = ((string[])Values).Select(t => t.AsMemory()).ToArray();
                builder.Add(kind, type, Getter(memory));
                break;
            case 2: builder.Add(kind, type, Getter((float[])Values)); break;
            case 3: builder.Add(kind, type, Getter((double[])Values)); break;
            case 4: builder.Add(kind, type, Getter((int[])Values)); break;
            case 5: builder.Add(kind, type, Getter((uint[])Values)); break;
            case 6: builder.Add(kind, type, Getter((long[])Values)); break;
            case 7: builder.Add(kind, type, Getter((ulong[])Values)); break;
            default: builder.Add(kind, type, Getter((bool[])Values)); break;
        }
    }

    /// <summary>A getter copying <paramref name="values"/> into the caller's buffer.</summary>
    public static ValueGetter<VBuffer<T>> Getter<T>(T[] values) => (ref VBuffer<T> destination) =>
    {
        VBufferEditor<T> editor = VBufferEditor.Create(ref destination, values.Length);
        values.AsSpan().CopyTo(editor.Values);
        destination = editor.Commit();
    };

    /// <summary>Copies <paramref name="values"/> into <paramref name="destination"/>'s buffer and returns it.</summary>
    public static VBuffer<T> GetterResult<T>(T[] values, ref VBuffer<T> destination)
    {
        VBufferEditor<T> editor = VBufferEditor.Create(ref destination, values.Length);
        values.AsSpan().CopyTo(editor.Values);
        return editor.Commit();
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(TypeCode(ItemType));
        writer.Write(Count);
        switch (TypeCode(ItemType))
        {
            case 1: foreach (string x in (string[])Values) writer.Write(x); break;
            case 2: foreach (float x in (float[])Values) writer.Write(x); break;
            case 3: foreach (double x in (double[])Values) writer.Write(x); break;
            case 4: foreach (int x in (int[])Values) writer.Write(x); break;
            case 5: foreach (uint x in (uint[])Values) writer.Write(x); break;
            case 6: foreach (long x in (long[])Values) writer.Write(x); break;
            case 7: foreach (ulong x in (ulong[])Values) writer.Write(x); break;
            default: foreach (bool x in (bool[])Values) writer.Write(x); break;
        }
    }

    public static KeyValues Read(BinaryReader reader)
    {
        int code = reader.ReadInt32();
        int count = reader.ReadInt32();
        if (count < 0 || count > 1 << 24 || count > LayerFiles.Remaining(reader))
        {
            throw new InvalidDataException($"The key value count {count} is out of range.");
        }

        return code switch
        {
            1 => new(TextDataViewType.Instance, Fill(count, reader.ReadString)),
            2 => new(NumberDataViewType.Single, Fill(count, reader.ReadSingle)),
            3 => new(NumberDataViewType.Double, Fill(count, reader.ReadDouble)),
            4 => new(NumberDataViewType.Int32, Fill(count, reader.ReadInt32)),
            5 => new(NumberDataViewType.UInt32, Fill(count, reader.ReadUInt32)),
            6 => new(NumberDataViewType.Int64, Fill(count, reader.ReadInt64)),
            7 => new(NumberDataViewType.UInt64, Fill(count, reader.ReadUInt64)),
            8 => new(BooleanDataViewType.Instance, Fill(count, reader.ReadBoolean)),
            _ => throw new InvalidDataException($"Unknown key value type code {code}."),
        };
    }

    public const string AnnotationKind = "KeyValues";

    private static int TypeCode(PrimitiveDataViewType type) => type switch
    {
        TextDataViewType => 1,
        BooleanDataViewType => 8,
        _ when type == NumberDataViewType.Single => 2,
        _ when type == NumberDataViewType.Double => 3,
        _ when type == NumberDataViewType.Int32 => 4,
        _ when type == NumberDataViewType.UInt32 => 5,
        _ when type == NumberDataViewType.Int64 => 6,
        _ when type == NumberDataViewType.UInt64 => 7,
        _ => throw new InvalidOperationException($"Key values of type {type} are not supported."),
    };

    private static T[] Fill<T>(int count, Func<T> read)
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = read();
        }

        return values;
    }

    private static T[] Read<T>(DataViewSchema.Column column)
    {
        VBuffer<T> buffer = default;
        column.Annotations.GetValue(AnnotationKind, ref buffer);
        return buffer.DenseValues().ToArray();
    }
}
