using System.Globalization;
using Microsoft.ML.DatasetDistillation.IO;

namespace MnistDistillation;

/// <summary>One row of curve.csv: an outer iteration, and the test accuracy where it was evaluated (NaN elsewhere).</summary>
internal sealed record CurvePoint(int Iteration, double Loss, double OuterLearningRate)
{
    /// <summary>A point whose float-precision values are kept as their shortest decimal form (0.01, not 0.009999999776482582).</summary>
    public static CurvePoint FromFloats(int iteration, double loss, double outerLearningRate) =>
        new(iteration, Shortest(loss), Shortest(outerLearningRate));

    /// <summary>The double nearest the shortest decimal that round-trips the float nearest <paramref name="value"/>.</summary>
    public static double Shortest(double value) => double.Parse(((float)value).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public double TestAccuracyMean { get; set; } = double.NaN;

    public double TestAccuracyStd { get; set; } = double.NaN;
}

/// <summary>
/// The training curve, kept in memory and rewritten whole (atomically) to curve.csv at every checkpoint, so the
/// file always matches the checkpoint beside it and a resumed run continues it.
/// </summary>
internal sealed class TrainingCurve(string path)
{
    private static readonly string[] Header = ["iteration", "loss", "outer_lr", "test_accuracy_mean", "test_accuracy_std"];
    private readonly List<CurvePoint> points = [];

    public CurvePoint? Last => points.Count > 0 ? points[^1] : null;

    public void Add(CurvePoint point) => points.Add(point);

    public void Save() => CsvWriter.Write(
        path, Header,
        points.Select(p => (IReadOnlyList<double>)[p.Iteration, p.Loss, p.OuterLearningRate, p.TestAccuracyMean, p.TestAccuracyStd]));

    /// <summary>
    /// Reads back the rows of a previous run up to <paramref name="iteration"/> (the checkpoint's); later rows
    /// belong to iterations that will be run again. Returns how many rows were read; 0 when there is no file.
    /// </summary>
    public int LoadUpTo(int iteration)
    {
        points.Clear();
        if (!File.Exists(path))
        {
            return 0;
        }

        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != string.Join(',', Header))
        {
            throw new InvalidDataException($"'{path}' does not start with the header {string.Join(',', Header)}.");
        }

        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            string[] fields = lines[i].Split(',');
            if (fields.Length != Header.Length
                || !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int row)
                || !TryParseAll(fields.AsSpan(1), out double[] values))
            {
                throw new InvalidDataException($"'{path}', line {i + 1}: expected {Header.Length} numbers but found '{lines[i]}'.");
            }

            if (row <= iteration)
            {
                points.Add(new CurvePoint(row, values[0], values[1]) { TestAccuracyMean = values[2], TestAccuracyStd = values[3] });
            }
        }

        return points.Count;
    }

    private static bool TryParseAll(ReadOnlySpan<string> fields, out double[] values)
    {
        values = new double[fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        return true;
    }
}
