using System.Globalization;
using System.Text;
using Microsoft.ML.DatasetDistillation.IO;

namespace MnistDistillation;

/// <summary>
/// The test accuracy of each network of a test (<c>evaluate --results</c>, a run's final-test.csv), in a CSV rewritten
/// (atomically) after every network, so that a test of hours stopped at network k continues there: the same command
/// reads the file back and trains only the networks it lacks. Its first line names the test: everything that decides
/// the accuracies; a file of another test is refused, not mixed in.
/// </summary>
internal sealed class TestResults
{
    private const string Header = "network,accuracy";
    private readonly string path, test;
    private readonly SortedDictionary<int, double> accuracies = [];

    private TestResults(string path, string test)
    {
        this.path = path;
        this.test = test;
    }

    /// <summary>
    /// Reads the results of <paramref name="test"/> kept in <paramref name="path"/>, or starts none when there is no file
    /// (nor, with <paramref name="replaceOthers"/>, when the file is another test's or unreadable: a run's own file).
    /// </summary>
    public static TestResults Open(string path, string test, bool replaceOthers = false)
    {
        var results = new TestResults(path, test);
        if (!File.Exists(path))
        {
            return results;
        }

        try
        {
            results.Read();
        }
        catch (SampleException) when (replaceOthers)
        {
            results.accuracies.Clear();
        }

        return results;
    }

    private void Read()
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length < 2 || !lines[0].StartsWith("# ", StringComparison.Ordinal) || lines[1] != Header)
        {
            throw new SampleException($"--results: {path} is not a results file (it should start with '# <the test>' and '{Header}').");
        }

        if (lines[0] != $"# {test}")
        {
            throw new SampleException(
                $"--results: {path} holds the results of another test.{Environment.NewLine}  it holds: {lines[0][2..]}{Environment.NewLine}  this one: {test}{Environment.NewLine}Pass another --results, or delete the file to test afresh.");
        }

        for (int i = 2; i < lines.Length; i++)
        {
            string[] fields = lines[i].Split(',');
            if (fields.Length != 2
                || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int network) || network < 1
                || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double accuracy) || accuracy is not (>= 0 and <= 1)
                || !accuracies.TryAdd(network, accuracy))
            {
                throw new SampleException($"--results: {path}, line {i + 1}: expected a new network number and an accuracy in [0, 1], found '{lines[i]}'.");
            }
        }
    }

    /// <summary>The accuracy of network <paramref name="network"/> (from 1) when the file holds it.</summary>
    public bool TryGet(int network, out double accuracy) => accuracies.TryGetValue(network, out accuracy);

    /// <summary>Records network <paramref name="network"/>'s accuracy and rewrites the file with it.</summary>
    public void Add(int network, double accuracy)
    {
        accuracies[network] = accuracy;
        using var file = new AtomicFile(path);
        using (var writer = new StreamWriter(file.Stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" })
        {
            writer.WriteLine($"# {test}");
            writer.WriteLine(Header);
            foreach ((int n, double a) in accuracies)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n},{a:R}"));
            }
        }

        file.Commit();
    }
}
