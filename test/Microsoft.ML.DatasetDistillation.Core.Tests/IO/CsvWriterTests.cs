using System.Globalization;
using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.IO;

[TestClass]
public sealed class CsvWriterTests
{
    private readonly TempFolder temp = new();

    [TestCleanup]
    public void Cleanup() => temp.Dispose();

    [TestMethod]
    public void WritesInvariantNumbersWhateverTheCurrentCulture()
    {
        string path = temp.File("log.csv");
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            CsvWriter.Write(path, ["step", "loss, mean", "lr"], [[0, 2.5, 1e-3], [1, 0.1, double.NaN]]);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }

        Assert.AreEqual("step,\"loss, mean\",lr\n0,2.5,0.001\n1,0.1,NaN\n", File.ReadAllText(path));
    }

    [TestMethod]
    public void RowOfWrongLengthThrowsAndWritesNothing()
    {
        string path = temp.File("log.csv");

        ArgumentException e = Assert.ThrowsExactly<ArgumentException>(() => CsvWriter.Write(path, ["a", "b"], [[1, 2], [3]]));

        Assert.Contains("Line 3 has 1 values", e.Message);
        Assert.IsEmpty(Directory.GetFiles(temp.Path));
    }
}
