using System.Buffers.Binary;
using Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.IO;

/// <summary>
/// Damages every file format the library reads (truncations, single bit flips, hostile headers) and checks that each
/// case ends in an <see cref="InvalidDataException"/> or loads exactly the original content, never another exception
/// and never a large allocation.
/// </summary>
[TestClass]
public sealed class FileFuzzTests
{
    // Every case may allocate this much beyond a small multiple of the file's length: the first chunk of a payload
    // whose declared length a compressed stream cannot confirm, plus GZipStream's buffers.
    private const long AllocationSlack = 4 << 20;

    // Files up to this many bytes get every truncation and every bit flipped; longer ones a deterministic sample.
    private const int ExhaustiveBytes = 256;

    private const int SampledCases = 2048;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void DamagedFilesOfEveryFormatFailWithInvalidDataException()
    {
        using var temp = new TempFolder();
        var counts = new List<string>();
        int total = 0;
        foreach (Format format in Formats(temp))
        {
            string path = temp.File(format.Name);
            byte[] original = Load(format, path, format.Bytes).Content!;
            foreach ((string kind, IEnumerable<Damage> cases) in new (string, IEnumerable<Damage>)[]
            {
                ("truncation", Truncations(format.Bytes)), ("bit flip", BitFlips(format.Bytes)), ("hostile header", format.HostileHeaders),
            })
            {
                int refused = 0, same = 0, other = 0;
                foreach (Damage damage in cases)
                {
                    Outcome outcome = Load(format, path, damage.Bytes);
                    string what = $"{format.Name}, {kind} {damage.Description}";
                    if (outcome.Error is { } error)
                    {
                        Assert.IsInstanceOfType<InvalidDataException>(error, $"{what}: {error}");
                        StringAssert.Contains(error.Message, path, $"{what}: the message names the file");
                        refused++;
                    }
                    else if (outcome.Content.AsSpan().SequenceEqual(original))
                    {
                        same++;
                    }
                    else
                    {
                        // A re-framed payload has a valid checksum, and IDX without gzip carries none: a changed count
                        // or value may be a legal one. Any other damage that loads is a bug.
                        Assert.IsTrue(damage.Reframed || (kind == "bit flip" && format.UncheckedFrom is int start && damage.Offset >= start), $"{what} loaded other content");
                        other++;
                    }

                    Assert.IsTrue(outcome.Allocated < AllocationSlack + 64L * damage.Bytes.Length, $"{what} allocated {outcome.Allocated} bytes");
                }

                int caseCount = refused + same + other;
                total += caseCount;
                counts.Add($"{format.Name,-26} {kind,-15} {caseCount,6} cases: {refused,6} InvalidDataException, {same,4} loaded the same content, {other,4} loaded other legal values");
            }
        }

        TestContext.WriteLine($"{counts.Count / 3} formats x 3 damage kinds, {total} cases:");
        counts.ForEach(TestContext.WriteLine);
    }

    [TestMethod]
    public void AGzipIdxFileDeclaringAMillionImagesFailsWithoutAllocatingThem()
    {
        using var temp = new TempFolder();
        string path = temp.File("huge.idx.gz");
        File.WriteAllBytes(path, IdxReaderTests.Gzip(IdxReaderTests.Idx(0x08, [1_000_000, 28, 28], new byte[1000 * 28 * 28])));
        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidDataException e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        StringAssert.Contains(e.Message, "784000000 data bytes but only 784000 are present");
        Assert.IsTrue(allocated < 8 << 20, $"allocated {allocated} bytes");
    }

    private sealed record Format(string Name, byte[] Bytes, Func<string, byte[]> Load, IEnumerable<Damage> HostileHeaders, int? UncheckedFrom = null);

    private sealed record Damage(string Description, byte[] Bytes, int Offset = -1, bool Reframed = false);

    private sealed record Outcome(byte[]? Content, Exception? Error, long Allocated);

