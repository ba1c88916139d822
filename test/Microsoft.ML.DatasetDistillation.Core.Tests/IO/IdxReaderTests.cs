using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.IO;

[TestClass]
public sealed class IdxReaderTests
{
    private readonly TempFolder temp = new();

    [TestCleanup]
    public void Cleanup() => temp.Dispose();

    [TestMethod]
    public void ReadsRawFile()
    {
        byte[] data = Sequence(24);
        string path = WriteFile("raw.idx", Idx(0x08, [2, 3, 4], data));

        IdxArray result = IdxReader.Read(path);

        CollectionAssert.AreEqual(new[] { 2, 3, 4 }, result.Dimensions.ToArray());
        Assert.AreEqual(2, result.Count);
        CollectionAssert.AreEqual(data, result.Data);
    }

    [TestMethod]
    public void IdxWriter_WritesWhatTheReaderReadsBack_ByteForByte()
    {
        byte[] data = Sequence(24);
        string path = temp.File("written.idx");

        IdxWriter.Write(path, new IdxArray([2, 3, 4], data));

        CollectionAssert.AreEqual(Idx(0x08, [2, 3, 4], data), File.ReadAllBytes(path));
        CollectionAssert.AreEqual(data, IdxReader.Read(path).Data);
    }

    [TestMethod]
    public void ReadsGzippedFileRecognisedByContentNotName()
    {
        byte[] data = Sequence(300);
        // Gzipped content without a .gz name, and raw content with one: detection must look at the bytes.
        string gzipped = WriteFile("images.idx", Gzip(Idx(0x08, [300], data)));
        string raw = WriteFile("labels.gz", Idx(0x08, [3, 100], data));

        IdxArray fromGzip = IdxReader.Read(gzipped);
        IdxArray fromRaw = IdxReader.Read(raw);

        CollectionAssert.AreEqual(new[] { 300 }, fromGzip.Dimensions.ToArray());
        CollectionAssert.AreEqual(data, fromGzip.Data);
        CollectionAssert.AreEqual(new[] { 3, 100 }, fromRaw.Dimensions.ToArray());
        CollectionAssert.AreEqual(data, fromRaw.Data);
    }

    [TestMethod]
    public void ReadsEmptyPayload()
    {
        IdxArray result = IdxReader.Read(WriteFile("empty.idx", Idx(0x08, [0, 28, 28], [])));

        Assert.AreEqual(0, result.Count);
        Assert.IsEmpty(result.Data);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void RejectsBadMagic(bool gzip)
    {
        byte[] file = Idx(0x08, [2], [1, 2]);
        file[0] = 0x01;

        AssertInvalid("bad-magic.idx", file, gzip, "bad magic number 0x01000801");
    }

    [TestMethod]
    [DataRow((byte)0x0D, "32-bit float")]
    [DataRow((byte)0x09, "signed byte")]
    [DataRow((byte)0x42, "not an IDX type")]
    public void RejectsUnsupportedDataType(byte dataType, string typeName)
    {
        AssertInvalid("float.idx", Idx(dataType, [1], [0, 0, 0, 0]), gzip: false, $"unsupported data type 0x{dataType:x2} ({typeName})");
    }

    [TestMethod]
    public void RejectsZeroDimensions()
    {
        AssertInvalid("scalar.idx", [0, 0, 0x08, 0], gzip: false, "bad dimension count 0");
    }

    [TestMethod]
    public void RejectsNegativeDimension()
    {
        AssertInvalid("negative.idx", Idx(0x08, [-1], []), gzip: false, "dimension 0 has negative size -1");
    }

    [TestMethod]
    public void RejectsOversizedDimensions()
    {
        AssertInvalid("huge.idx", Idx(0x08, [65536, 65536], []), gzip: false, "exceeds the largest array");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void RejectsTruncatedHeader(bool gzip)
    {
        AssertInvalid("short.idx", [0, 0], gzip, "truncated header");
        AssertInvalid("short-dims.idx", [0, 0, 0x08, 2, 0, 0, 0, 5], gzip, "truncated header: expected 2 dimension sizes");
    }

    [TestMethod]
    public void RejectsEmptyFile()
    {
        AssertInvalid("empty.idx", [], gzip: false, "truncated header");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void RejectsTruncatedData(bool gzip)
    {
        byte[] full = Idx(0x08, [10, 10], Sequence(100));

        AssertInvalid("truncated.idx", full[..^7], gzip, "truncated data: the dimensions declare 100 data bytes but only 93 are present");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void RejectsTrailingData(bool gzip)
    {
        byte[] file = [.. Idx(0x08, [4], [1, 2, 3, 4]), 5];

        AssertInvalid("long.idx", file, gzip, "size mismatch: the dimensions declare 4 data bytes");
    }

    [TestMethod]
    public void RejectsCorruptGzip()
    {
        byte[] gzip = Gzip(Idx(0x08, [1000], Sequence(1000)));
        // The first deflate block header follows the 10-byte gzip header; block type 3 is reserved, so invalid.
        gzip[10] = 0x07;

        AssertInvalid("corrupt.idx", gzip, gzip: false, "corrupt gzip data");
    }

    [TestMethod]
    public void RejectsTruncatedGzipFile()
    {
        byte[] gzip = Gzip(Idx(0x08, [1000], Sequence(1000)));

        AssertInvalid("cut.idx.gz", gzip[..(gzip.Length / 2)], gzip: false, "truncated data");
    }

    [TestMethod]
    public void MissingFileThrowsFileNotFound()
    {
        Assert.ThrowsExactly<FileNotFoundException>(() => IdxReader.Read(temp.File("missing.idx")));
    }

    internal static byte[] Idx(byte dataType, int[] dimensions, byte[] data)
    {
        var file = new byte[4 + 4 * dimensions.Length + data.Length];
        file[2] = dataType;
        file[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * d), dimensions[d]);
        }

        data.CopyTo(file, 4 + 4 * dimensions.Length);
        return file;
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Sequence(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7))];

    private string WriteFile(string name, byte[] contents)
    {
        string path = temp.File(name);
        File.WriteAllBytes(path, contents);
        return path;
    }

    private void AssertInvalid(string name, byte[] contents, bool gzip, string problem)
    {
        string path = WriteFile(name, gzip ? Gzip(contents) : contents);

        InvalidDataException e = Assert.ThrowsExactly<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
    }
}
