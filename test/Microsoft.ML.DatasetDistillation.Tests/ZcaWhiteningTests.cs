using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.DatasetDistillation.Tests;

/// <summary><c>mlContext.Transforms.WhitenZca</c>: the fitted whitening, its inverse, its file and its refusals.</summary>
[TestClass]
public sealed class ZcaWhiteningTests
{
    private const int FeatureCount = 6;

    [TestMethod]
    public void WhitenZca_DecorrelatesTheColumn_AndInverseTransformRestoresIt()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(CorrelatedRows(400, seed: 1));
        ZcaWhiteningTransformer whitening = ml.Transforms.WhitenZca("White", "Raw", epsilon: 1e-4f).Fit(data);
        IDataView white = whitening.Transform(data);

        // Every eigenvalue λ of the covariance is at least 0.1 here, so the whitened covariance λ / (λ + ε) is the identity
        // to within 1e-3, and the mean is zero.
        float[][] rows = Column(ml, white, "White");
        Assert.AreEqual(400, rows.Length);
        double[,] covariance = Covariance(rows, out double[] mean);
        for (int i = 0; i < FeatureCount; i++)
        {
            Assert.AreEqual(0, mean[i], 1e-4, $"mean of feature {i}");
            for (int j = 0; j < FeatureCount; j++)
            {
                Assert.AreEqual(i == j ? 1 : 0, covariance[i, j], 2e-3, $"covariance [{i}, {j}]");
            }
        }

        // The input column is kept beside the output, and the inverse maps the output back in place.
        float[][] raw = Column(ml, white, "Raw");
        float[][] restored = Column(ml, whitening.InverseTransform(white), "White");
        for (int r = 0; r < raw.Length; r++)
        {
            for (int f = 0; f < FeatureCount; f++)
            {
                Assert.AreEqual(raw[r][f], restored[r][f], 1e-4 * (1 + Math.Abs(raw[r][f])), $"row {r}, feature {f}");
            }
        }

