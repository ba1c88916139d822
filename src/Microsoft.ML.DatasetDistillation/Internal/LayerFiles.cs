using System.Text;
using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>
/// Parsing of the layer's payloads (inside the frame of <see cref="FramedFile"/>): read with a <see cref="BinaryReader"/>,
/// since they hold strings, and every way a payload can be cut short or contradict itself turned into an
/// <see cref="InvalidDataException"/>, which <see cref="FramedFile.Load"/> prefixes with the path.
/// </summary>
internal static class LayerFiles
{
    public static T Parse<T>(FramedPayload payload, Func<BinaryReader, int, T> parse)
    {
        using var stream = new MemoryStream(payload.Bytes, writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            T result = parse(reader, payload.Version);
            return stream.Position == stream.Length
                ? result
                : throw new InvalidDataException($"{stream.Length - stream.Position} unexpected bytes follow the contents.");
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"The file is truncated or inconsistent: {e.Message}", e);
        }
    }

    /// <summary>Bytes left to read: what a count read from the payload is checked against before allocating.</summary>
    public static int Remaining(BinaryReader reader) => (int)(reader.BaseStream.Length - reader.BaseStream.Position);
}
