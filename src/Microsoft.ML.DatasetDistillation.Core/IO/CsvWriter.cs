using System.Globalization;
using System.Text;

namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>Writes numeric tables as CSV (comma-separated, invariant culture, "\n" line ends, UTF-8 without BOM).</summary>
internal static class CsvWriter
{
    /// <summary>
    /// Writes a header and rows of numbers to a file. The file is written under a temporary name and moved
    /// into place, so readers see either the old file or the complete new one.
    /// </summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="header">Column names; a name with a comma, quote or line break is quoted.</param>
    /// <param name="rows">Rows with one value per column, written in shortest round-trip form.</param>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<double>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        using var file = new AtomicFile(path);
        using (var writer = new StreamWriter(file.Stream, new UTF8Encoding(false), bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" })
        {
            writer.WriteLine(string.Join(',', header.Select(Quote)));
            int line = 1;
            foreach (IReadOnlyList<double> row in rows)
            {
                line++;
                if (row.Count != header.Count)
                {
                    throw new ArgumentException($"Line {line} has {row.Count} values but the header has {header.Count} columns.", nameof(rows));
                }

                for (int i = 0; i < row.Count; i++)
                {
                    if (i > 0)
                    {
                        writer.Write(',');
                    }

                    writer.Write(row[i].ToString("R", CultureInfo.InvariantCulture));
                }

                writer.WriteLine();
            }
        }

        file.Commit();
    }

    private static string Quote(string name) =>
        name.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : name;
}
