using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>
/// Parses a payload read by <see cref="FramedFile"/>, little-endian. Every read names its field; a count is checked
/// against its range and an array against the bytes left before anything is allocated, and every failure is an
/// <see cref="InvalidDataException"/> that names the field.
/// </summary>
internal sealed class PayloadReader(byte[] payload)
{
    private int position;

    /// <summary>Bytes not yet read.</summary>
    public int Remaining => payload.Length - position;

    public int Int32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    public uint UInt32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public double Double(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    /// <summary>An int32 that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Count(string field, int min, int max)
    {
        int value = Int32(field);
        return value < min || value > max ? throw new InvalidDataException($"The {field} is {value}, outside [{min}, {max}].") : value;
    }

    /// <summary><paramref name="count"/> int32 values.</summary>
    public int[] Int32s(long count, string field) => MemoryMarshal.Cast<byte, int>(Array(count, sizeof(int), field)).ToArray();

    /// <summary><paramref name="count"/> floats, each of which must be finite.</summary>
    public float[] FiniteFloats(long count, string field)
    {
        float[] values = MemoryMarshal.Cast<byte, float>(Array(count, sizeof(float), field)).ToArray();
        int bad = System.Array.FindIndex(values, v => !float.IsFinite(v));
        return bad < 0 ? values : throw new InvalidDataException($"Value {bad} of the {field} is {values[bad]}, not a finite number.");
    }

    /// <summary>Throws unless the whole payload was read.</summary>
    public void End(string what)
    {
        if (Remaining != 0)
        {
            throw new InvalidDataException($"{Remaining} unexpected bytes follow the {what}.");
        }
    }

    // Checked against the bytes left before the caller allocates the array.
    private ReadOnlySpan<byte> Array(long count, int size, string field) =>
        count < 0 || count > Remaining / size
            ? throw new InvalidDataException($"The {field} need {count} values ({count * size} bytes) but only {Remaining} bytes are left.")
            : Take((int)count * size, field);

    private ReadOnlySpan<byte> Take(int length, string field)
    {
        if (length > Remaining)
        {
            throw new InvalidDataException($"The data end inside the {field}.");
        }

        position += length;
        return payload.AsSpan(position - length, length);
    }
}
