using Microsoft.ML.Data;

namespace Microsoft.ML.StandIn;

/// <summary>ML.NET's multiclass metrics, computed as its evaluator computes them (unweighted).</summary>
internal static class MulticlassEvaluator
{
    // ML.NET clips the probability of the true class to [Epsilon, 1] before taking its log.
    private const float Epsilon = (float)1e-15;

    public static MulticlassClassificationMetrics Evaluate(IDataView data, string labelColumnName, string scoreColumnName,
        string predictedLabelColumnName, int topKPredictionCount)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(labelColumnName);
        ArgumentException.ThrowIfNullOrEmpty(scoreColumnName);
        ArgumentException.ThrowIfNullOrEmpty(predictedLabelColumnName);
        if (topKPredictionCount < 0)
            throw new ArgumentOutOfRangeException(nameof(topKPredictionCount), "Must be non-negative");

        DataViewSchema.Column label = data.Schema[labelColumnName];
        DataViewSchema.Column score = data.Schema[scoreColumnName];
        // Required, as in ML.NET, although the predicted class is taken from the scores.
        _ = data.Schema[predictedLabelColumnName];
        if (score.Type is not VectorDataViewType { Size: >= 2 } scoreType || scoreType.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(scoreColumnName), $"Schema mismatch for score column '{scoreColumnName}': expected vector of two or more items of type Single, got {score.Type}");
        if (label.Type != NumberDataViewType.Single && label.Type is not KeyDataViewType)
            throw new ArgumentOutOfRangeException(nameof(labelColumnName), $"Schema mismatch for label column '{labelColumnName}': expected Single or KeyType, got {label.Type}");

        int classes = scoreType.Size;
        var counts = new Counts(classes, topKPredictionCount);
        using (DataViewRowCursor cursor = data.GetRowCursor([label, score]))
        {
            Func<float> readLabel = LabelReader(cursor, label);
            ValueGetter<VBuffer<float>> getScores = cursor.GetGetter<VBuffer<float>>(score);
            VBuffer<float> scores = default;
            var dense = new float[classes];
            while (cursor.MoveNext())
            {
                // Like ML.NET: unlabeled, negative or fractional labels and non-finite scores are skipped.
                float y = readLabel();
                if (float.IsNaN(y) || y < 0 || y != (int)y)
                    continue;
                getScores(ref scores);
                if (scores.Length != classes)
                    throw new InvalidOperationException($"A score vector has {scores.Length} items, expected {classes}.");
                scores.CopyTo(dense);
                if (!Array.TrueForAll(dense, float.IsFinite))
                    continue;
                counts.Add((int)y, dense);
            }
        }
        return counts.ToMetrics(topKPredictionCount);
    }

    // Keys 1..n are classes 0..n-1; key 0 (missing) is NaN, an unlabeled example.
    private static Func<float> LabelReader(DataViewRow row, DataViewSchema.Column label)
    {
        if (label.Type is KeyDataViewType)
        {
            Func<object> readKey = TypedValues.MakeReader(row, label);
            return () =>
            {
                ulong key = Convert.ToUInt64(readKey());
                return key == 0 ? float.NaN : key - 1;
            };
        }
        ValueGetter<float> getLabel = row.GetGetter<float>(label);
        return () =>
        {
            float value = 0;
            getLabel(ref value);
            return value;
        };
    }

    private sealed class Counts(int classes, int topK)
    {
        private readonly double[] _classCount = new double[classes];
        private readonly double[] _classLogLoss = new double[classes];
        private readonly double[][] _confusion = Enumerable.Range(0, classes).Select(_ => new double[classes]).ToArray();
        private readonly double[] _topKCorrect = new double[topK];
        private double _count;
        private double _correct;
        private double _logLoss;

        public void Add(int label, float[] scores)
        {
            // Stable descending order: on ties the lower class index wins, as in ML.NET.
            int[] ranking = Enumerable.Range(0, classes).OrderByDescending(i => scores[i]).ToArray();
            double logLoss = label < classes
                ? -Math.Log(Math.Min(1, Math.Max(Epsilon, scores[label])))
                : -Math.Log(Epsilon);
            _count++;
            _logLoss += logLoss;
            if (ranking[0] == label)
                _correct++;
            if (label >= classes)
                return;
            _classCount[label]++;
            _classLogLoss[label] += logLoss;
            _confusion[label][ranking[0]]++;
            int rank = Array.IndexOf(ranking, label);
            for (int k = rank; k < topK; k++)
                _topKCorrect[k]++;
        }

        public MulticlassClassificationMetrics ToMetrics(int topKPredictionCount)
        {
            double micro = _count > 0 ? _correct / _count : 0;
            int[] present = Enumerable.Range(0, classes).Where(c => _classCount[c] > 0).ToArray();
            double macro = _count > 0 && present.Length > 0 ? present.Average(c => _confusion[c][c] / _classCount[c]) : 0;
            double logLoss = _count > 0 ? _logLoss / _count : 0;
            // The prior's log-loss is the entropy of the label distribution.
            double entropy = -present.Sum(c => _classCount[c] * Math.Log(_classCount[c] / _count)) / _count;
            double reduction = (entropy - logLoss) / entropy;
            double[] perClass = Enumerable.Range(0, classes).Select(c => _classCount[c] > 0 ? _classLogLoss[c] / _classCount[c] : 0).ToArray();
            double[]? topKAccuracies = topKPredictionCount > 0 ? _topKCorrect.Select(c => _count > 0 ? c / _count : 0).ToArray() : null;
            return new MulticlassClassificationMetrics(micro, macro, logLoss, reduction, topKPredictionCount, topKAccuracies, perClass, new ConfusionMatrix(_confusion));
        }
    }
}
