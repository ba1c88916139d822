using System.Text;
using Microsoft.ML.Data;

namespace Microsoft.ML.StandIn;

/// <summary>
/// The stand-in's own binary format for <c>SaveAsBinary</c>/<c>LoadFromBinary</c>: columns with their types (key counts
/// and vector sizes included) and annotations, then the rows. Vectors are written dense. It is not ML.NET's .idv format.
/// </summary>
internal static class BinaryFormat
{
    private const string Magic = "ML.NET stand-in data view";
    private const int Version = 1;

    private static readonly NumberDataViewType[] Numbers =
    [
        NumberDataViewType.SByte, NumberDataViewType.Byte, NumberDataViewType.Int16, NumberDataViewType.UInt16,
        NumberDataViewType.Int32, NumberDataViewType.UInt32, NumberDataViewType.Int64, NumberDataViewType.UInt64,
        NumberDataViewType.Single, NumberDataViewType.Double,
    ];

    private static readonly Dictionary<Type, Func<BinaryReader, object>> ScalarReaders = new()
    {
        [typeof(sbyte)] = r => r.ReadSByte(),
        [typeof(byte)] = r => r.ReadByte(),
        [typeof(short)] = r => r.ReadInt16(),
        [typeof(ushort)] = r => r.ReadUInt16(),
        [typeof(int)] = r => r.ReadInt32(),
        [typeof(uint)] = r => r.ReadUInt32(),
        [typeof(long)] = r => r.ReadInt64(),
        [typeof(ulong)] = r => r.ReadUInt64(),
        [typeof(float)] = r => r.ReadSingle(),
        [typeof(double)] = r => r.ReadDouble(),
        [typeof(bool)] = r => r.ReadBoolean(),
        [typeof(ReadOnlyMemory<char>)] = r => r.ReadString().AsMemory(),
    };

    private enum TypeTag : byte
    {
        Number = 1,
        Text = 2,
        Boolean = 3,
        Key = 4,
        Vector = 5,
    }

    public static void Save(IDataView data, Stream stream, bool keepHidden)
    {
        var columns = data.Schema.Where(c => keepHidden || !c.IsHidden).ToList();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(columns.Count);
        foreach (DataViewSchema.Column column in columns)
        {
            writer.Write(column.Name);
            WriteType(writer, column.Type);
            DataViewSchema annotations = column.Annotations.Schema;
            writer.Write(annotations.Count);
            foreach (DataViewSchema.Column kind in annotations)
            {
                writer.Write(kind.Name);
                WriteType(writer, kind.Type);
                WriteValue(writer, kind.Type, TypedValues.ReadAnnotation(column.Annotations, kind));
            }
        }

        // Each row is preceded by a marker, so the row count need not be known in advance.
        using DataViewRowCursor cursor = data.GetRowCursor(columns);
        var readers = columns.Select(c => TypedValues.MakeReader(cursor, c)).ToList();
        while (cursor.MoveNext())
        {
            writer.Write(true);
            for (int i = 0; i < columns.Count; i++)
                WriteValue(writer, columns[i].Type, readers[i]());
        }
        writer.Write(false);
    }

    public static IDataView Load(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadString() != Magic || reader.ReadInt32() != Version)
                throw NotOurFormat();
            var builder = new DataViewSchema.Builder();
            int columnCount = reader.ReadInt32();
            var types = new DataViewType[columnCount];
            for (int i = 0; i < columnCount; i++)
            {
                string name = reader.ReadString();
                types[i] = ReadType(reader);
                var annotations = new List<(string, DataViewType, object)>();
                int annotationCount = reader.ReadInt32();
                for (int j = 0; j < annotationCount; j++)
                {
                    string kind = reader.ReadString();
                    DataViewType type = ReadType(reader);
                    annotations.Add((kind, type, ReadValue(reader, type)));
                }
                builder.AddColumn(name, types[i], DataViewSchema.CreateAnnotations(annotations));
            }