        Assert.AreEqual(1e-4f, whitening.Epsilon);
        Assert.AreEqual(FeatureCount, whitening.FeatureCount);
        Assert.AreEqual(data.Schema.Count + 1, white.Schema.Count);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, FeatureCount), white.Schema["White"].Type);
    }

    [TestMethod]
    public void WhitenZca_IsTheCoreWhitening_RowByRow()
    {
        var ml = new MLContext(seed: 1);
        Row[] source = CorrelatedRows(50, seed: 2);
        IDataView data = ml.Data.LoadFromEnumerable(source);
        float[][] white = Column(ml, ml.Transforms.WhitenZca("Raw").Fit(data).Transform(data), "Raw");

        var examples = new LabeledExamples([.. source.SelectMany(r => r.Raw)], new int[source.Length], [FeatureCount], 1);
        LabeledExamples expected = ZcaWhitening.Fit(examples).Transform(examples);
        for (int r = 0; r < source.Length; r++)
        {
            for (int f = 0; f < FeatureCount; f++)
            {
                Assert.AreEqual(expected.Features[r * FeatureCount + f], white[r][f], 1e-5f, $"row {r}, feature {f}");
            }
        }
    }

    [TestMethod]
    public void WhitenZca_BeforeDistillation_ScoresThroughTheSameWhitening()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(CorrelatedRows(300, seed: 3));
        IDataView test = ml.Data.LoadFromEnumerable(CorrelatedRows(300, seed: 4));
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var options = new DatasetDistillationOptions
        {
            FeatureColumnName = "Raw", Steps = 2, Epochs = 1, Iterations = 10, RealBatchSize = 64, MlpHiddenSizes = [16],
            LearningRate = 0.05f, InitialStepLearningRate = 0.1f, Seed = 1,
        };
        var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new Microsoft.ML.Trainers.SdcaMaximumEntropyMulticlassTrainer.Options
        {
            FeatureColumnName = "Raw", NumberOfThreads = 1, Shuffle = false, MaximumNumberOfIterations = 50,
        });

        var model = ml.Transforms.WhitenZca("Raw").Append(ml.Transforms.DistillDataset(options)).Append(sdca).Fit(toKey.Transform(train));
        var whitening = (ZcaWhiteningTransformer)model.First();
        var distilled = (DatasetDistillationTransformer)model.Skip(1).First();

        // Test rows are whitened by the training rows' whitening before SDCA scores them: the chain scores exactly as SDCA
        // trained on the distilled rows scores the whitened test rows, above chance.
        IDataView scored = model.Transform(toKey.Transform(test));
        double accuracy = ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
        double direct = ml.MulticlassClassification.Evaluate(sdca.Fit(distilled.DistilledData).Transform(whitening.Transform(toKey.Transform(test)))).MicroAccuracy;
        Assert.AreEqual(direct, accuracy);
        Assert.IsGreaterThan(0.5, accuracy, $"micro accuracy {accuracy}");

        // The distilled rows are whitened (centred on 0); un-whitened, they sit around the input's mean of 10 again.
        double whiteMean = Column(ml, distilled.DistilledData, "Raw").SelectMany(r => r).Average();
        float[][] distilledRaw = Column(ml, whitening.InverseTransform(distilled.DistilledData), "Raw");
        Assert.AreEqual(6, distilledRaw.Length);
        double rawMean = distilledRaw.SelectMany(r => r).Average();
        Assert.IsLessThan(2.0, Math.Abs(whiteMean), $"whitened distilled rows average {whiteMean}");
        Assert.IsLessThan(2.0, Math.Abs(rawMean - 10), $"un-whitened distilled rows average {rawMean}");

        // A prediction engine over the chain whitens the one row as the view does.
        var engine = ml.Model.CreatePredictionEngine<KeyedRow, ScoredRow>(model);
        KeyedRow first = ml.Data.CreateEnumerable<KeyedRow>(toKey.Transform(test), reuseRowObject: false).First();
        ScoredRow viaView = ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).First();
        CollectionAssert.AreEqual(viaView.Score, engine.Predict(first).Score);
    }

    [TestMethod]
    public void SaveTo_ThenLoad_WhitensToTheSameBits()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(CorrelatedRows(100, seed: 5));
        ZcaWhiteningTransformer whitening = ml.Transforms.WhitenZca("White", "Raw").Fit(data);
        string path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.mlzw");
        try
        {
            whitening.SaveTo(path);
            ZcaWhiteningTransformer loaded = ZcaWhiteningTransformer.Load(path);
            Assert.AreEqual(("White", "Raw", 0.1f, FeatureCount), (loaded.OutputColumnName, loaded.InputColumnName, loaded.Epsilon, loaded.FeatureCount));
            CollectionAssert.AreEqual(
                Column(ml, whitening.Transform(data), "White").SelectMany(r => r).ToArray(), Column(ml, loaded.Transform(data), "White").SelectMany(r => r).ToArray());
            CollectionAssert.AreEqual(
                Column(ml, whitening.InverseTransform(whitening.Transform(data)), "White").SelectMany(r => r).ToArray(),
                Column(ml, loaded.InverseTransform(loaded.Transform(data)), "White").SelectMany(r => r).ToArray());
            Assert.ThrowsExactly<NotSupportedException>(() => ml.Model.Save(loaded, data.Schema, Path.ChangeExtension(path, ".zip")));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void WhitenZca_BadInput_IsRefusedNamingTheColumnRowOrValue()
    {
        var ml = new MLContext(seed: 1);
        Row[] rows = CorrelatedRows(10, seed: 6);
        IDataView data = ml.Data.LoadFromEnumerable(rows);

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.WhitenZca("Pixels").Fit(data));
        StringAssert.Contains(missing.Message, "The feature column 'Pixels' was not found in the input; it must be a known-size vector of Single.");
        var missingShape = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.WhitenZca("Pixels").GetOutputSchema(InputShape()));
        StringAssert.Contains(missingShape.Message, "'Pixels' was not found");
        var notAVector = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.WhitenZca("Label").Fit(data));
        StringAssert.Contains(notAVector.Message, "The feature column 'Label' must be a known-size vector of Single, but it is String.");

        rows[3].Raw[2] = float.NaN;
        var nan = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.WhitenZca("Raw").Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.AreEqual("Row 3 of the feature column 'Raw' has NaN in slot 2: every value must be a finite number.", nan.Message);

        var one = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.WhitenZca("Raw").Fit(ml.Data.LoadFromEnumerable(CorrelatedRows(1, seed: 7))));
        Assert.AreEqual("ZCA whitening needs at least two rows to estimate a covariance, but the column 'Raw' has 1.", one.Message);

        Assert.AreEqual("epsilon", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.WhitenZca("Raw", epsilon: 0f)).ParamName);
        Assert.AreEqual("epsilon", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.WhitenZca("Raw", epsilon: float.NaN)).ParamName);

        // A whitening of 6 features refuses a column of another size, by name, when it is applied.
        ZcaWhiteningTransformer whitening = ml.Transforms.WhitenZca("Raw").Fit(ml.Data.LoadFromEnumerable(CorrelatedRows(10, seed: 8)));
        IDataView wide = ml.Data.LoadFromEnumerable(new[] { new WideRow(), new WideRow() });
        var size = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => whitening.Transform(wide));
        StringAssert.Contains(size.Message, "The feature column 'Raw' must be a vector of 6 Single values, but it is Vector<Single, 7>.");
    }

    [TestMethod]
    public void GetOutputSchema_AddsTheOutputColumn_AndKeepsTheOthers()
    {
        var ml = new MLContext(seed: 1);
        SchemaShape shape = ml.Transforms.WhitenZca("White", "Raw").GetOutputSchema(InputShape());
        CollectionAssert.AreEqual(new[] { "Label", "Raw", "White" }, shape.Select(c => c.Name).ToArray());
        SchemaShape.Column white = shape.Single(c => c.Name == "White");
        Assert.AreEqual((SchemaShape.Column.VectorKind.Vector, (DataViewType)NumberDataViewType.Single), (white.Kind, white.ItemType));
        Assert.AreEqual(2, ml.Transforms.WhitenZca("Raw").GetOutputSchema(InputShape()).Count);
    }

    /// <summary>The shape of the rows of <see cref="CorrelatedRows"/>: a text label and the vector "Raw".</summary>
    private static SchemaShape InputShape() => new([
        DatasetDistillationTests.ShapeColumn("Label", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance),
        DatasetDistillationTests.ShapeColumn("Raw", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single),
    ]);

    /// <summary>Returns the vectors of <paramref name="column"/>, row by row.</summary>
    internal static float[][] Column(MLContext ml, IDataView view, string column)
    {
        var rows = new List<float[]>();
        using DataViewRowCursor cursor = view.GetRowCursor([view.Schema[column]]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(view.Schema[column]);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            rows.Add(buffer.DenseValues().ToArray());
        }

        return [.. rows];
    }

    /// <summary>Three classes "b", "a", "c" in turn, 6 features mixed by a fixed matrix: strongly correlated, each eigenvalue of their covariance at least 0.1.</summary>
    internal static Row[] CorrelatedRows(int count, int seed)
    {
        var random = new Random(seed);
        string[] names = ["b", "a", "c"];
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            double[] z = [.. Enumerable.Range(0, FeatureCount).Select(_ => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))];
            z[i % 3] += 3; // the class's direction, before mixing
            float[] x = [.. Enumerable.Range(0, FeatureCount).Select(f => (float)(10 + z[f] + 0.9 * z[(f + 1) % FeatureCount] - 0.5 * z[(f + 2) % FeatureCount]))];
            return new Row { Label = names[i % 3], Raw = x };
        })];
    }

    private static double[,] Covariance(float[][] rows, out double[] mean)
    {
        int n = rows.Length, d = rows[0].Length;
        double[] m = new double[d];
        foreach (float[] row in rows)
        {
            for (int i = 0; i < d; i++)
            {
                m[i] += row[i] / (double)n;
            }
        }

        var covariance = new double[d, d];
        foreach (float[] row in rows)
        {
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    covariance[i, j] += (row[i] - m[i]) * (row[j] - m[j]) / (n - 1);
                }
            }
        }

        mean = m;
        return covariance;
    }

    public sealed class Row
    {
        public string Label { get; set; } = "";

        [VectorType(FeatureCount)]
        public float[] Raw { get; set; } = [];
    }

    public sealed class KeyedRow
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Raw { get; set; } = [];
    }

    public sealed class WideRow
    {
        [VectorType(FeatureCount + 1)]
        public float[] Raw { get; set; } = new float[FeatureCount + 1];
    }

    public sealed class ScoredRow
    {
        public float[] Score { get; set; } = [];
    }
}
