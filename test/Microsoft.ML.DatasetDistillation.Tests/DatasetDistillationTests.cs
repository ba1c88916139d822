using System.Diagnostics;
using Microsoft.ML.Data;
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
        StringAssert.Contains(e.Message, "key, UInt32, Int32, Single, String or Boolean");
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
        StringAssert.Contains(label.Message, "'Weight'");
        StringAssert.Contains(label.Message, "key, UInt32, Int32, Single, String or Boolean");
    }

    [TestMethod]
    public void Fit_OneClassOrEmptyOrNaN_Throws_NamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        BlobRow[] oneClass = Blobs(30, seed: 1).Where(r => r.Label == "b").ToArray();
        var one = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset().Fit(ml.Data.LoadFromEnumerable(oneClass)));
        StringAssert.Contains(one.Message, "'Label'");
        StringAssert.Contains(one.Message, "at least 2 classes");

        var empty = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset().Fit(ml.Data.LoadFromEnumerable(Array.Empty<BlobRow>())));
        StringAssert.Contains(empty.Message, "no rows");
        StringAssert.Contains(empty.Message, "'Features'");

        var nan = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.DistillDataset().Fit(ml.Data.LoadFromEnumerable(new[]
        {
            new FloatLabelRow { Label = 1, Features = new float[FeatureCount] },
            new FloatLabelRow { Label = float.NaN, Features = new float[FeatureCount] },
        })));
        StringAssert.Contains(nan.Message, "'Label'");
        StringAssert.Contains(nan.Message, "NaN");
    }

    [TestMethod]
    public void Fit_ClassWithTooFewRows_Throws_NamingTheColumnAndTheRequest()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Blobs(30, seed: 1)); // 10 rows of each class

        var perStep = Assert.ThrowsExactly<InvalidOperationException>(
            () => ml.Transforms.DistillDataset(new DatasetDistillationOptions { ExamplesPerClassPerStep = 11 }).Fit(data));
        StringAssert.Contains(perStep.Message, "The label column 'Label' has 10 rows of class 1");
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
        IDataView data = ml.Data.LoadFromEnumerable(Blobs(30, seed: 1));
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
            ShapeColumn("Label", SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance),
            ShapeColumn("Varying", SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Single),
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
        var clash = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.DistillDataset(new DatasetDistillationOptions { StepColumnName = "Label" }));
        StringAssert.Contains(clash.Message, "three different names");
        StringAssert.Contains(clash.Message, "'Label' and 'Label'");
    }

    [TestMethod]
    public void Pipeline_MapValueToKeyThenDistill_FitsThroughTheChain()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(Blobs(60, seed: 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.DistillDataset(SmallOptions(iterations: 2)));

        var model = pipeline.Fit(data);
        IDataView distilled = model.Transform(data);

        Assert.AreEqual(6L, distilled.GetRowCount());
        Assert.AreEqual(3UL, (distilled.Schema["Label"].Type as KeyDataViewType)?.Count);
        Assert.AreEqual(2, model.LastTransformer!.Steps);
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
        string path = Path.Combine(Path.GetTempPath(), $"checkpoint-{Guid.NewGuid():N}.mldc");
        try
        {
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
        }
        finally
        {
            File.Delete(path);
        }

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
    public void Log_ReceivesTheLayersMessages()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<LoggingEventArgs>();
        ml.Log += (_, e) => messages.Add(e);

        ml.Transforms.DistillDataset(SmallOptions(iterations: 3)).Fit(KeyedBlobs(ml, 60));

        List<LoggingEventArgs> ours = messages.Where(m => m.Source?.Contains("DatasetDistillationEstimator", StringComparison.Ordinal) == true && m.Kind == ChannelMessageKind.Info).ToList();
        Assert.IsTrue(ours.Any(m => m.RawMessage?.StartsWith("Distilling 60 rows of 8 features in 3 classes", StringComparison.Ordinal) == true), string.Join("\n", messages.Select(m => m.Message)));
        Assert.IsTrue(ours.Any(m => m.RawMessage?.StartsWith("Distillation finished", StringComparison.Ordinal) == true));
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
        IDataView view = distilled.Transform(keyed);

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
        Assert.IsFalse(distilled.IsRowToRowMapper);
        var notRowToRow = Assert.ThrowsExactly<InvalidOperationException>(() => distilled.GetRowToRowMapper(keyed.Schema));
        StringAssert.Contains(notRowToRow.Message, "not a row-to-row mapper");
        Assert.AreEqual(view.Schema.Count, distilled.GetOutputSchema(keyed.Schema).Count);

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
    public void LabelMapping_IntFloatStringBool_IsSortedAndKeepsValues()
    {
        var ml = new MLContext(seed: 1);
        BlobRow[] blobs = Blobs(60, seed: 2);
        Dictionary<string, int> asInt = new() { ["a"] = 9, ["b"] = -2, ["c"] = 5 };
        Dictionary<string, float> asFloat = new() { ["a"] = 2.5f, ["b"] = 0.5f, ["c"] = 1f };

        CollectionAssert.AreEqual(new[] { -2, 5, 9 }, KeyValuesOf<int>(ml, ml.Data.LoadFromEnumerable(blobs.Select(b => new IntLabelRow { Label = asInt[b.Label], Features = b.Features }))));
        CollectionAssert.AreEqual(new[] { 0.5f, 1f, 2.5f }, KeyValuesOf<float>(ml, ml.Data.LoadFromEnumerable(blobs.Select(b => new FloatLabelRow { Label = asFloat[b.Label], Features = b.Features }))));
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, KeyValuesOf<ReadOnlyMemory<char>>(ml, ml.Data.LoadFromEnumerable(blobs)).Select(v => v.ToString()).ToArray());
        CollectionAssert.AreEqual(new[] { false, true }, KeyValuesOf<bool>(ml, ml.Data.LoadFromEnumerable(blobs.Where(b => b.Label != "c").Select(b => new BoolLabelRow { Label = b.Label == "b", Features = b.Features }))));
        CollectionAssert.AreEqual(new uint[] { 3, 7 }, KeyValuesOf<uint>(ml, ml.Data.LoadFromEnumerable(blobs.Where(b => b.Label != "c").Select(b => new UIntLabelRow { Label = b.Label == "a" ? 7u : 3u, Features = b.Features }))));
    }

    [TestMethod]
    public void SaveTo_Load_RoundTripsEverything()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60, slotNames: true);
        DatasetDistillationOptions options = SmallOptions(iterations: 3);
        options.InitializationMode = DistillationInitializationMode.Fixed;
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(options).Fit(keyed);
        string path = Path.Combine(Path.GetTempPath(), $"distilled-{Guid.NewGuid():N}.mldl");
        try
        {
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

            DataViewSchema a = distilled.Transform(keyed).Schema, b = loaded.Transform(keyed).Schema;
            CollectionAssert.AreEqual(a.Select(c => c.Name).ToArray(), b.Select(c => c.Name).ToArray());
            CollectionAssert.AreEqual(a.Select(c => c.Type).ToArray(), b.Select(c => c.Type).ToArray());
            VBuffer<ReadOnlyMemory<char>> slots = default, keys = default;
            b["Features"].GetSlotNames(ref slots);
            CollectionAssert.AreEqual(SlotNames, slots.DenseValues().Select(s => s.ToString()).ToArray());
            b["Label"].GetKeyValues(ref keys);
            CollectionAssert.AreEqual(new[] { "b", "a", "c" }, keys.DenseValues().Select(s => s.ToString()).ToArray());

            // The fixed initialisation travels too: the same network comes out of training.
            CollectionAssert.AreEqual(distilled.TrainNetwork().GetWeights(), loaded.TrainNetwork().GetWeights());

            // Version 1 files, without the soft-label column name (an empty string after the step column's), still load.
            byte[] bytes = File.ReadAllBytes(path);
            int nameEnd = 8 + "Features".Length + 1 + "Label".Length + 1 + "Step".Length + 1;
            Assert.AreEqual(0, bytes[nameEnd]);
            File.WriteAllBytes(path, [.. bytes[..4], 1, 0, 0, 0, .. bytes[8..nameEnd], .. bytes[(nameEnd + 1)..]]);
            CollectionAssert.AreEqual(distilled.GetFeatures(), DatasetDistillationTransformer.Load(path).GetFeatures());
        }
        finally
        {
            File.Delete(path);
        }
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
        IDataView view = distilled.Transform(keyed);

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
        float[] own = distilled.TrainNetwork().GetWeights();
        CollectionAssert.AreEqual(own, ml.Transforms.TrainDistilledNetwork(distilled).Fit(view).GetWeights());
        CollectionAssert.AreNotEqual(own, ml.Transforms.TrainDistilledNetwork(distilled, softLabelColumnName: "NotThere").Fit(view).GetWeights());

        string path = Path.Combine(Path.GetTempPath(), $"distilled-{Guid.NewGuid():N}.mldl");
        try
        {
            distilled.SaveTo(path);
            DatasetDistillationTransformer loaded = DatasetDistillationTransformer.Load(path);
            Assert.AreEqual("SoftLabel", loaded.SoftLabelColumnName);
            CollectionAssert.AreEqual(soft, loaded.GetSoftLabels());
            CollectionAssert.AreEqual(own, loaded.TrainNetwork().GetWeights());
        }
        finally
        {
            File.Delete(path);
        }

        // A soft-label column of another size, or with a value that is not a number, is refused by name.
        float[] features = distilled.GetFeatures();
        KeyedSoftRow[] Rows(int size, float value) => Enumerable.Range(0, distilled.RowCount).Select(i => new KeyedSoftRow
        {
            Label = (uint)(distilled.GetClasses()[i] + 1), Features = features[(i * FeatureCount)..((i + 1) * FeatureCount)], SoftLabel = Enumerable.Repeat(value, size).ToArray(),
        }).ToArray();
        var wrongSize = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TrainDistilledNetwork(distilled).Fit(ml.Data.LoadFromEnumerable(Rows(2, 0f))));
        StringAssert.Contains(wrongSize.Message, "The soft-label column 'SoftLabel' must be a vector of 3 Single values");
        SchemaDefinition threeWide = SchemaDefinition.Create(typeof(KeyedSoftRow));
        threeWide["SoftLabel"]!.ColumnType = new VectorDataViewType(NumberDataViewType.Single, ClassCount);
        var notANumber = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.TrainDistilledNetwork(distilled).Fit(ml.Data.LoadFromEnumerable(Rows(3, float.NaN), threeWide)));
        StringAssert.Contains(notANumber.Message, "The soft-label column 'SoftLabel': Soft label 0 of example 0 is NaN");

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

        DistilledNetworkTransformer scorer = ml.Transforms.TrainDistilledNetwork(distilled).Fit(distilled.Transform(train));
        Assert.IsTrue(scorer.IsRowToRowMapper);
        IDataView scored = scorer.Transform(test);
        Assert.AreEqual(ClassCount, (scored.Schema["Score"].Type as VectorDataViewType)?.Size);
        Assert.AreEqual((ulong)ClassCount, (scored.Schema["PredictedLabel"].Type as KeyDataViewType)?.Count);
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsGreaterThan(0.9, metrics.MicroAccuracy, $"micro accuracy {metrics.MicroAccuracy}");

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
        SchemaShape shape = ml.Transforms.TrainDistilledNetwork(distilled).GetOutputSchema(withOldScore);
        CollectionAssert.AreEqual(new[] { "Features", "Label", "Score", "PredictedLabel" }, shape.Select(c => c.Name).ToArray());
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, shape.Single(c => c.Name == "Score").Kind);

        // The same learner on as many random real rows (no step column: split evenly), for comparison.
        IDataView sample = ml.Data.TakeRows(train, distilled.RowCount);
        MulticlassClassificationMetrics baseline = ml.MulticlassClassification.Evaluate(ml.Transforms.TrainDistilledNetwork(distilled).Fit(sample).Transform(test));
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

        DatasetDistillationTransformer fromSparse = ml.Transforms.DistillDataset(SmallOptions(iterations: 2)).Fit(ml.Data.LoadFromEnumerable(sparse));
        DatasetDistillationTransformer fromDense = ml.Transforms.DistillDataset(SmallOptions(iterations: 2)).Fit(ml.Data.LoadFromEnumerable(dense));

        CollectionAssert.AreEqual(fromDense.GetFeatures(), fromSparse.GetFeatures());
        CollectionAssert.AreEqual(fromDense.LearningRateSchedule, fromSparse.LearningRateSchedule);
    }

    [TestMethod]
    public void Scorer_RefusesNonKeyLabel_AndRoundTripsThroughSaveTo()
    {
        var ml = new MLContext(seed: 1);
        IDataView keyed = KeyedBlobs(ml, 60);
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(SmallOptions(iterations: 2)).Fit(keyed);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.TrainDistilledNetwork(distilled).Fit(ml.Data.LoadFromEnumerable(Blobs(6, seed: 1))));
        StringAssert.Contains(e.Message, "'Label'");
        StringAssert.Contains(e.Message, "key of 3 values");

        DistilledNetworkTransformer scorer = distilled.TrainNetwork(initializationSeed: 5);
        using var stream = new MemoryStream();
        var refused = Assert.Throws<NotSupportedException>(() => ml.Model.Save(scorer, keyed.Schema, stream));
        StringAssert.Contains(refused.Message, "DistilledNetworkTransformer.Load(path)");

        string path = Path.Combine(Path.GetTempPath(), $"scorer-{Guid.NewGuid():N}.mldn");
        try
        {
            scorer.SaveTo(path);
            DistilledNetworkTransformer loaded = DistilledNetworkTransformer.Load(path);
            CollectionAssert.AreEqual(scorer.GetWeights(), loaded.GetWeights());
            float[] a = ml.Data.CreateEnumerable<ScoredRow>(scorer.Transform(keyed), reuseRowObject: false).SelectMany(r => r.Score).ToArray();
            float[] b = ml.Data.CreateEnumerable<ScoredRow>(loaded.Transform(keyed), reuseRowObject: false).SelectMany(r => r.Score).ToArray();
            CollectionAssert.AreEqual(a, b);
            VBuffer<ReadOnlyMemory<char>> keys = default;
            loaded.Transform(keyed).Schema["PredictedLabel"].GetKeyValues(ref keys);
            CollectionAssert.AreEqual(new[] { "b", "a", "c" }, keys.DenseValues().Select(k => k.ToString()).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
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
    };

    private static T[] KeyValuesOf<T>(MLContext ml, IDataView data)
    {
        DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(SmallOptions(iterations: 1)).Fit(data);
        IDataView view = distilled.Transform(data);
        VBuffer<T> values = default;
        view.Schema["Label"].GetKeyValues(ref values);
        Assert.AreEqual((ulong)values.Length, (view.Schema["Label"].Type as KeyDataViewType)?.Count);
        return values.DenseValues().ToArray();
    }

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

    private static SchemaShape.Column ShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType type, bool isKey = false) =>
        (SchemaShape.Column)typeof(SchemaShape.Column).GetConstructor(
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic,
            [typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape)])!
        .Invoke([name, kind, type, isKey, null]);

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