    private static Outcome Load(Format format, string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            byte[] content = format.Load(path);
            return new Outcome(content, null, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (Exception e)
        {
            return new Outcome(null, e, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private static IEnumerable<Format> Formats(TempFolder temp)
    {
        // A distilled dataset with soft labels.
        LabeledExamples real = TestData.Blobs(60, [4], 3, seed: 2);
        var options = new DistillationOptions
        {
            Steps = 2, Epochs = 2, Iterations = 2, RealBatchSize = 16, Initialization = InitializationMode.Fixed,
            KeepBestEvery = 1, KeepBestExamples = 30, LearnLabels = true, Seed = 3,
        };
        DatasetDistiller NewDistiller() => new(new Mlp(4, 3, 5), real, options);
        DatasetDistiller distiller = NewDistiller();
        distiller.Run();
        string datasetPath = temp.File("source.mldd");
        distiller.Snapshot().Save(datasetPath);
        byte[] dataset = File.ReadAllBytes(datasetPath);
        yield return new Format("distilled dataset (.mldd)", dataset, path => SavedBytes(DistilledDataset.Load(path).Save, temp), FrameHeaders(dataset, "MLDD", [0, 4, 8, 12, 16, 20, 24]));

        // A checkpoint with a kept snapshot; the iteration, Adam's step count and the first buffer's length follow the settings.
        string checkpointPath = temp.File("source.mldc");
        distiller.SaveCheckpoint(checkpointPath);
        byte[] checkpoint = File.ReadAllBytes(checkpointPath);
        Assert.IsNotNull(distiller.Best);
        int counters = IndexOf(checkpoint[FramedFile.HeaderLength..], [distiller.Iteration, distiller.Iteration, distiller.Parameters[0].Length]);
        DatasetDistiller resumed = NewDistiller();
        yield return new Format("checkpoint (.mldc)", checkpoint, path =>
        {
            resumed.LoadCheckpoint(path);
            return SavedBytes(resumed.SaveCheckpoint, temp);
        }, FrameHeaders(checkpoint, "MLDC", [counters, counters + 4, counters + 8]));

        // IDX images, raw (no checksum: value bytes are unchecked) and gzipped (gzip's CRC-32 covers the values).
        byte[] values = [.. Enumerable.Range(0, 3 * 5 * 5).Select(i => (byte)(i * 37))];
        byte[] idx = IdxReaderTests.Idx(0x08, [3, 5, 5], values);
        yield return new Format("IDX", idx, LoadIdx, IdxHeaders(idx, gzip: false), UncheckedFrom: 16);
        byte[] gzipped = IdxReaderTests.Gzip(idx);
        yield return new Format("IDX in gzip", gzipped, LoadIdx, IdxHeaders(idx, gzip: true));
    }

    private static byte[] LoadIdx(string path)
    {
        IdxArray array = IdxReader.Read(path);
        return [.. array.Dimensions.SelectMany(BitConverter.GetBytes), .. array.Data];
    }

    private static byte[] SavedBytes(Action<string> save, TempFolder temp)
    {
        string path = temp.File("resaved");
        save(path);
        return File.ReadAllBytes(path);
    }

    private static IEnumerable<Damage> Truncations(byte[] bytes) =>
        Sample(bytes.Length).Select(length => new Damage($"to {length} bytes", bytes[..length], length));

    private static IEnumerable<Damage> BitFlips(byte[] bytes) =>
        Sample(bytes.Length * 8).Select(bit =>
        {
            byte[] flipped = (byte[])bytes.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            return new Damage($"of bit {bit}", flipped, bit / 8);
        });

    // Every position when there are few, else a deterministic spread over all of them.
    private static IEnumerable<int> Sample(int count) =>
        count <= ExhaustiveBytes * 8 ? Enumerable.Range(0, count) : Enumerable.Range(0, SampledCases).Select(i => (int)((long)i * count / SampledCases));

    // Wrong magic and versions, payload lengths the file cannot hold, and, re-framed with a valid checksum so that
    // the parser sees them, huge, negative and zero counts at the payload's count fields.
    private static IEnumerable<Damage> FrameHeaders(byte[] bytes, string magic, int[] countOffsets)
    {
        yield return new Damage("wrong magic", [.. "PK\u0003\u0004"u8, .. bytes[4..]]);
        foreach (int version in new[] { 0, -1, 99, int.MaxValue })
        {
            yield return new Damage($"version {version}", With(bytes, 4, BitConverter.GetBytes(version)));
        }

        foreach (long length in new[] { long.MaxValue, long.MinValue, -1, int.MaxValue, bytes.Length })
        {
            yield return new Damage($"payload length {length}", With(bytes, 8, BitConverter.GetBytes(length)));
        }

        byte[] payload = bytes[FramedFile.HeaderLength..];
        var format = new FileFormat(magic, "hostile", BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
        foreach (int offset in countOffsets)
        {
            foreach (int value in new[] { int.MaxValue, int.MinValue, -1, 0, 1 << 26, 1 << 30 })
            {
                using var framed = new MemoryStream();
                FramedFile.Write(framed, format, With(payload, offset, BitConverter.GetBytes(value)));
                yield return new Damage($"count at payload offset {offset} = {value}", framed.ToArray(), Reframed: true);
            }
        }
    }

    private static IEnumerable<Damage> IdxHeaders(byte[] idx, bool gzip)
    {
        Func<byte[], byte[]> wrap = gzip ? IdxReaderTests.Gzip : bytes => bytes;
        yield return new Damage("wrong magic", wrap(With(idx, 0, [1, 2])));
        yield return new Damage("float data type", wrap(With(idx, 2, [0x0D])));
        yield return new Damage("rank 0", wrap(With(idx, 3, [0])));
        yield return new Damage("rank 255", wrap(With(idx, 3, [255])));
        foreach (int size in new[] { int.MaxValue, int.MinValue, -1, 1_000_000, 0 })
        {
            var sizeBytes = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(sizeBytes, size);
            yield return new Damage($"image count {size}", wrap(With(idx, 4, sizeBytes)));
            yield return new Damage($"image side {size}", wrap(With(idx, 12, sizeBytes)));
        }
    }

    private static byte[] With(byte[] bytes, int offset, byte[] replacement)
    {
        byte[] copy = (byte[])bytes.Clone();
        replacement.CopyTo(copy, offset);
        return copy;
    }

    private static int IndexOf(byte[] bytes, int[] values)
    {
        byte[] pattern = [.. values.SelectMany(BitConverter.GetBytes)];
        int index = bytes.AsSpan().IndexOf(pattern);
        Assert.IsTrue(index >= 0, "the checkpoint's counters were not found");
        return index;
    }
}
