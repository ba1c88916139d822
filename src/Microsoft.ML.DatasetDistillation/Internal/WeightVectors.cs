using Microsoft.ML.DatasetDistillation.Distillation;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>Flat weight vectors in the layer's files: a length (−1 for none), then the values, little-endian.</summary>
internal static class WeightVectors
{
    private const int MaxLength = 1 << 28;

    public static void Write(BinaryWriter writer, float[]? weights)
    {
        writer.Write(weights?.Length ?? -1);
        if (weights is not null)
        {
            DistilledDataset.WriteFloats(writer, weights);
        }
    }

    public static float[]? Read(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        if (length < -1 || length > MaxLength)
        {
            throw new InvalidDataException($"A weight vector length {length} is out of range.");
        }

        return length == -1 ? null : DistilledDataset.ReadFloats(reader, length);
    }
}
