using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.DatasetDistillation.Tests;

/// <summary>The ML.NET layer, used as a user uses it: through MLContext, IDataView and the catalog.</summary>
[TestClass]
public sealed class DatasetDistillationTests
{
    private const int FeatureCount = 8;
    private const int ClassCount = 3;

    // ---- schema and data errors ----

    [TestMethod]
    public void Fit_MissingFeatureColumn_NamesColumnAndExpectation()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Blobs(30, seed: 1));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset(featureColumnName: "Pixels").Fit(data));
        StringAssert.Contains(e.Message, "'Pixels'");
        StringAssert.Contains(e.Message, "known-size vector of Single");
    }

    [TestMethod]
    public void Fit_MissingLabelColumn_NamesColumn()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Blobs(30, seed: 1));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset(labelColumnName: "Class").Fit(data));
        StringAssert.Contains(e.Message, "'Class'");
        StringAssert.Contains(e.Message, "must be a key");
    }

    [TestMethod]
    public void Fit_WrongTypes_NameColumnAndExpectation()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[] { new OddRow { Scalar = 1, Varying = [1, 2], Weight = 1, Features = new float[FeatureCount] } });

        var scalar = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset("Scalar", "Label").Fit(data));
        StringAssert.Contains(scalar.Message, "'Scalar'");
        StringAssert.Contains(scalar.Message, "known-size vector of Single");

        var varying = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset("Varying", "Label").Fit(data));
        StringAssert.Contains(varying.Message, "'Varying'");
        StringAssert.Contains(varying.Message, "variable-size");

        var label = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset("Features", "Weight").Fit(data));
        Assert.AreEqual(
            "The label column 'Weight' must be a key, as for ML.NET's multiclass trainers, but it is Double. " +
            "Map it to a key first: mlContext.Transforms.Conversion.MapValueToKey(\"Weight\"). (Parameter 'schema')", label.Message);
    }

    [TestMethod]
    public void Fit_LabelsThatAreNotKeys_AreRefused_WithMapValueToKeyAdvice()
    {
        var ml = new MLContext(seed: 1);
        BlobRow[] blobs = Blobs(30, seed: 2);
        IDataView[] unkeyed =
        [
            ml.Data.LoadFromEnumerable(blobs),
            ml.Data.LoadFromEnumerable(blobs.Select(b => new IntLabelRow { Label = b.Label[0], Features = b.Features })),
            ml.Data.LoadFromEnumerable(blobs.Select(b => new UIntLabelRow { Label = b.Label[0], Features = b.Features })),
            ml.Data.LoadFromEnumerable(blobs.Select(b => new FloatLabelRow { Label = b.Label[0], Features = b.Features })),
            ml.Data.LoadFromEnumerable(blobs.Select(b => new BoolLabelRow { Label = b.Label == "a", Features = b.Features })),
        ];
        foreach (IDataView data in unkeyed)
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset(SmallOptions(iterations: 1)).Fit(data));
            StringAssert.Contains(e.Message, $"The label column 'Label' must be a key, as for ML.NET's multiclass trainers, but it is {data.Schema["Label"].Type}.");
            StringAssert.Contains(e.Message, "MapValueToKey(\"Label\")");
        }

        // Mapped as the message says, the same rows distil, and the key values come through.
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(unkeyed[1]).Transform(unkeyed[1]);
        VBuffer<int> values = default;
        ml.Transforms.DistillDataset(SmallOptions(iterations: 1)).Fit(keyed).DistilledData.Schema["Label"].GetKeyValues(ref values);
        CollectionAssert.AreEqual(new[] { (int)'b', 'a', 'c' }, values.DenseValues().ToArray());
    }

    [TestMethod]
    public void Fit_OneClassOrEmptyOrMissingKey_Throws_NamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        // ML.NET reads a [KeyType(3)] member as a 0-based index: 0 becomes key 1, and 3 or more the missing key 0.
        KeyRow Row(uint index) => new() { Label = index, Features = new float[FeatureCount] };
        var one = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset().Fit(ml.Data.LoadFromEnumerable(new[] { Row(1), Row(1) })));
        Assert.AreEqual("The label column 'Label' has 1 distinct class in the input; at least 2 classes are needed.", one.Message);

        var empty = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset().Fit(ml.Data.LoadFromEnumerable(Array.Empty<KeyRow>())));
        StringAssert.Contains(empty.Message, "no rows");
        StringAssert.Contains(empty.Message, "'Features'");

        var missing = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset().Fit(ml.Data.LoadFromEnumerable(new[] { Row(0), Row(1), Row(3) })));
        Assert.AreEqual("Row 2 of the label column 'Label' has the missing key (0) or a key outside 1…3: every row needs a label.", missing.Message);
    }

    [TestMethod]
    public void Fit_ClassWithTooFewRows_Throws_NamingTheColumnAndTheRequest()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = KeyedBlobs(ml, 30); // 10 rows of each class

        var perStep = Assert.ThrowsExactly<InvalidOperationException>(
            () => ml.Transforms.DistillDataset(new DatasetDistillationOptions { ExamplesPerClassPerStep = 11 }).Fit(data));
        StringAssert.Contains(perStep.Message, "The label column 'Label' has 10 rows of class 1 (value 'b')");
        StringAssert.Contains(perStep.Message, "ExamplesPerClassPerStep = 11 needs at least that many rows of every class");

        var realStart = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset(
            new DatasetDistillationOptions { Steps = 6, ExamplesPerClassPerStep = 2, InitializeFromRealExamples = true }).Fit(data));
        StringAssert.Contains(realStart.Message, "The label column 'Label' has 10 rows of class 1");
        StringAssert.Contains(realStart.Message, "InitializeFromRealExamples with Steps × ExamplesPerClassPerStep = 12 needs that many distinct rows of every class");
    }

    [TestMethod]
    public void Fit_ImageShapeNotMatchingVector_Throws()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = KeyedBlobs(ml, 30);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(imageShape: new ImageShape(1, 3, 3)).Fit(data));
        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "1×3×3");
    }

    [TestMethod]
    public void GetOutputSchema_ValidatesAndAddsKeyLabelAndStep()
    {
        var ml = new MLContext(seed: 1);
        SchemaShape input = new([
            ShapeColumn("Features", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single),
            ShapeColumn("Label", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true),
            ShapeColumn("Varying", SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single),
            ShapeColumn("Text", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance),
        ]);

        SchemaShape output = ml.Transforms.DistillDataset().GetOutputSchema(input);
        CollectionAssert.AreEqual(new[] { "Features", "Label", "Step" }, output.Select(c => c.Name).ToArray());
        SchemaShape.Column label = output.Single(c => c.Name == "Label");
        Assert.IsTrue(label.IsKey);
        SchemaShape.Column step = output.Single(c => c.Name == "Step");
        Assert.AreEqual<DataViewType>(NumberDataViewType.Int32, step.ItemType);

        var varying = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset("Varying").GetOutputSchema(input));
        StringAssert.Contains(varying.Message, "'Varying'");
        StringAssert.Contains(varying.Message, "variable-size");
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset(labelColumnName: "Nope").GetOutputSchema(input));
        StringAssert.Contains(missing.Message, "'Nope'");
        var text = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset(labelColumnName: "Text").GetOutputSchema(input));
        StringAssert.Contains(text.Message, "The label column 'Text' must be a key");
        StringAssert.Contains(text.Message, "MapValueToKey(\"Text\")");
        var clash = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(new DatasetDistillationOptions { StepColumnName = "Label" }));
        StringAssert.Contains(clash.Message, "three different names");
        StringAssert.Contains(clash.Message, "'Label' and 'Label'");
    }

    // ---- in a pipeline ----

    [TestMethod]
    public void Chain_DistillThenSdca_ScoresHeldOutRows_NotTheDistilledRows()
    {
        var ml = new MLContext(seed: 1);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(Blobs(300, seed: 3)));
        IDataView train = toKey.Transform(ml.Data.LoadFromEnumerable(Blobs(300, seed: 3)));
        IDataView test = toKey.Transform(ml.Data.LoadFromEnumerable(Blobs(300, seed: 4)));
        DatasetDistillationOptions options = SmallOptions(iterations: 10);
        Microsoft.ML.Trainers.SdcaMaximumEntropyMulticlassTrainer Sdca() => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(
            new Microsoft.ML.Trainers.SdcaMaximumEntropyMulticlassTrainer.Options { NumberOfThreads = 1, Shuffle = false, MaximumNumberOfIterations = 50 });

        var model = ml.Transforms.DistillDataset(options).Append(Sdca()).Fit(train);
        var distilled = (DatasetDistillationTransformer)model.First();

        // Held-out rows pass through the distillation to SDCA: the chain scores all 300 of them, below 100 %, exactly as
        // SDCA trained on the distilled rows and applied to the held-out rows directly.
        IDataView scored = model.Transform(test);
        Assert.AreEqual(300L, scored.GetRowCount());
        Assert.AreSame(test, distilled.Transform(test));
        double chained = ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
        double direct = ml.MulticlassClassification.Evaluate(Sdca().Fit(distilled.DistilledData).Transform(test)).MicroAccuracy;
        Assert.AreEqual(direct, chained);
        Assert.IsLessThan(1.0, chained);
        Assert.IsGreaterThan(0.5, chained, "SDCA on the distilled rows still learns the blobs");

        // The view the chain was fitted on is the one that becomes the distilled rows (that is how the chain trained SDCA).
        Assert.AreSame(distilled.DistilledData, distilled.Transform(train));
        Assert.AreEqual(6L, distilled.Transform(train).GetRowCount());
        Assert.AreEqual(distilled.DistilledData.Schema.Count, distilled.GetOutputSchema(train.Schema).Count);
        Assert.AreSame(test.Schema, distilled.GetOutputSchema(test.Schema));

        // A prediction engine over the chain scores one row as the chain scores the view.
        var engine = ml.Model.CreatePredictionEngine<KeyedBlobRow, ScoredRow>(model);
        KeyedBlobRow first = ml.Data.CreateEnumerable<KeyedBlobRow>(test, reuseRowObject: false).First();
        ScoredRow viaEngine = engine.Predict(first);
        ScoredRow viaView = ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).First();
        CollectionAssert.AreEqual(viaView.Score, viaEngine.Score);
        Assert.AreEqual(viaView.PredictedLabel, viaEngine.PredictedLabel);
    }

    [TestMethod]
    public void Seed_ComesFromTheMLContext_UnlessTheOptionsGiveOne()
    {
        float[] Features(int contextSeed, int? seed)
        {
            var ml = new MLContext(contextSeed);
            DatasetDistillationOptions options = SmallOptions(iterations: 2);
            options.Seed = seed;
            DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(options).Fit(KeyedBlobs(ml, 60));
            if (seed is not null)
            {
                Assert.AreEqual(seed, distilled.Seed);
            }

            return distilled.GetFeatures();
        }

        CollectionAssert.AreEqual(Features(7, null), Features(7, null));
        CollectionAssert.AreNotEqual(Features(7, null), Features(8, null));
        CollectionAssert.AreEqual(Features(7, 5), Features(8, 5));
    }

    [TestMethod]
    public void Threads_DoNotChangeTheDistilledRows_AndMustBePositive()
    {
        float[] Features(DistillationMethod method, int threads)
        {
            var ml = new MLContext(seed: 1);
            DatasetDistillationOptions options = SmallOptions(iterations: 2);
            options.Method = method;
            options.Threads = threads;
            return ml.Transforms.DistillDataset(options).Fit(KeyedBlobs(ml, 60)).GetFeatures();
        }

        CollectionAssert.AreEqual(Features(DistillationMethod.Unrolled, 1), Features(DistillationMethod.Unrolled, 2));
        CollectionAssert.AreEqual(Features(DistillationMethod.DistributionMatching, 1), Features(DistillationMethod.DistributionMatching, 2));
        DatasetDistillationOptions bad = SmallOptions(iterations: 1);
        bad.Threads = 0;
        Assert.AreEqual("Threads", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.DistillDataset(bad)).ParamName);
    }

    // ---- progress, cancellation, logging ----

    [TestMethod]
    public void Progress_IsReportedOncePerIteration()
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<DatasetDistillationProgress>();
        DatasetDistillationOptions options = SmallOptions(iterations: 5);
        options.Progress = new Recorder(reports.Add);
        ml.Transforms.DistillDataset(options).Fit(KeyedBlobs(ml, 60));

        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4, 5 }, reports.Select(r => r.Iteration).ToArray());
        Assert.IsTrue(reports.All(r => r.TotalIterations == 5 && double.IsFinite(r.Loss) && r.LearningRate > 0));
    }

    [TestMethod]
    public void Cancellation_FromProgress_StopsFitPromptly()
    {
        var ml = new MLContext(seed: 1);
        using var cancellation = new CancellationTokenSource();
        int reports = 0;
        DatasetDistillationOptions options = SmallOptions(iterations: 100_000);
        options.CancellationToken = cancellation.Token;
        options.Progress = new Recorder(p =>
        {
            reports++;
            if (p.Iteration == 2)
            {
                cancellation.Cancel();
            }
        });

        var clock = Stopwatch.StartNew();
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.DistillDataset(options).Fit(KeyedBlobs(ml, 60)));
        Assert.AreEqual(2, reports);
        Assert.IsLessThan(5.0, clock.Elapsed.TotalSeconds);
    }

    [TestMethod]
    public void Checkpoint_CancelledFitResumes_ToTheResultOfAnUninterruptedFit()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.RawMessage ?? string.Empty);
        IDataView data = KeyedBlobs(ml, 60);
        DatasetDistillationTransformer uninterrupted = ml.Transforms.DistillDataset(SmallOptions(iterations: 6)).Fit(data);
        using var temporary = new TemporaryPath("mldc");
        string path = temporary.Path;

        // Saved every 2 iterations and on cancellation, which comes after iteration 3.
        using var cancellation = new CancellationTokenSource();
        var existed = new List<bool>();
        DatasetDistillationOptions options = SmallOptions(iterations: 6);
        options.CheckpointPath = path;
        options.CheckpointEvery = 2;
        options.CancellationToken = cancellation.Token;
        options.Progress = new Recorder(p =>
        {
            existed.Add(File.Exists(path));
            if (p.Iteration == 3)
            {
                cancellation.Cancel();
            }
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.DistillDataset(options).Fit(data));
        CollectionAssert.AreEqual(new[] { false, false, true }, existed);

        var resumedAt = new List<int>();
        options.CancellationToken = CancellationToken.None;
        options.Progress = new Recorder(p => resumedAt.Add(p.Iteration));
        DatasetDistillationTransformer resumed = ml.Transforms.DistillDataset(options).Fit(data);
        CollectionAssert.AreEqual(new[] { 4, 5, 6 }, resumedAt);
        CollectionAssert.Contains(messages, $"Resuming at iteration 3 of 6 from the checkpoint '{path}'.");
        CollectionAssert.AreEqual(uninterrupted.GetFeatures(), resumed.GetFeatures());
        CollectionAssert.AreEqual(uninterrupted.LearningRateSchedule, resumed.LearningRateSchedule);

        // The finished run is saved too: fitting again does no iteration and gives the same rows.
        resumedAt.Clear();
        CollectionAssert.AreEqual(uninterrupted.GetFeatures(), ml.Transforms.DistillDataset(options).Fit(data).GetFeatures());
        Assert.IsEmpty(resumedAt);

        options.Iterations = 4;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset(options).Fit(data)).Message,
            $"CheckpointPath: '{path}' is at iteration 6, beyond Iterations = 4");
        options.Iterations = 6;
        options.Seed = 2;
        string otherSeed = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset(options).Fit(data)).Message;
        StringAssert.Contains(otherSeed, "was written for other settings or data: Seed 2 (checkpoint: 1)");
        StringAssert.Contains(otherSeed, "Delete the file or choose another CheckpointPath to start afresh.");
        options.Seed = 1;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset(options).Fit(ml.Data.TakeRows(data, 59))).Message,
            "real examples 59 (checkpoint: 60)");

        DatasetDistillationOptions bad = SmallOptions(iterations: 6);
        string missingFolder = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}");
        bad.CheckpointPath = Path.Combine(missingFolder, "checkpoint.mldc");
        Assert.AreEqual($"CheckpointPath: the folder '{missingFolder}' does not exist.",
            Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Transforms.DistillDataset(bad).Fit(data)).Message);
        bad.CheckpointPath = null;
        bad.CheckpointEvery = -1;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset(bad)).Message, "CheckpointEvery");
        bad.CheckpointEvery = 1;
        bad.CheckpointPath = string.Empty;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(bad)).Message, "CheckpointPath is empty");
    }

    [TestMethod]
    public void Log_HasOneSourceNamedAfterTheComponent_WithIterationsAtTraceLevel()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = KeyedBlobs(ml, 60);
        var messages = new List<LoggingEventArgs>();
        ml.Log += (_, e) => messages.Add(e);

        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(SmallOptions(iterations: 3)).Fit(data);
        ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(distilled.DistilledData);

        List<LoggingEventArgs> ours = messages.Where(m => m.Source == "DatasetDistillation").ToList();
        List<LoggingEventArgs> info = ours.Where(m => m.Kind == ChannelMessageKind.Info).ToList();
        Assert.HasCount(2, info, string.Join("\n", messages.Select(m => $"{m.Source}: {m.Message}")));
        StringAssert.StartsWith(info[0].RawMessage, "Distilling 60 rows of 8 features in 3 classes");
        StringAssert.EndsWith(info[0].RawMessage, "seed 1.");
        StringAssert.StartsWith(info[1].RawMessage, "Finished in");
        CollectionAssert.AreEqual(new[] { "Iteration 1/3", "Iteration 2/3", "Iteration 3/3" },
            ours.Where(m => m.Kind == ChannelMessageKind.Trace && m.RawMessage.StartsWith("Iteration", StringComparison.Ordinal)).Select(m => m.RawMessage.Split(':')[0]).ToArray());
        Assert.IsFalse(messages.Any(m => m.Source.Contains("Distill", StringComparison.Ordinal) && m.Source.Contains(';', StringComparison.Ordinal)));
        Assert.IsTrue(messages.Any(m => m.Source == "DistilledNetwork" && m.Kind == ChannelMessageKind.Info && m.RawMessage.StartsWith("Training Mlp on 6 rows", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void KeepBest_HoldsAnEarlierSnapshotAndSaysWhich()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => messages.Add(e.RawMessage ?? string.Empty);
        IDataView data = KeyedBlobs(ml, 60);
        DatasetDistillationOptions options = SmallOptions(iterations: 12);
        options.LearningRate = 2f; // far too large, so that an earlier snapshot scores best
        options.InitializationMode = DistillationInitializationMode.Fixed;
        DatasetDistillationTransformer last = ml.Transforms.DistillDataset(options).Fit(data);
        options.KeepBestEvery = 3;
        options.KeepBestExamples = 40;
        DatasetDistillationTransformer kept = ml.Transforms.DistillDataset(options).Fit(data);

        string message = messages.Single(m => m.StartsWith("Kept the snapshot of iteration", StringComparison.Ordinal));
        int iteration = int.Parse(message.Split(' ')[5].TrimEnd(':'), System.Globalization.CultureInfo.InvariantCulture);
        Assert.AreEqual(0, iteration % 3, message);
        Assert.IsLessThan(12, iteration, message);
        CollectionAssert.AreNotEqual(last.GetFeatures(), kept.GetFeatures());

        options.KeepBestEvery = -1;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.DistillDataset(options)).Message, "KeepBestEvery");
    }

    // ---- the distilled view ----

    [TestMethod]
    public void DistilledView_SchemaAndContents_AreExact()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60, slotNames: true);
        DatasetDistillationOptions options = SmallOptions(iterations: 3);
        options.ExamplesPerClassPerStep = 2;
        options.Steps = 3;
        options.Epochs = 2;
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(options).Fit(keyed);
        IDataView view = distilled.DistilledData;

        Assert.IsFalse(view.CanShuffle);
        Assert.AreEqual(ClassCount * 2L * 3, view.GetRowCount());
        var features = view.Schema["Features"].Type as VectorDataViewType;
        Assert.IsNotNull(features);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Single, features.ItemType);
        Assert.AreEqual(FeatureCount, features.Size);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        view.Schema["Features"].GetSlotNames(ref slots);
        CollectionAssert.AreEqual(SlotNames, slots.DenseValues().Select(s => s.ToString()).ToArray());

        var key = view.Schema["Label"].Type as KeyDataViewType;
        Assert.IsNotNull(key);
        Assert.AreEqual((ulong)ClassCount, key.Count);
        VBuffer<ReadOnlyMemory<char>> inputValues = default, outputValues = default;
        keyed.Schema["Label"].GetKeyValues(ref inputValues);
        view.Schema["Label"].GetKeyValues(ref outputValues);
        CollectionAssert.AreEqual(inputValues.DenseValues().Select(v => v.ToString()).ToArray(), outputValues.DenseValues().Select(v => v.ToString()).ToArray());
        Assert.AreEqual<DataViewType>(NumberDataViewType.Int32, view.Schema["Step"].Type);
        Assert.AreEqual(3, view.Schema.Count, "no soft-label column unless labels are learned");
        Assert.IsNull(distilled.SoftLabelColumnName);
        Assert.IsNull(distilled.GetSoftLabels());

        List<DistilledRow> rows = ml.Data.CreateEnumerable<DistilledRow>(view, reuseRowObject: false).ToList();
        Assert.HasCount(18, rows);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(i / 6, rows[i].Step);
            Assert.AreEqual((uint)(i % 6 / 2 + 1), rows[i].Label);
            Assert.HasCount(FeatureCount, rows[i].Features);
        }

        Assert.HasCount(6, distilled.LearningRateSchedule);
        Assert.AreEqual(3, distilled.Steps);
        Assert.AreEqual(2, distilled.Epochs);
        Assert.AreEqual(2, distilled.ExamplesPerClassPerStep);
        Assert.AreEqual(DistillationNetworkKind.Mlp, distilled.NetworkKind);
        CollectionAssert.AreEqual(distilled.GetFeatures(), rows.SelectMany(r => r.Features).ToArray());
        Assert.IsTrue(distilled.IsRowToRowMapper);
        IRowToRowMapper identity = distilled.GetRowToRowMapper(keyed.Schema);
        Assert.AreSame(keyed.Schema, identity.OutputSchema);
        Assert.AreSame(view.Schema, distilled.GetOutputSchema(keyed.Schema));

        // IDataView's cursor contract: Position is -1 before the first row and again once MoveNext has returned false.
        using DataViewRowCursor cursor = view.GetRowCursor(view.Schema);
        Assert.AreEqual(-1L, cursor.Position);
        int count = 0;
        while (cursor.MoveNext())
        {
            Assert.AreEqual(count++, cursor.Position);
        }

        Assert.AreEqual(18, count);
        Assert.AreEqual(-1L, cursor.Position);
        Assert.IsFalse(cursor.MoveNext());
        Assert.AreEqual(-1L, cursor.Position);
    }

    [TestMethod]
    public void SaveTo_Load_RoundTripsEverything()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60, slotNames: true);
        DatasetDistillationOptions options = SmallOptions(iterations: 3);
        options.InitializationMode = DistillationInitializationMode.Fixed;
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(options).Fit(keyed);
        using var temporary = new TemporaryPath("mldl");
        string path = temporary.Path;
        distilled.SaveTo(path);
        DatasetDistillationTransformer loaded = DatasetDistillationTransformer.Load(path);

        CollectionAssert.AreEqual(distilled.GetFeatures(), loaded.GetFeatures());
        CollectionAssert.AreEqual(distilled.GetClasses(), loaded.GetClasses());
        CollectionAssert.AreEqual(distilled.LearningRateSchedule, loaded.LearningRateSchedule);
        Assert.AreEqual(distilled.Steps, loaded.Steps);
        Assert.AreEqual(distilled.Epochs, loaded.Epochs);
        Assert.AreEqual(distilled.ExamplesPerClassPerStep, loaded.ExamplesPerClassPerStep);
        Assert.AreEqual(distilled.NetworkKind, loaded.NetworkKind);
        CollectionAssert.AreEqual(distilled.MlpHiddenSizes.ToArray(), loaded.MlpHiddenSizes.ToArray());
        Assert.AreEqual(distilled.InitializationMode, loaded.InitializationMode);
        Assert.AreEqual(distilled.Seed, loaded.Seed);

        // A loaded transformer was fitted on nothing: it passes data through, and its rows are DistilledData.
        Assert.AreSame(keyed, loaded.Transform(keyed));
        DataViewSchema a = distilled.DistilledData.Schema, b = loaded.DistilledData.Schema;
        CollectionAssert.AreEqual(a.Select(c => c.Name).ToArray(), b.Select(c => c.Name).ToArray());
        CollectionAssert.AreEqual(a.Select(c => c.Type).ToArray(), b.Select(c => c.Type).ToArray());
        VBuffer<ReadOnlyMemory<char>> slots = default, keys = default;
        b["Features"].GetSlotNames(ref slots);
        CollectionAssert.AreEqual(SlotNames, slots.DenseValues().Select(s => s.ToString()).ToArray());
        b["Label"].GetKeyValues(ref keys);
        CollectionAssert.AreEqual(new[] { "b", "a", "c" }, keys.DenseValues().Select(s => s.ToString()).ToArray());

        // The fixed initialisation travels too: the same network comes out of training.
        CollectionAssert.AreEqual(distilled.TrainNetwork().Model.GetWeights(), loaded.TrainNetwork().Model.GetWeights());

        // Version 2 files had the input's label kind (an Int32) before the key values, and version 1 files had no
        // soft-label column name (an empty string after the step column's) either; both still load.
        // Version 4 added the frame (payload length and checksum after the magic and version); version 3 files, the same
        // payload unframed, still load.
        byte[] framed = File.ReadAllBytes(path);
        byte[] bytes = [.. framed[..4], 3, 0, 0, 0, .. framed[20..]];
        File.WriteAllBytes(path, bytes);
        CollectionAssert.AreEqual(distilled.GetFeatures(), DatasetDistillationTransformer.Load(path).GetFeatures());

        // Version 3 put the method (an Int32) after the version; before, it was always the unrolled one.
        int namesLength = "Features".Length + 1 + "Label".Length + 1 + "Step".Length + 1;
        // It also added the feature vector's dimensions (here a count of 1 and the size 8) after the slot names.
        int dimensionsAt = 12 + namesLength + 1 + 4 + SlotNames.Sum(n => 1 + n.Length);
        Assert.AreEqual(0, bytes[12 + namesLength]);
        CollectionAssert.AreEqual(new byte[] { 1, 0, 0, 0, FeatureCount, 0, 0, 0 }, bytes[dimensionsAt..(dimensionsAt + 8)]);
        byte[] version2 = [.. bytes[..4], 2, 0, 0, 0, .. bytes[12..dimensionsAt], 0, 0, 0, 0, .. bytes[(dimensionsAt + 8)..]];
        File.WriteAllBytes(path, version2);
        CollectionAssert.AreEqual(distilled.GetFeatures(), DatasetDistillationTransformer.Load(path).GetFeatures());
        int nameEnd = 8 + namesLength;
        File.WriteAllBytes(path, [.. version2[..4], 1, 0, 0, 0, .. version2[8..nameEnd], .. version2[(nameEnd + 1)..]]);
        CollectionAssert.AreEqual(distilled.GetFeatures(), DatasetDistillationTransformer.Load(path).GetFeatures());
    }

    [TestMethod]
    public void DistilledView_KeepsTheDimensionsOfTheInputVector_ThroughSaveToo()
    {
        // ExtractPixels, for example, gives features of type Vector<Single, 1, 28, 28>: a trainer fitted on the distilled
        // rows must accept the scored data's column, so the type must be the same, dimensions included.
        var ml = new MLContext(seed: 1);
        SchemaDefinition definition = SchemaDefinition.Create(typeof(BlobRow));
        definition["Features"]!.ColumnType = new VectorDataViewType(NumberDataViewType.Single, 2, 4);
        IDataView data = ml.Data.LoadFromEnumerable(Blobs(60, seed: 1), definition);
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(SmallOptions(iterations: 1)).Fit(keyed);
        Assert.AreEqual(keyed.Schema["Features"].Type, distilled.DistilledData.Schema["Features"].Type);

        using var temporary = new TemporaryPath("mldl");
        string path = temporary.Path;
        distilled.SaveTo(path);
        Assert.AreEqual(keyed.Schema["Features"].Type, DatasetDistillationTransformer.Load(path).DistilledData.Schema["Features"].Type);
    }

    [TestMethod]
    public void ConvNet_DistilsImages_AndItsScorerRoundTrips()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        IDataView images = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 30).Select(i => new ImageRow
        {
            Label = (uint)(i % ClassCount), Pixels = [.. Enumerable.Range(0, 64).Select(p => (p % ClassCount == i % ClassCount ? 1f : 0f) + 0.1f * random.NextSingle())],
        }));
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(new DatasetDistillationOptions
        {
            FeatureColumnName = "Pixels", NetworkKind = DistillationNetworkKind.ConvNet, ImageShape = new ImageShape(1, 8, 8),
            Steps = 1, Epochs = 1, Iterations = 1, RealBatchSize = 8, Seed = 1,
        }).Fit(images);

        Assert.AreEqual(DistillationNetworkKind.ConvNet, distilled.NetworkKind);
        DistilledNetworkTransformer scorer = distilled.TrainNetwork();
        using var temporary = new TemporaryPath("mldn");
        scorer.SaveTo(temporary.Path);
        DistilledNetworkTransformer loaded = DistilledNetworkTransformer.Load(temporary.Path);
        Assert.AreEqual(DistillationNetworkKind.ConvNet, loaded.Model.NetworkKind);
        CollectionAssert.AreEqual(scorer.Model.Score(distilled.GetFeatures().AsSpan(0, 64)), loaded.Model.Score(distilled.GetFeatures().AsSpan(0, 64)));

        var noShape = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(new DatasetDistillationOptions
        {
            FeatureColumnName = "Pixels", NetworkKind = DistillationNetworkKind.ConvNet, Iterations = 1, Seed = 1,
        }).Fit(images));
        StringAssert.Contains(noShape.Message, "ConvNet needs the image layout of the feature column 'Pixels': set ImageShape.");
    }

    [TestMethod]
    public void MatchingMethods_WithSiameseAugmentation_MoveImageRows_AndResumeFromACheckpoint()
    {
        var ml = new MLContext(seed: 1);
        ImageRow[] rows = StripedImages();
        IDataView images = ml.Data.LoadFromEnumerable(rows);
        DatasetDistillationOptions Options(DistillationMethod method, bool augmented) => new()
        {
            FeatureColumnName = "Pixels", NetworkKind = DistillationNetworkKind.ConvNet, ImageShape = new ImageShape(1, 8, 8),
            Method = method, SiameseAugmentation = augmented, InitializeFromRealExamples = method == DistillationMethod.GradientMatching,
            Steps = 1, Epochs = 1, Iterations = 4, Seed = 2,
        };
        bool IsInputRow(float[] features, int i) => rows.Any(r => r.Pixels.AsSpan().SequenceEqual(features.AsSpan(i * 64, 64)));

        // Gradient matching with augmentation (DSA), started from input rows: every row moves; cancelled after iteration 2
        // and fitted again, it ends where an uninterrupted fit ends.
        DatasetDistillationTransformer uninterrupted = ml.Transforms.DistillDataset(Options(DistillationMethod.GradientMatching, augmented: true)).Fit(images);
        Assert.AreEqual(DistillationMethod.GradientMatching, uninterrupted.Method);
        Assert.AreEqual(ClassCount, uninterrupted.RowCount);
        Assert.IsFalse(Enumerable.Range(0, ClassCount).Any(i => IsInputRow(uninterrupted.GetFeatures(), i)), "the rows moved");

        using var temporary = new TemporaryPath("mldc");
        using var cancellation = new CancellationTokenSource();
        DatasetDistillationOptions interrupted = Options(DistillationMethod.GradientMatching, augmented: true);
        interrupted.CheckpointPath = temporary.Path;
        interrupted.CancellationToken = cancellation.Token;
        interrupted.Progress = new Recorder(p =>
        {
            if (p.Iteration == 2)
            {
                cancellation.Cancel();
            }
        });
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.DistillDataset(interrupted).Fit(images));
        var resumedAt = new List<int>();
        interrupted.CancellationToken = CancellationToken.None;
        interrupted.Progress = new Recorder(p => resumedAt.Add(p.Iteration));
        DatasetDistillationTransformer resumed = ml.Transforms.DistillDataset(interrupted).Fit(images);
        CollectionAssert.AreEqual(new[] { 3, 4 }, resumedAt);
        CollectionAssert.AreEqual(uninterrupted.GetFeatures(), resumed.GetFeatures());

        // Augmentation changes what distribution matching learns.
        float[] plain = ml.Transforms.DistillDataset(Options(DistillationMethod.DistributionMatching, augmented: false)).Fit(images).GetFeatures();
        float[] augmentedRows = ml.Transforms.DistillDataset(Options(DistillationMethod.DistributionMatching, augmented: true)).Fit(images).GetFeatures();
        CollectionAssert.AreNotEqual(plain, augmentedRows);

        DatasetDistillationOptions picked = Options(DistillationMethod.RandomRows, augmented: true);
        Assert.AreEqual("SiameseAugmentation applies to Method = GradientMatching, DistributionMatching and TrajectoryMatching only, but the method is RandomRows. (Parameter 'options')",
            Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(picked)).Message);
        DatasetDistillationOptions vectors = Options(DistillationMethod.DistributionMatching, augmented: true);
        vectors.NetworkKind = DistillationNetworkKind.Mlp;
        vectors.ImageShape = null;
        Assert.AreEqual("SiameseAugmentation transforms images: set ImageShape to the layout of the feature column. (Parameter 'options')",
            Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(vectors)).Message);
        DatasetDistillationOptions realStart = Options(DistillationMethod.DistributionMatching, augmented: false);
        realStart.InitializeFromRealExamples = true;
        Assert.AreEqual("InitializeFromRealExamples applies to Method = Unrolled and GradientMatching only, but the method is DistributionMatching. (Parameter 'options')",
            Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(realStart)).Message);
        DatasetDistillationOptions centroids = Options(DistillationMethod.KMeansCentroids, augmented: false);
        centroids.CheckpointPath = temporary.Path;
        Assert.AreEqual("CheckpointPath applies to Method = Unrolled, GradientMatching, DistributionMatching and TrajectoryMatching only, but the method is KMeansCentroids. (Parameter 'options')",
            Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(centroids)).Message);
    }

    [TestMethod]
    public void Methods_ThatPickOrSummariseRows_GiveClassMeansCentroidsOrInputRows()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60);
        BlobRow[] blobs = Blobs(60, seed: 1);
        string[] classOrder = ["b", "a", "c"]; // MapValueToKey's order of first appearance
        DatasetDistillationTransformer Condense(DistillationMethod method)
        {
            DatasetDistillationOptions options = SmallOptions(iterations: 1);
            options.Method = method;
            options.ExamplesPerClassPerStep = 2;
            DatasetDistillationTransformer result = ml.Transforms.DistillDataset(options).Fit(keyed);
            Assert.AreEqual(method, result.Method);
            Assert.AreEqual(2 * 2 * ClassCount, result.RowCount);
            Assert.IsTrue(result.LearningRateSchedule.All(r => r == result.LearningRateSchedule[0] && r > 0), "one constant rate, chosen on the input");
            return result;
        }

        float[] Row(float[] features, int i) => features[(i * FeatureCount)..((i + 1) * FeatureCount)];

        DatasetDistillationTransformer means = Condense(DistillationMethod.ClassMeans);
        for (int i = 0; i < means.RowCount; i++)
        {
            int c = means.GetClasses()[i];
            float[] expected = Enumerable.Range(0, FeatureCount)
                .Select(f => (float)blobs.Where(b => b.Label == classOrder[c]).Average(b => (double)b.Features[f])).ToArray();
            CollectionAssert.AreEqual(expected, Row(means.GetFeatures(), i), $"row {i}");
        }

        DatasetDistillationTransformer picked = Condense(DistillationMethod.RandomRows);
        for (int i = 0; i < picked.RowCount; i++)
        {
            float[] row = Row(picked.GetFeatures(), i);
            BlobRow source = blobs.Single(b => b.Features.SequenceEqual(row));
            Assert.AreEqual(classOrder[picked.GetClasses()[i]], source.Label);
        }

        Assert.AreEqual(picked.RowCount, Enumerable.Range(0, picked.RowCount).Select(i => string.Join(",", Row(picked.GetFeatures(), i))).Distinct().Count(), "distinct rows");
        // Distribution matching starts from input rows and moves them for Iterations iterations, reporting each.
        var reports = new List<DatasetDistillationProgress>();
        DatasetDistillationOptions matchingOptions = SmallOptions(iterations: 4);
        matchingOptions.Method = DistillationMethod.DistributionMatching;
        matchingOptions.Progress = new Recorder(reports.Add);
        DatasetDistillationTransformer matched = ml.Transforms.DistillDataset(matchingOptions).Fit(keyed);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, reports.Select(r => r.Iteration).ToArray());
        Assert.AreEqual(DistillationMethod.DistributionMatching, matched.Method);
        Assert.AreEqual(2 * ClassCount, matched.RowCount);
        Assert.IsFalse(Enumerable.Range(0, matched.RowCount).Any(i => blobs.Any(b => b.Features.SequenceEqual(Row(matched.GetFeatures(), i)))), "the rows moved");

        DatasetDistillationTransformer centroids = Condense(DistillationMethod.KMeansCentroids);
        Assert.AreEqual(centroids.RowCount, Enumerable.Range(0, centroids.RowCount).Select(i => string.Join(",", Row(centroids.GetFeatures(), i))).Distinct().Count());

        DatasetDistillationOptions unrolledOnly = SmallOptions(iterations: 1);
        unrolledOnly.Method = DistillationMethod.KMeansCentroids;
        unrolledOnly.LearnLabels = true;
        Assert.AreEqual("LearnLabels applies to Method = Unrolled only, but the method is KMeansCentroids. (Parameter 'options')",
            Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(unrolledOnly)).Message);
        unrolledOnly.Method = DistillationMethod.RandomRows;
        unrolledOnly.LearnLabels = false;
        unrolledOnly.ExamplesPerClassPerStep = 11;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset(unrolledOnly).Fit(keyed)).Message,
            "has 20 rows of class 1 (value 'b'), but Method = RandomRows with Steps × ExamplesPerClassPerStep = 22 needs that many distinct rows of every class.");

        using var temporary = new TemporaryPath("mldl");
        string path = temporary.Path;
        centroids.SaveTo(path);
        DatasetDistillationTransformer loaded = DatasetDistillationTransformer.Load(path);
        Assert.AreEqual(DistillationMethod.KMeansCentroids, loaded.Method);
        CollectionAssert.AreEqual(centroids.GetFeatures(), loaded.GetFeatures());
    }

    [TestMethod]
    public void TrajectoryMatching_MovesInputRows_AndTrainsItsExpertsOnceIntoExpertTrajectoriesPath()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60);
        BlobRow[] blobs = Blobs(60, seed: 1);
        DatasetDistillationOptions Options(string? expertsPath)
        {
            DatasetDistillationOptions options = SmallOptions(iterations: 3);
            options.Method = DistillationMethod.TrajectoryMatching;
            options.ExpertCount = 2;
            options.SyntheticSteps = 4;
            options.MatchingLearningRate = 1f;
            options.ExpertTrajectoriesPath = expertsPath;
            return options;
        }

        // The paper's rate of 1000, set for images, throws these rows far off; the advice names the layer's option.
        DatasetDistillationOptions papersRate = Options(expertsPath: null);
        papersRate.MatchingLearningRate = null;
        StringAssert.Contains(Assert.ThrowsExactly<DistillationDivergedException>(() => ml.Transforms.DistillDataset(papersRate).Fit(keyed)).Message,
            "Try a lower MatchingLearningRate (now 1E+03).");

        // In memory: Steps × ExamplesPerClassPerStep rows of every class, started from input rows and moved, one
        // progress report per iteration, one constant rate chosen for the layer's schedule.
        var reports = new List<int>();
        DatasetDistillationOptions inMemory = Options(expertsPath: null);
        inMemory.Progress = new Recorder(p => reports.Add(p.Iteration));
        DatasetDistillationTransformer matched = ml.Transforms.DistillDataset(inMemory).Fit(keyed);
        Assert.AreEqual(DistillationMethod.TrajectoryMatching, matched.Method);
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, reports);
        CollectionAssert.AreEqual(new[] { 2, 2, 2 }, matched.GetClasses().GroupBy(c => c).OrderBy(g => g.Key).Select(g => g.Count()).ToArray());
        Assert.HasCount(2, matched.LearningRateSchedule, "Steps × Epochs rates");
        Assert.IsTrue(matched.LearningRateSchedule.All(r => r == matched.LearningRateSchedule[0] && r > 0), "one constant rate");
        float[] features = matched.GetFeatures();
        Assert.IsTrue(features.All(float.IsFinite));
        Assert.IsFalse(Enumerable.Range(0, matched.RowCount).Any(i => blobs.Any(b => b.Features.AsSpan().SequenceEqual(features.AsSpan(i * FeatureCount, FeatureCount)))), "the rows moved");

        // With a path: the first fit trains the experts into the file and gives the same rows; a second reads the file
        // without writing it (its bytes and time stay) and gives the same rows again.
        using var temporary = new TemporaryPath("mlet");
        CollectionAssert.AreEqual(features, ml.Transforms.DistillDataset(Options(temporary.Path)).Fit(keyed).GetFeatures());
        byte[] written = File.ReadAllBytes(temporary.Path);
        var writtenAt = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(temporary.Path, writtenAt);
        CollectionAssert.AreEqual(features, ml.Transforms.DistillDataset(Options(temporary.Path)).Fit(keyed).GetFeatures());
        CollectionAssert.AreEqual(written, File.ReadAllBytes(temporary.Path));
        Assert.AreEqual(writtenAt, File.GetLastWriteTimeUtc(temporary.Path), "the file was not rewritten");

        // Experts trained otherwise are refused, naming the option and the difference; more experts extend the file.
        DatasetDistillationOptions longer = Options(temporary.Path);
        longer.ExpertEpochs = 5;
        string refusal = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset(longer).Fit(keyed)).Message;
        StringAssert.StartsWith(refusal, "ExpertTrajectoriesPath: ");
        StringAssert.Contains(refusal, "Epochs 5 (file: 3)");
        DatasetDistillationOptions more = Options(temporary.Path);
        more.ExpertCount = 3;
        ml.Transforms.DistillDataset(more).Fit(keyed);
        Assert.IsGreaterThan((long)written.Length, new FileInfo(temporary.Path).Length, "a third expert was added");

        using var saved = new TemporaryPath("mldl");
        matched.SaveTo(saved.Path);
        Assert.AreEqual(DistillationMethod.TrajectoryMatching, DatasetDistillationTransformer.Load(saved.Path).Method);
    }

    [TestMethod]
    public void TrajectoryMatching_WithoutASeed_ReusesTheExpertsOfItsFile()
    {
        // No Seed and an unseeded context: every fit draws its own distillation seed, but the experts are the same work.
        var ml = new MLContext();
        IDataView keyed = KeyedBlobs(ml, 60);
        using var temporary = new TemporaryPath("mlet");
        DatasetDistillationOptions options = SmallOptions(iterations: 2);
        (options.Seed, options.Method, options.ExpertCount, options.SyntheticSteps, options.MatchingLearningRate, options.ExpertTrajectoriesPath) =
            (null, DistillationMethod.TrajectoryMatching, 1, 3, 1f, temporary.Path);
        ml.Transforms.DistillDataset(options).Fit(keyed);
        var writtenAt = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(temporary.Path, writtenAt);

        ml.Transforms.DistillDataset(options).Fit(keyed);

        Assert.AreEqual(writtenAt, File.GetLastWriteTimeUtc(temporary.Path), "the second fit read the experts without training them again");
    }

    [TestMethod]
    public void TrajectoryMatching_CancelledWhileTrainingExperts_ContinuesTheirFile_ToTheUninterruptedRows()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60);
        using var temporary = new TemporaryPath("mlet");
        using var cancellation = new CancellationTokenSource();
        var messages = new List<string>();
        bool armed = false;
        ml.Log += (_, e) =>
        {
            string message = e.RawMessage ?? string.Empty;
            messages.Add(message);
            if (armed && message.StartsWith("Expert 2, epoch 1:", StringComparison.Ordinal))
            {
                cancellation.Cancel();
            }
        };
        DatasetDistillationOptions Options(string? expertsPath) => new()
        {
            Method = DistillationMethod.TrajectoryMatching, ExpertCount = 2, SyntheticSteps = 3, MatchingLearningRate = 1f, ExpertTrajectoriesPath = expertsPath,
            Steps = 2, Epochs = 1, Iterations = 2, MlpHiddenSizes = [16], Seed = 1,
        };
        float[] uninterrupted = ml.Transforms.DistillDataset(Options(expertsPath: null)).Fit(keyed).GetFeatures();

        // Cancelled after the first epoch of the second expert: the file keeps the epochs done, and the next fit trains
        // only the rest (expert 2's epochs 2 and 3) before matching.
        DatasetDistillationOptions interrupted = Options(temporary.Path);
        interrupted.CancellationToken = cancellation.Token;
        armed = true;
        Assert.ThrowsExactly<OperationCanceledException>(() => ml.Transforms.DistillDataset(interrupted).Fit(keyed));
        armed = false;
        Assert.IsTrue(File.Exists(temporary.Path));
        messages.Clear();
        CollectionAssert.AreEqual(uninterrupted, ml.Transforms.DistillDataset(Options(temporary.Path)).Fit(keyed).GetFeatures());
        CollectionAssert.AreEqual(
            new[] { "Expert 2, epoch 2: 5 of 6 expert epochs trained.", "Expert 2, epoch 3: 6 of 6 expert epochs trained." },
            messages.Where(m => m.StartsWith("Expert ", StringComparison.Ordinal)).ToArray());
        Assert.IsTrue(messages.Any(m => m.StartsWith($"Reading (and continuing if unfinished) the experts in '{temporary.Path}'", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void TrajectoryMatching_WithSiameseAugmentation_MovesImageRows_WithExpertsTrainedAugmented()
    {
        var ml = new MLContext(seed: 1);
        ImageRow[] rows = StripedImages();
        IDataView images = ml.Data.LoadFromEnumerable(rows);
        using var experts = new TemporaryPath("mlet");
        DatasetDistillationOptions Options(bool augmented) => new()
        {
            FeatureColumnName = "Pixels", NetworkKind = DistillationNetworkKind.ConvNet, ImageShape = new ImageShape(1, 8, 8),
            Method = DistillationMethod.TrajectoryMatching, SiameseAugmentation = augmented, ExpertCount = 1, ExpertTrajectoriesPath = experts.Path,
            SyntheticSteps = 2, MatchingLearningRate = 10, Steps = 1, Epochs = 1, Iterations = 2, Seed = 2,
        };

        float[] augmentedRows = ml.Transforms.DistillDataset(Options(augmented: true)).Fit(images).GetFeatures();
        Assert.IsTrue(augmentedRows.All(float.IsFinite));
        Assert.IsFalse(Enumerable.Range(0, ClassCount).Any(i => rows.Any(r => r.Pixels.AsSpan().SequenceEqual(augmentedRows.AsSpan(i * 64, 64)))), "the rows moved");

        // The experts were trained on augmented batches: without augmentation their file does not serve.
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset(Options(augmented: false)).Fit(images)).Message,
            "trained with other settings: Augmentation 0 (file: ");
    }

    [TestMethod]
    public void TrajectoryMatching_Options_AreRefusedWhereTheyDoNotApply_OrAreOutOfRange()
    {
        var ml = new MLContext(seed: 1);
        string Refusal<TException>(Action<DatasetDistillationOptions> set, DistillationMethod method = DistillationMethod.TrajectoryMatching)
            where TException : Exception
        {
            DatasetDistillationOptions options = SmallOptions(iterations: 1);
            options.Method = method;
            set(options);
            return Assert.ThrowsExactly<TException>(() => ml.Transforms.DistillDataset(options)).Message;
        }

        Assert.AreEqual("SyntheticSteps applies to Method = TrajectoryMatching only, but the method is GradientMatching. (Parameter 'options')",
            Refusal<ArgumentException>(o => o.SyntheticSteps = 5, DistillationMethod.GradientMatching));
        Assert.AreEqual("ExpertTrajectoriesPath applies to Method = TrajectoryMatching only, but the method is Unrolled. (Parameter 'options')",
            Refusal<ArgumentException>(o => o.ExpertTrajectoriesPath = "experts.mlet", DistillationMethod.Unrolled));
        Assert.AreEqual("InitializeFromRealExamples applies to Method = Unrolled and GradientMatching only, but the method is TrajectoryMatching. (Parameter 'options')",
            Refusal<ArgumentException>(o => o.InitializeFromRealExamples = true));
        Assert.AreEqual("KeepBestEvery applies to Method = Unrolled only, but the method is TrajectoryMatching. (Parameter 'options')",
            Refusal<ArgumentException>(o => o.KeepBestEvery = 1));
        Assert.AreEqual("MatchingLearningRate applies to Method = GradientMatching, DistributionMatching and TrajectoryMatching only, but the method is Unrolled. (Parameter 'options')",
            Refusal<ArgumentException>(o => o.MatchingLearningRate = 1, DistillationMethod.Unrolled));
        StringAssert.Contains(Refusal<ArgumentOutOfRangeException>(o => o.MatchingLearningRate = 0), "MatchingLearningRate");
        StringAssert.Contains(Refusal<ArgumentOutOfRangeException>(o => o.ExpertCount = 0), "ExpertCount");
        Assert.AreEqual("ExpertEpochs = 3 is too few: MaxStartEpoch = 3 and MatchedExpertEpochs = 2 reach expert epoch 4. (Parameter 'options')",
            Refusal<ArgumentException>(o => (o.ExpertEpochs, o.MaxStartEpoch) = (3, 3)));
        Assert.AreEqual("ExpertTrajectoriesPath and CheckpointPath are the same file, 'run.bin': each needs its own. (Parameter 'options')",
            Refusal<ArgumentException>(o => (o.ExpertTrajectoriesPath, o.CheckpointPath) = ("run.bin", "run.bin")));
        DatasetDistillationOptions missingFolder = SmallOptions(iterations: 1);
        missingFolder.Method = DistillationMethod.TrajectoryMatching;
        missingFolder.ExpertTrajectoriesPath = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "experts.mlet");
        StringAssert.StartsWith(
            Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Transforms.DistillDataset(missingFolder).Fit(KeyedBlobs(ml, 30))).Message,
            "ExpertTrajectoriesPath: the folder ");
    }

    [TestMethod]
    public void LearnedLabels_AddASoftLabelColumn_ThatTrainingUsesAndSaveToKeeps()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60);
        DatasetDistillationOptions options = SmallOptions(iterations: 3);
        options.InitializationMode = DistillationInitializationMode.Fixed;
        options.LearnLabels = true;
        DatasetDistillationEstimator estimator = ml.Transforms.DistillDataset(options);
        DatasetDistillationTransformer distilled = estimator.Fit(keyed);
        IDataView view = distilled.DistilledData;

        Assert.AreEqual("SoftLabel", distilled.SoftLabelColumnName);
        Assert.AreEqual(ClassCount, (view.Schema["SoftLabel"].Type as VectorDataViewType)?.Size);
        Assert.AreEqual<DataViewType>(NumberDataViewType.Single, (view.Schema["SoftLabel"].Type as VectorDataViewType)?.ItemType);
        SchemaShape input = new([
            ShapeColumn("Features", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single),
            ShapeColumn("Label", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true),
        ]);
        SchemaShape.Column softShape = estimator.GetOutputSchema(input).Last();
        Assert.AreEqual(("SoftLabel", SchemaShape.Column.VectorKind.Vector), (softShape.Name, softShape.Kind));
        Assert.AreEqual<DataViewType>(NumberDataViewType.Single, softShape.ItemType);
        float[] soft = distilled.GetSoftLabels()!;
        Assert.HasCount(distilled.RowCount * ClassCount, soft);
        CollectionAssert.AreEqual(soft, ml.Data.CreateEnumerable<SoftLabelRow>(view, reuseRowObject: false).SelectMany(r => r.SoftLabel).ToArray());
        float[] oneHot = distilled.GetClasses().SelectMany(c => Enumerable.Range(0, ClassCount).Select(k => k == c ? 1f : 0f)).ToArray();
        CollectionAssert.AreNotEqual(oneHot, soft, "the labels were learned");

        // LabelLearningRateScale reaches the core: slower labels end elsewhere.
        options.LabelLearningRateScale = 0.25f;
        CollectionAssert.AreNotEqual(soft, ml.Transforms.DistillDataset(options).Fit(keyed).GetSoftLabels());
        options.LabelLearningRateScale = null;

        // The learner trains on the soft labels when the column is there, and on the keys when it is not.
        float[] own = distilled.TrainNetwork().Model.GetWeights();
        CollectionAssert.AreEqual(own, ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(view).Model.GetWeights());
        CollectionAssert.AreEqual(own, ml.MulticlassClassification.Trainers.DistilledNetwork(distilled, threads: 1).Fit(view).Model.GetWeights(), "the same weights on one thread");
        Assert.AreEqual("threads", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.DistilledNetwork(distilled, threads: 0)).ParamName);
        CollectionAssert.AreNotEqual(own, ml.MulticlassClassification.Trainers.DistilledNetwork(distilled, softLabelColumnName: "NotThere").Fit(view).Model.GetWeights());

        using var temporary = new TemporaryPath("mldl");
        string path = temporary.Path;
        distilled.SaveTo(path);
        DatasetDistillationTransformer loaded = DatasetDistillationTransformer.Load(path);
        Assert.AreEqual("SoftLabel", loaded.SoftLabelColumnName);
        CollectionAssert.AreEqual(soft, loaded.GetSoftLabels());
        CollectionAssert.AreEqual(own, loaded.TrainNetwork().Model.GetWeights());

        // A soft-label column of another size, or with a value that is not a number, is refused by name.
        float[] features = distilled.GetFeatures();
        // ML.NET reads a [KeyType] member as a 0-based index: class c becomes key c + 1.
        KeyedSoftRow[] Rows(int size, float value) => Enumerable.Range(0, distilled.RowCount).Select(i => new KeyedSoftRow
        {
            Label = (uint)distilled.GetClasses()[i], Features = features[(i * FeatureCount)..((i + 1) * FeatureCount)], SoftLabel = Enumerable.Repeat(value, size).ToArray(),
        }).ToArray();
        var wrongSize = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(ml.Data.LoadFromEnumerable(Rows(2, 0f))));
        StringAssert.Contains(wrongSize.Message, "The soft-label column 'SoftLabel' must be a vector of 3 Single values");
        SchemaDefinition threeWide = SchemaDefinition.Create(typeof(KeyedSoftRow));
        threeWide["SoftLabel"]!.ColumnType = new VectorDataViewType(NumberDataViewType.Single, ClassCount);
        var notANumber = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(ml.Data.LoadFromEnumerable(Rows(3, float.NaN), threeWide)));
        Assert.AreEqual("Row 0 of the soft-label column 'SoftLabel' has NaN in slot 0: every value must be a finite number.", notANumber.Message);

        options.SoftLabelColumnName = "Step";
        var clash = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(options));
        StringAssert.Contains(clash.Message, "'Step' is also the feature, label or step column");
    }

    [TestMethod]
    public void ModelSave_IsRefused_NamingTheSupportedWay()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60);
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(SmallOptions(iterations: 1)).Fit(keyed);
        using var stream = new MemoryStream();
        var e = Assert.Throws<NotSupportedException>(() => ml.Model.Save(distilled, keyed.Schema, stream));
        StringAssert.Contains(e.Message, "SaveTo(path)");
        StringAssert.Contains(e.Message, "DatasetDistillationTransformer.Load(path)");
    }

    // ---- the learner ----

    [TestMethod]
    public void Scorer_OnEasyBlobs_LearnsAndPassesMulticlassEvaluate()
    {
        var ml = new MLContext(seed: 1);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(Blobs(300, seed: 3)));
        IDataView train = toKey.Transform(ml.Data.LoadFromEnumerable(Blobs(300, seed: 3)));
        IDataView test = toKey.Transform(ml.Data.LoadFromEnumerable(Blobs(300, seed: 4)));
        DatasetDistillationOptions options = SmallOptions(iterations: 40);
        options.Steps = 2;
        options.Epochs = 2;
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(options).Fit(train);

        DistilledNetworkTransformer scorer = ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(distilled.DistilledData);
        Assert.IsTrue(scorer.IsRowToRowMapper);
        IDataView scored = scorer.Transform(test);
        Assert.AreEqual(ClassCount, (scored.Schema["Score"].Type as VectorDataViewType)?.Size);
        Assert.AreEqual((ulong)ClassCount, (scored.Schema["PredictedLabel"].Type as KeyDataViewType)?.Count);
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsGreaterThan(0.9, metrics.MicroAccuracy, $"micro accuracy {metrics.MicroAccuracy}");

        // The annotations of ML.NET's multiclass scorers, as SdcaMaximumEntropy gives them on the same input.
        DataViewSchema sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy().Fit(train).Transform(test).Schema;
        foreach (string column in new[] { "Score", "PredictedLabel" })
        {
            DataViewSchema.Annotations ours = scored.Schema[column].Annotations, theirs = sdca[column].Annotations;
            CollectionAssert.AreEquivalent(theirs.Schema.Select(a => a.Name).ToArray(), ours.Schema.Select(a => a.Name).ToArray(), column);
            foreach (string kind in new[] { "ScoreColumnKind", "ScoreValueKind" })
            {
                ReadOnlyMemory<char> a = default, b = default;
                ours.GetValue(kind, ref a);
                theirs.GetValue(kind, ref b);
                Assert.AreEqual(b.ToString(), a.ToString(), $"{column}.{kind}");
            }

            uint setId = 0;
            ours.GetValue("ScoreColumnSetId", ref setId);
            Assert.AreEqual(1u, setId);
        }

        VBuffer<ReadOnlyMemory<char>> trainingLabels = default, slotNames = default;
        scored.Schema["Score"].Annotations.GetValue("TrainingLabelValues", ref trainingLabels);
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(new[] { "b", "a", "c" }, trainingLabels.DenseValues().Select(v => v.ToString()).ToArray());
        CollectionAssert.AreEqual(new[] { "b", "a", "c" }, slotNames.DenseValues().Select(v => v.ToString()).ToArray());

        // Permutation feature importance takes it as it takes SDCA's model: the features the blobs live in matter.
        var importance = ml.MulticlassClassification.PermutationFeatureImportance(scorer, test, permutationCount: 1);
        Assert.HasCount(FeatureCount, importance);
        Assert.IsLessThan(-0.05, importance.Min(i => i.MicroAccuracy.Mean), "permuting the most telling feature costs accuracy");

        // Probabilities, and the row-to-row mapper agrees with Transform.
        List<ScoredRow> rows = ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).ToList();
        Assert.IsTrue(rows.All(r => Math.Abs(r.Score.Sum() - 1) < 1e-4 && r.PredictedLabel == 1 + Array.IndexOf(r.Score, r.Score.Max())));
        IRowToRowMapper mapper = scorer.GetRowToRowMapper(test.Schema);
        DataViewSchema.Column score = mapper.OutputSchema["Score"];
        using DataViewRowCursor cursor = test.GetRowCursor(mapper.GetDependencies([score]));
        using DataViewRow row = mapper.GetRow(cursor, [score]);
        ValueGetter<VBuffer<float>> getter = row.GetGetter<VBuffer<float>>(score);
        Assert.IsTrue(cursor.MoveNext());
        VBuffer<float> first = default;
        getter(ref first);
        CollectionAssert.AreEqual(rows[0].Score, first.DenseValues().ToArray());

        // Its output shape replaces input columns of the same names, as ML.NET's own estimators do.
        SchemaShape withOldScore = new([
            ShapeColumn("Features", SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single),
            ShapeColumn("Label", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, isKey: true),
            ShapeColumn("Score", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Double),
        ]);
        SchemaShape shape = ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).GetOutputSchema(withOldScore);
        CollectionAssert.AreEqual(new[] { "Features", "Label", "Score", "PredictedLabel" }, shape.Select(c => c.Name).ToArray());
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, shape.Single(c => c.Name == "Score").Kind);

        // The same learner on as many random real rows (no step column: split evenly), for comparison.
        IDataView sample = ml.Data.TakeRows(train, distilled.RowCount);
        MulticlassClassificationMetrics baseline = ml.MulticlassClassification.Evaluate(ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(sample).Transform(test));
        Assert.IsTrue(baseline.MicroAccuracy is >= 0 and <= 1);
    }

    [TestMethod]
    public void Fit_ReadsSparseVectorsAsDense()
    {
        var ml = new MLContext(seed: 1);
        BlobRow[] blobs = Blobs(30, seed: 5);
        // Sparse copies of the same rows: only the non-zero values are stored.
        SparseRow[] sparse = blobs.Select(b =>
        {
            int[] nonZero = Enumerable.Range(0, FeatureCount).Where(i => i % 2 == 0).ToArray();
            return new SparseRow { Label = b.Label, Features = new VBuffer<float>(FeatureCount, nonZero.Length, nonZero.Select(i => b.Features[i]).ToArray(), nonZero) };
        }).ToArray();
        BlobRow[] dense = blobs.Select(b => new BlobRow { Label = b.Label, Features = b.Features.Select((v, i) => i % 2 == 0 ? v : 0f).ToArray() }).ToArray();

        IDataView Keyed(IDataView data) => ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        DatasetDistillationTransformer fromSparse = ml.Transforms.DistillDataset(SmallOptions(iterations: 2)).Fit(Keyed(ml.Data.LoadFromEnumerable(sparse)));
        DatasetDistillationTransformer fromDense = ml.Transforms.DistillDataset(SmallOptions(iterations: 2)).Fit(Keyed(ml.Data.LoadFromEnumerable(dense)));

        CollectionAssert.AreEqual(fromDense.GetFeatures(), fromSparse.GetFeatures());
        CollectionAssert.AreEqual(fromDense.LearningRateSchedule, fromSparse.LearningRateSchedule);
    }

    [TestMethod]
    public void Scorer_RefusesNonKeyLabel_AndRoundTripsThroughSaveTo()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60);
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(SmallOptions(iterations: 2)).Fit(keyed);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(ml.Data.LoadFromEnumerable(Blobs(6, seed: 1))));
        StringAssert.Contains(e.Message, "'Label'");
        StringAssert.Contains(e.Message, "key of 3 values");

        DistilledNetworkTransformer scorer = distilled.TrainNetwork(initializationSeed: 5);
        using var stream = new MemoryStream();
        var refused = Assert.Throws<NotSupportedException>(() => ml.Model.Save(scorer, keyed.Schema, stream));
        StringAssert.Contains(refused.Message, "DistilledNetworkTransformer.Load(path)");

        using var temporary = new TemporaryPath("mldn");
        string path = temporary.Path;
        scorer.SaveTo(path);
        DistilledNetworkTransformer loaded = DistilledNetworkTransformer.Load(path);
        CollectionAssert.AreEqual(scorer.Model.GetWeights(), loaded.Model.GetWeights());
        float[] a = ml.Data.CreateEnumerable<ScoredRow>(scorer.Transform(keyed), reuseRowObject: false).SelectMany(r => r.Score).ToArray();
        float[] b = ml.Data.CreateEnumerable<ScoredRow>(loaded.Transform(keyed), reuseRowObject: false).SelectMany(r => r.Score).ToArray();
        CollectionAssert.AreEqual(a, b);
        VBuffer<ReadOnlyMemory<char>> keys = default;
        loaded.Transform(keyed).Schema["PredictedLabel"].GetKeyValues(ref keys);
        CollectionAssert.AreEqual(new[] { "b", "a", "c" }, keys.DenseValues().Select(k => k.ToString()).ToArray());
    }

    // ---- helpers ----

    private static readonly string[] SlotNames = Enumerable.Range(0, FeatureCount).Select(i => $"f{i}").ToArray();

    private static DatasetDistillationOptions SmallOptions(int iterations) => new()
    {
        Steps = 2,
        Epochs = 1,
        Iterations = iterations,
        RealBatchSize = 64,
        MlpHiddenSizes = [16],
        LearningRate = 0.05f,
        InitialStepLearningRate = 0.1f,
        Seed = 1,
    };

    private static IDataView KeyedBlobs(MLContext ml, int count, bool slotNames = false)
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(BlobRow));
        if (slotNames)
        {
            definition["Features"]!.AddAnnotation("SlotNames",
                new VBuffer<ReadOnlyMemory<char>>(FeatureCount, SlotNames.Select(s => s.AsMemory()).ToArray()),
                new VectorDataViewType(TextDataViewType.Instance, FeatureCount));
        }

        IDataView data = ml.Data.LoadFromEnumerable(Blobs(count, seed: 1), definition);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    /// <summary>30 images of 8 × 8 pixels whose class c lights every pixel p with p mod 3 = c, plus a little noise.</summary>
    private static ImageRow[] StripedImages()
    {
        var random = new Random(5);
        return [.. Enumerable.Range(0, 30).Select(i => new ImageRow
        {
            Label = (uint)(i % ClassCount), Pixels = [.. Enumerable.Range(0, 64).Select(p => (p % ClassCount == i % ClassCount ? 1f : 0f) + 0.1f * random.NextSingle())],
        })];
    }

    /// <summary>Gaussian blobs in 8 features, classes "b", "a", "c" in turn (so MapValueToKey gives b=1, a=2, c=3).</summary>
    private static BlobRow[] Blobs(int count, int seed)
    {
        var random = new Random(seed);
        string[] names = ["b", "a", "c"];
        return Enumerable.Range(0, count).Select(i =>
        {
            int c = i % ClassCount;
            float[] features = new float[FeatureCount];
            for (int f = 0; f < FeatureCount; f++)
            {
                double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                features[f] = (float)((f % ClassCount == c ? 2.0 : 0.0) + 0.7 * normal);
            }

            return new BlobRow { Label = names[c], Features = features };
        }).ToArray();
    }

    internal static SchemaShape.Column ShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType type, bool isKey = false) =>
        (SchemaShape.Column)typeof(SchemaShape.Column).GetConstructor(
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic,
            [typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)])!
        .Invoke([name, kind, type, isKey, null]);

    /// <summary>A file name in the temporary folder, deleted (if it was made) when disposed.</summary>
    private sealed class TemporaryPath(string extension) : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{Guid.NewGuid():N}.{extension}");

        public void Dispose() => File.Delete(Path);
    }

    private sealed class Recorder(Action<DatasetDistillationProgress> report) : IProgress<DatasetDistillationProgress>
    {
        public void Report(DatasetDistillationProgress value) => report(value);
    }

    public sealed class KeyedSoftRow
    {
        [KeyType(ClassCount)]
        public uint Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];

        [VectorType(2)]
        public float[] SoftLabel { get; set; } = [];
    }

    public sealed class ImageRow
    {
        [KeyType(ClassCount)]
        public uint Label { get; set; }

        [VectorType(64)]
        public float[] Pixels { get; set; } = [];
    }

    public sealed class KeyRow
    {
        [KeyType(ClassCount)]
        public uint Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class KeyedBlobRow
    {
        [KeyType(ClassCount)]
        public uint Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class SoftLabelRow
    {
        public float[] SoftLabel { get; set; } = [];
    }

    public sealed class BlobRow
    {
        public string Label { get; set; } = "";

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class SparseRow
    {
        public string Label { get; set; } = "";

        [VectorType(FeatureCount)]
        public VBuffer<float> Features { get; set; }
    }

    public sealed class IntLabelRow
    {
        public int Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class UIntLabelRow
    {
        public uint Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class FloatLabelRow
    {
        public float Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class BoolLabelRow
    {
        public bool Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class OddRow
    {
        public float Scalar { get; set; }

        public float[] Varying { get; set; } = [];

        public double Weight { get; set; }

        public int Label { get; set; }

        [VectorType(FeatureCount)]
        public float[] Features { get; set; } = [];
    }

    public sealed class DistilledRow
    {
        public uint Label { get; set; }

        public int Step { get; set; }

        public float[] Features { get; set; } = [];
    }

    public sealed class ScoredRow
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }
}
