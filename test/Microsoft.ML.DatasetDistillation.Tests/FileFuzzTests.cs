using System.Buffers.Binary;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.DatasetDistillation.Tests;

/// <summary>
/// The layer's files (the transformer's "MLDL", the scorer's "MLDN", the whitening's "MLZW") cut short, with a bit flipped, or with a hostile size
/// under a valid checksum: every load ends in an <see cref="InvalidDataException"/> that names the file, and allocates little.
/// </summary>
[TestClass]
public sealed class FileFuzzTests
{
    // Reading and parsing a file of a few kilobytes; anything beyond this means a declared size was trusted.
    private const long AllocationBudget = 16 << 20;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void LayerFiles_Damaged_AreRefusedClearly()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 60).Select(i => new Row
        {
            Label = (uint)(i % 3), Features = [.. Enumerable.Range(0, 8).Select(f => (float)((f % 3 == i % 3 ? 2 : 0) + Math.Sin(i * 8 + f)))],
        }));
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(new DatasetDistillationOptions
        {
            Steps = 2, Epochs = 1, Iterations = 2, RealBatchSize = 16, MlpHiddenSizes = [16], Seed = 1,
        }).Fit(data);

        // After the 20-byte frame, MLDL's payload: the method, "Features", "Label", "Step", "" (4 + 9 + 6 + 5 + 1 = 25), then
        // the slot name count (45), the dimension count, the one dimension, the key-values flag (absent) and the network's
        // kind, feature count and class count.
        string transformer = Check("MLDL", Saved(distilled.SaveTo), [45, 49, 53, 61, 65, 69], path => DatasetDistillationTransformer.Load(path));

        // MLDN's payload: "Features" (9), then the network: kind, features (33), classes, image flag, channels, height,
        // width, hidden layer count (57), the hidden width, and the weights' count (65).
        string scorer = Check("MLDN", Saved(distilled.TrainNetwork().SaveTo), [33, 37, 57, 61, 65], path => DistilledNetworkTransformer.Load(path));

        // MLZW's payload: "Features" twice (9 + 9), then the whitening's feature count (38); then ε and the matrices.
        string whitening = Check("MLZW", Saved(ml.Transforms.WhitenZca().Fit(data).SaveTo), [38], path => ZcaWhiteningTransformer.Load(path));

        TestContext.WriteLine(transformer);
        TestContext.WriteLine(scorer);
        TestContext.WriteLine(whitening);
    }

    private static string Check(string format, byte[] valid, int[] sizeFields, Action<string> load)
    {
        var cases = new List<(string Kind, byte[] Bytes)>();
        cases.AddRange(Enumerable.Range(0, 256).Select(i => (long)valid.Length * i / 256).Distinct().Select(n => ("truncation", valid[..(int)n])));
        for (int i = 0; i < 512; i++)
        {
            long bit = (long)valid.Length * 8 * i / 512;
            byte[] copy = (byte[])valid.Clone();
            copy[bit / 8] ^= (byte)(1 << (int)(bit % 8));
            cases.Add(("bit flip", copy));
        }

        foreach (int offset in sizeFields)
        {
            int original = BinaryPrimitives.ReadInt32LittleEndian(valid.AsSpan(offset, 4));
            foreach (int value in new[] { int.MaxValue, 1 << 30, 1 << 24, -1, int.MinValue, 0 }.Where(v => v != original))
            {
                byte[] copy = (byte[])valid.Clone();
                BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(offset, 4), value);
                // A valid CRC over the damaged header and payload, as a writer that means harm would give it.
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(16, 4), Crc32.Append(Crc32.Append(0, copy.AsSpan(0, 16)), copy.AsSpan(FramedFile.HeaderLength)));
                cases.Add(("hostile size", copy));
            }
        }

        string path = Path.Combine(Path.GetTempPath(), $"damaged-{Guid.NewGuid():N}.{format.ToLowerInvariant()}");
        try
        {
            foreach ((string kind, byte[] bytes) in cases)
            {
                File.WriteAllBytes(path, bytes);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Exception? thrown = null;
                try
                {
                    load(path);
                }
                catch (Exception e)
                {
                    thrown = e;
                }

                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                string what = $"{format}, {kind}, {bytes.Length} of {valid.Length} bytes";
                Assert.IsInstanceOfType<InvalidDataException>(thrown, $"{what}: {thrown?.GetType().Name ?? "loaded"}: {thrown?.Message}");
                StringAssert.StartsWith(thrown!.Message, $"'{path}'", $"{what}: the message names the file");
                Assert.IsLessThan(AllocationBudget, allocated, $"{what}: allocated {allocated} bytes");
            }
        }
        finally
        {
            File.Delete(path);
        }

        return $"{format}: {string.Join(", ", cases.GroupBy(c => c.Kind).Select(g => $"{g.Count()} {g.Key}s"))}, all InvalidDataException";
    }

    private static byte[] Saved(Action<string> save)
    {
        string path = Path.Combine(Path.GetTempPath(), $"valid-{Guid.NewGuid():N}");
        try
        {
            save(path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public sealed class Row
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(8)]
        public float[] Features { get; set; } = [];
    }
}
