using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.DatasetDistillation.Tests;

/// <summary>
/// The ML.NET behaviour the layer relies on, written as a user writes ML.NET code. These tests must pass against the
/// real Microsoft.ML package and against the stand-in in build/MLNetStandIn alike: a failure on either is a divergence.
/// </summary>
[TestClass]
public sealed class StandInConformanceTests
{
    [TestMethod]
    public void LoadFromEnumerable_MapsMemberTypes_AndCreateEnumerableRoundTrips()
    {
        var ml = new MLContext(seed: 1);
        AllTypesRow[] rows =
        [
            new() { Single = 1.5f, Double = 2.25, Int32 = -3, UInt32 = 4, Int64 = 5_000_000_000, Boolean = true, Text = "alpha", Features = [1, 2, 3], Key = 2, Original = 7 },
            new() { Single = -0.5f, Double = -1, Int32 = 9, UInt32 = 0, Int64 = -1, Boolean = false, Text = "beta", Features = [4, 5, 6], Key = 4, Original = 8 },
        ];

        IDataView data = ml.Data.LoadFromEnumerable(rows);
        DataViewSchema schema = data.Schema;

        Assert.AreEqual<DataViewType>(NumberDataViewType.Single, schema["Single"].Type);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Double, schema["Double"].Type);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Int32, schema["Int32"].Type);
        Assert.AreEqual<DataViewType>(NumberDataViewType.UInt32, schema["UInt32"].Type);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Int64, schema["Int64"].Type);
        Assert.AreEqual<DataViewType>(BooleanDataViewType.Instance, schema["Boolean"].Type);
        Assert.AreEqual<DataViewType>(TextDataViewType.Instance, schema["Text"].Type);
        var features = schema["Features"].Type as VectorDataViewType;
        Assert.IsNotNull(features);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Single, features.ItemType);
        Assert.AreEqual(3, features.Size);
        var key = schema["Key"].Type as KeyDataViewType;
        Assert.IsNotNull(key);
        Assert.AreEqual(typeof(uint), key.RawType);
        Assert.AreEqual(4UL, key.Count);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Single, schema["Renamed"].Type);
        Assert.IsNull(schema.GetColumnOrNull("Original"));

        List<AllTypesRow> back = ml.Data.CreateEnumerable<AllTypesRow>(data, reuseRowObject: false).ToList();
        Assert.HasCount(2, back);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.AreEqual(rows[i].Single, back[i].Single);
            Assert.AreEqual(rows[i].Double, back[i].Double);
            Assert.AreEqual(rows[i].Int32, back[i].Int32);
            Assert.AreEqual(rows[i].UInt32, back[i].UInt32);
            Assert.AreEqual(rows[i].Int64, back[i].Int64);
            Assert.AreEqual(rows[i].Boolean, back[i].Boolean);
            Assert.AreEqual(rows[i].Text, back[i].Text);
            CollectionAssert.AreEqual(rows[i].Features, back[i].Features);
            Assert.AreEqual(rows[i].Key, back[i].Key);
            Assert.AreEqual(rows[i].Original, back[i].Original);
        }
    }

    [TestMethod]
    public void MapValueToKey_AssignsKeysByOccurrence_WithKeyValuesInKeyOrder()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Labels("b", "a", "b", "c"));

        ValueToKeyMappingTransformer mapping = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label").Fit(data);
        IDataView keyed = mapping.Transform(data);

        DataViewSchema.Column column = keyed.Schema["LabelKey"];
        var keyType = column.Type as KeyDataViewType;
        Assert.IsNotNull(keyType);
        Assert.AreEqual(3UL, keyType.Count);
        CollectionAssert.AreEqual(new uint[] { 1, 2, 1, 3 }, Keys(ml, keyed));

        Assert.IsTrue(column.HasKeyValues());
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        column.GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(new[] { "b", "a", "c" }, keyValues.DenseValues().Select(v => v.ToString()).ToArray());
        VBuffer<ReadOnlyMemory<char>> annotation = default;
        column.Annotations.GetValue("KeyValues", ref annotation);
        CollectionAssert.AreEqual(new[] { "b", "a", "c" }, annotation.DenseValues().Select(v => v.ToString()).ToArray());

        // A value not seen while fitting maps to the missing key, 0.
        CollectionAssert.AreEqual(new uint[] { 0, 2 }, Keys(ml, mapping.Transform(ml.Data.LoadFromEnumerable(Labels("z", "a")))));
    }

    [TestMethod]
    public void MapValueToKey_ByValue_SortsOrdinally()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Labels("b", "a", "b", "c"));

        IDataView keyed = ml.Transforms.Conversion
            .MapValueToKey("LabelKey", "Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(data)
            .Transform(data);

        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        keyed.Schema["LabelKey"].GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, keyValues.DenseValues().Select(v => v.ToString()).ToArray());
        CollectionAssert.AreEqual(new uint[] { 2, 1, 2, 3 }, Keys(ml, keyed));
    }

    [TestMethod]
    public void AppendedPipeline_MapsKeysBackToValues_AndConcatenates()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[]
        {
            new PartsRow { Label = "x", A = 1, B = [2, 3] },
            new PartsRow { Label = "y", A = 4, B = [5, 6] },
        });

        var pipeline = ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label")
            .Append(ml.Transforms.Conversion.MapKeyToValue("LabelBack", "LabelKey"))
            .Append(ml.Transforms.Concatenate("Features", "A", "B"));
        IDataView output = pipeline.Fit(data).Transform(data);

        var features = output.Schema["Features"].Type as VectorDataViewType;
        Assert.IsNotNull(features);
        Assert.AreEqual(3, features.Size);
        List<PartsOutputRow> rows = ml.Data.CreateEnumerable<PartsOutputRow>(output, reuseRowObject: false).ToList();
        CollectionAssert.AreEqual(new[] { "x", "y" }, rows.Select(r => r.LabelBack).ToArray());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3 }, rows[0].Features);
        CollectionAssert.AreEqual(new float[] { 4, 5, 6 }, rows[1].Features);
    }

    [TestMethod]
    public void SchemaIndexer_ThrowsForMissingColumn()
    {
        var ml = new MLContext(seed: 1);
        DataViewSchema schema = ml.Data.LoadFromEnumerable(Labels("a")).Schema;

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => schema["NoSuchColumn"]);
        Assert.IsNull(schema.GetColumnOrNull("NoSuchColumn"));
    }

    [TestMethod]
    public void VBuffer_ReadsDenseAndSparse()
    {
        var sparse = new VBuffer<float>(5, 2, [3f, 7f], [1, 3]);

        Assert.IsFalse(sparse.IsDense);
        Assert.AreEqual(5, sparse.Length);
        CollectionAssert.AreEqual(new[] { 3f, 7f }, sparse.GetValues().ToArray());
        CollectionAssert.AreEqual(new[] { 1, 3 }, sparse.GetIndices().ToArray());
        CollectionAssert.AreEqual(new[] { 0f, 3f, 0f, 7f, 0f }, sparse.DenseValues().ToArray());
        Assert.AreEqual(7f, sparse.GetItemOrDefault(3));
        Assert.AreEqual(0f, sparse.GetItemOrDefault(4));

        VBuffer<float> densified = default;
        sparse.CopyToDense(ref densified);
        Assert.IsTrue(densified.IsDense);
        CollectionAssert.AreEqual(new[] { 0f, 3f, 0f, 7f, 0f }, densified.GetValues().ToArray());

        var dense = new VBuffer<float>(3, [1f, 2f, 3f]);
        Assert.IsTrue(dense.IsDense);
        Assert.AreEqual(0, dense.GetIndices().Length);
        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f }, dense.DenseValues().ToArray());
    }

    [TestMethod]
    public void SaveAsBinary_LoadFromBinary_RoundTripsKeysAndAnnotations()
    {
        var ml = new MLContext(seed: 1);
        SchemaDefinition definition = SchemaDefinition.Create(typeof(AllTypesRow));
        definition["Features"]!.AddAnnotation("SlotNames",
            new VBuffer<ReadOnlyMemory<char>>(3, ["x".AsMemory(), "y".AsMemory(), "z".AsMemory()]),
            new VectorDataViewType(TextDataViewType.Instance, 3));
        AllTypesRow[] rows =
        [
            new() { Text = "alpha", Features = [1, 2, 3], Key = 2 },
            new() { Text = "beta", Features = [4, 5, 6], Key = 4 },
            new() { Text = "alpha", Features = [7, 8, 9], Key = 1 },
        ];
        IDataView data = ml.Data.LoadFromEnumerable(rows, definition);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("TextKey", "Text").Fit(data).Transform(data);

        string path = Path.Combine(Path.GetTempPath(), $"conformance-{Guid.NewGuid():N}.idv");
        try
        {
            using (var stream = File.Create(path))
                ml.Data.SaveAsBinary(keyed, stream);
            IDataView loaded = ml.Data.LoadFromBinary(path);

            DataViewSchema.Column textKey = loaded.Schema["TextKey"];
            Assert.AreEqual(2UL, (textKey.Type as KeyDataViewType)?.Count);
            VBuffer<ReadOnlyMemory<char>> keyValues = default;
            textKey.GetKeyValues(ref keyValues);
            CollectionAssert.AreEqual(new[] { "alpha", "beta" }, keyValues.DenseValues().Select(v => v.ToString()).ToArray());
            Assert.AreEqual(4UL, (loaded.Schema["Key"].Type as KeyDataViewType)?.Count);

            DataViewSchema.Column featureColumn = loaded.Schema["Features"];
            Assert.AreEqual(3, (featureColumn.Type as VectorDataViewType)?.Size);
            Assert.IsTrue(featureColumn.HasSlotNames());
            VBuffer<ReadOnlyMemory<char>> slotNames = default;
            featureColumn.GetSlotNames(ref slotNames);
            CollectionAssert.AreEqual(new[] { "x", "y", "z" }, slotNames.DenseValues().Select(v => v.ToString()).ToArray());

            List<KeyedTextRow> back = ml.Data.CreateEnumerable<KeyedTextRow>(loaded, reuseRowObject: false).ToList();
            CollectionAssert.AreEqual(new uint[] { 1, 2, 1 }, back.Select(r => r.TextKey).ToArray());
            CollectionAssert.AreEqual(new uint[] { 2, 4, 1 }, back.Select(r => r.Key).ToArray());
            CollectionAssert.AreEqual(new float[] { 4, 5, 6 }, back[1].Features);
            (loaded as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void MulticlassEvaluate_MatchesHandComputedMetrics()
    {
        var ml = new MLContext(seed: 1);
        ScoredRow[] rows =
        [
            new() { Label = 1, Score = [0.7f, 0.2f, 0.1f], PredictedLabel = 1 },
            new() { Label = 2, Score = [0.1f, 0.6f, 0.3f], PredictedLabel = 2 },
            new() { Label = 2, Score = [0.5f, 0.4f, 0.1f], PredictedLabel = 1 },
            new() { Label = 3, Score = [0.2f, 0.2f, 0.6f], PredictedLabel = 3 },
            // The true class has probability 0: the log-loss clips it to 1e-15.
            new() { Label = 1, Score = [0f, 1f, 0f], PredictedLabel = 2 },
        ];

        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(ml.Data.LoadFromEnumerable(rows), topKPredictionCount: 2);

        double clipped = -Math.Log((float)1e-15);
        double[] logLosses = [-Math.Log(0.7f), -Math.Log(0.6f), -Math.Log(0.4f), -Math.Log(0.6f), clipped];
        double logLoss = (logLosses[0] + logLosses[1] + logLosses[2] + logLosses[3] + logLosses[4]) / 5;
        double priorLogLoss = -(2 * Math.Log(2.0 / 5) + 2 * Math.Log(2.0 / 5) + Math.Log(1.0 / 5)) / 5;
        Assert.AreEqual(3.0 / 5, metrics.MicroAccuracy, 1e-12);
        Assert.AreEqual((1.0 / 2 + 1.0 / 2 + 1.0) / 3, metrics.MacroAccuracy, 1e-12);
        Assert.AreEqual(logLoss, metrics.LogLoss, 1e-12);
        Assert.AreEqual((priorLogLoss - logLoss) / priorLogLoss, metrics.LogLossReduction, 1e-12);
        Assert.AreEqual((logLosses[0] + logLosses[4]) / 2, metrics.PerClassLogLoss[0], 1e-12);
        Assert.AreEqual((logLosses[1] + logLosses[2]) / 2, metrics.PerClassLogLoss[1], 1e-12);
        Assert.AreEqual(logLosses[3], metrics.PerClassLogLoss[2], 1e-12);
        // Every true class is within the two highest scores; in the last row the tie at 0 ranks class 0 first.
        Assert.AreEqual(2, metrics.TopKPredictionCount);
        Assert.AreEqual(1.0, metrics.TopKAccuracy, 1e-12);
        Assert.AreEqual(1.0, metrics.ConfusionMatrix.GetCountForClassPair(predictedClassIndicatorIndex: 0, actualClassIndicatorIndex: 1));
        Assert.AreEqual(1.0, metrics.ConfusionMatrix.GetCountForClassPair(predictedClassIndicatorIndex: 1, actualClassIndicatorIndex: 0));
        Assert.AreEqual(1.0, metrics.ConfusionMatrix.GetCountForClassPair(predictedClassIndicatorIndex: 2, actualClassIndicatorIndex: 2));
    }

    [TestMethod]
    public void Log_ReceivesMessagesOfAChannelStartedThroughTheInternalCatalogEnvironment()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<LoggingEventArgs>();
        ml.Log += (_, e) => messages.Add(e);

        // The layer's path to the environment: the internal IInternalCatalog interface, by reflection.
        TransformsCatalog catalog = ml.Transforms;
        Type internalCatalog = catalog.GetType().GetInterfaces().Single(i => i.FullName == "Microsoft.ML.Data.IInternalCatalog");
        var environment = (IHostEnvironment?)internalCatalog.GetProperty("Environment")?.GetValue(catalog);
        Assert.IsNotNull(environment);

        using (IChannel channel = environment.Register("ConformanceHost").Start("ConformanceChannel"))
            channel.Info(MessageSensitivity.None, "distilling 10 images per class");

        LoggingEventArgs message = messages.Single(m => m.RawMessage == "distilling 10 images per class");
        Assert.AreEqual(ChannelMessageKind.Info, message.Kind);
        Assert.AreEqual("ConformanceHost; ConformanceChannel", message.Source);
        StringAssert.Contains(message.Message, "distilling 10 images per class");
    }

    [TestMethod]
    public void SchemaShapeColumn_InternalConstructor_IsReachableByReflection()
    {
        // An estimator outside ML.NET can only make a new SchemaShape.Column through this internal constructor.
        var constructor = typeof(SchemaShape.Column).GetConstructor(
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic,
            [typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)]);
        Assert.IsNotNull(constructor);

        var column = (SchemaShape.Column)constructor.Invoke(["Features", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null]);

        Assert.AreEqual("Features", column.Name);
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, column.Kind);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Single, column.ItemType);
        Assert.IsFalse(column.IsKey);
        Assert.IsEmpty(column.Annotations);
    }

    private static LabelRow[] Labels(params string[] labels) => labels.Select(l => new LabelRow { Label = l }).ToArray();

    private static uint[] Keys(MLContext ml, IDataView keyed) =>
        ml.Data.CreateEnumerable<KeyedLabelRow>(keyed, reuseRowObject: false).Select(r => r.LabelKey).ToArray();

    public sealed class AllTypesRow
    {
        public float Single { get; set; }

        public double Double { get; set; }

        public int Int32 { get; set; }

        public uint UInt32 { get; set; }

        public long Int64 { get; set; }

        public bool Boolean { get; set; }

        public string Text { get; set; } = "";

        [VectorType(3)]
        public float[] Features { get; set; } = [];

        [KeyType(4)]
        public uint Key { get; set; }

        [ColumnName("Renamed")]
        public float Original { get; set; }
    }

    public sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }

    public sealed class KeyedLabelRow
    {
        public uint LabelKey { get; set; }
    }

    public sealed class KeyedTextRow
    {
        public uint TextKey { get; set; }

        public uint Key { get; set; }

        public float[] Features { get; set; } = [];
    }

    public sealed class PartsRow
    {
        public string Label { get; set; } = "";

        public float A { get; set; }

        [VectorType(2)]
        public float[] B { get; set; } = [];
    }

    public sealed class PartsOutputRow
    {
        public string LabelBack { get; set; } = "";

        public float[] Features { get; set; } = [];
    }

    public sealed class ScoredRow
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(3)]
        public float[] Score { get; set; } = [];

        [KeyType(3)]
        public uint PredictedLabel { get; set; }
    }
}