            var rows = new List<object[]>();
            while (reader.ReadBoolean())
                rows.Add(types.Select(type => ReadValue(reader, type)).ToArray());
            return new InMemoryDataView(builder.ToSchema(), rows);
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or ArgumentOutOfRangeException)
        {
            throw NotOurFormat(e);
        }
    }

    private static InvalidDataException NotOurFormat(Exception? inner = null) =>
        new("Not a data view written by the ML.NET stand-in's SaveAsBinary (the stand-in cannot read ML.NET's own .idv files).", inner);

    private static void WriteType(BinaryWriter writer, DataViewType type)
    {
        switch (type)
        {
            case NumberDataViewType number:
                writer.Write((byte)TypeTag.Number);
                writer.Write((byte)Array.IndexOf(Numbers, number));
                break;
            case TextDataViewType:
                writer.Write((byte)TypeTag.Text);
                break;
            case BooleanDataViewType:
                writer.Write((byte)TypeTag.Boolean);
                break;
            case KeyDataViewType key:
                writer.Write((byte)TypeTag.Key);
                writer.Write((byte)Array.FindIndex(Numbers, n => n.RawType == key.RawType));
                writer.Write(key.Count);
                break;
            case VectorDataViewType vector:
                writer.Write((byte)TypeTag.Vector);
                WriteType(writer, vector.ItemType);
                writer.Write(vector.Dimensions.Length);
                foreach (int dimension in vector.Dimensions)
                    writer.Write(dimension);
                break;
            default:
                throw new NotSupportedException($"The ML.NET stand-in cannot save columns of type {type}.");
        }
    }

    private static DataViewType ReadType(BinaryReader reader) =>
        (TypeTag)reader.ReadByte() switch
        {
            TypeTag.Number => Numbers[reader.ReadByte()],
            TypeTag.Text => TextDataViewType.Instance,
            TypeTag.Boolean => BooleanDataViewType.Instance,
            TypeTag.Key => new KeyDataViewType(Numbers[reader.ReadByte()].RawType, reader.ReadUInt64()),
            TypeTag.Vector => new VectorDataViewType(
                (PrimitiveDataViewType)ReadType(reader),
                Enumerable.Range(0, reader.ReadInt32()).Select(_ => reader.ReadInt32()).ToArray()),
            _ => throw NotOurFormat(),
        };

    private static void WriteValue(BinaryWriter writer, DataViewType type, object value)
    {
        if (type is VectorDataViewType vector)
        {
            object[] items = TypedValues.VectorItems(value);
            writer.Write(items.Length);
            foreach (object item in items)
                WriteValue(writer, vector.ItemType, item);
            return;
        }
        switch (value)
        {
            case sbyte v: writer.Write(v); break;
            case byte v: writer.Write(v); break;
            case short v: writer.Write(v); break;
            case ushort v: writer.Write(v); break;
            case int v: writer.Write(v); break;
            case uint v: writer.Write(v); break;
            case long v: writer.Write(v); break;
            case ulong v: writer.Write(v); break;
            case float v: writer.Write(v); break;
            case double v: writer.Write(v); break;
            case bool v: writer.Write(v); break;
            case ReadOnlyMemory<char> v: writer.Write(v.ToString()); break;
            default: throw new NotSupportedException($"The ML.NET stand-in cannot save values of type {value.GetType()}.");
        }
    }

    private static object ReadValue(BinaryReader reader, DataViewType type)
    {
        if (type is VectorDataViewType vector)
        {
            int length = reader.ReadInt32();
            var items = new object[length];
            for (int i = 0; i < length; i++)
                items[i] = ReadValue(reader, vector.ItemType);
            return TypedValues.MakeVector(vector.ItemType, items);
        }
        return ScalarReaders.TryGetValue(type.RawType, out var read) ? read(reader) : throw NotOurFormat();
    }
}
