using System.Globalization;
using System.Text;

namespace Microsoft.ML.Data;

/// <summary>The results of <see cref="MulticlassClassificationCatalog.Evaluate"/>.</summary>
public sealed class MulticlassClassificationMetrics
{
    internal MulticlassClassificationMetrics(double microAccuracy, double macroAccuracy, double logLoss, double logLossReduction,
        int topKPredictionCount, IReadOnlyList<double>? topKAccuracies, IReadOnlyList<double> perClassLogLoss, ConfusionMatrix confusionMatrix)
    {
        MicroAccuracy = microAccuracy;
        MacroAccuracy = macroAccuracy;
        LogLoss = logLoss;
        LogLossReduction = logLossReduction;
        TopKPredictionCount = topKPredictionCount;
        TopKAccuracyForAllK = topKAccuracies;
        PerClassLogLoss = perClassLogLoss;
        ConfusionMatrix = confusionMatrix;
    }

    /// <summary>The mean of -ln(p) over the examples, p being the score of the true class, clipped to [1e-15, 1].</summary>
    public double LogLoss { get; }

    /// <summary>(LL(prior) - LL) / LL(prior), LL(prior) being the entropy of the label distribution.</summary>
    public double LogLossReduction { get; }

    /// <summary>The mean over the classes present of each class's accuracy.</summary>
    public double MacroAccuracy { get; }

    /// <summary>The fraction of examples predicted correctly.</summary>
    public double MicroAccuracy { get; }

    /// <summary>The fraction of examples whose true class is among the <see cref="TopKPredictionCount"/> highest scores (0 when not asked).</summary>
    public double TopKAccuracy => TopKAccuracyForAllK?.LastOrDefault() ?? 0;

    /// <summary>The K of <see cref="TopKAccuracy"/>; 0 when not asked.</summary>
    public int TopKPredictionCount { get; }

    /// <summary>The top-K accuracies for K from 1 to <see cref="TopKPredictionCount"/>; null when not asked.</summary>
    public IReadOnlyList<double>? TopKAccuracyForAllK { get; }

    /// <summary>The log-loss of the examples of each class.</summary>
    public IReadOnlyList<double> PerClassLogLoss { get; }

    /// <summary>The counts of true class (rows) against predicted class (columns).</summary>
    public ConfusionMatrix ConfusionMatrix { get; }
}

/// <summary>The confusion matrix of a classification evaluation.</summary>
public sealed class ConfusionMatrix
{
    internal ConfusionMatrix(double[][] counts)
    {
        NumberOfClasses = counts.Length;
        Counts = counts.Select(row => (IReadOnlyList<double>)row.AsReadOnly()).ToList().AsReadOnly();
        PerClassPrecision = Enumerable.Range(0, NumberOfClasses)
            .Select(c => Ratio(counts[c][c], counts.Sum(row => row[c]))).ToList().AsReadOnly();
        PerClassRecall = Enumerable.Range(0, NumberOfClasses)
            .Select(c => Ratio(counts[c][c], counts[c].Sum())).ToList().AsReadOnly();
    }

    /// <summary>The precision of each class.</summary>
    public IReadOnlyList<double> PerClassPrecision { get; }

    /// <summary>The recall of each class.</summary>
    public IReadOnlyList<double> PerClassRecall { get; }

    /// <summary>The counts: true classes in the rows, predicted classes in the columns.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Counts { get; }

    /// <summary>The number of classes.</summary>
    public int NumberOfClasses { get; }

    /// <summary>The count of examples of true class <paramref name="actualClassIndicatorIndex"/> predicted as <paramref name="predictedClassIndicatorIndex"/>.</summary>
    public double GetCountForClassPair(int predictedClassIndicatorIndex, int actualClassIndicatorIndex)
    {
        if (predictedClassIndicatorIndex < 0 || predictedClassIndicatorIndex >= NumberOfClasses)
            throw new ArgumentOutOfRangeException(nameof(predictedClassIndicatorIndex), "Invalid index. Should be non-negative, less than the number of classes.");
        if (actualClassIndicatorIndex < 0 || actualClassIndicatorIndex >= NumberOfClasses)
            throw new ArgumentOutOfRangeException(nameof(actualClassIndicatorIndex), "Invalid index. Should be non-negative, less than the number of classes.");
        return Counts[actualClassIndicatorIndex][predictedClassIndicatorIndex];
    }

    /// <summary>The table as text (the stand-in's layout, not ML.NET's).</summary>
    public string GetFormattedConfusionTable()
    {
        var text = new StringBuilder("Confusion table (rows: truth, columns: predicted)").AppendLine();
        for (int actual = 0; actual < NumberOfClasses; actual++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{actual,5} |");
            foreach (double count in Counts[actual])
                text.Append(CultureInfo.InvariantCulture, $" {count,6}");
            text.Append(CultureInfo.InvariantCulture, $" | {PerClassRecall[actual]:F4}").AppendLine();
        }
        return text.ToString();
    }

    private static double Ratio(double part, double total) => total > 0 ? part / total : 0;
}
