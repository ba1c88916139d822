using System.Diagnostics;
using DatasetDistillation.Samples;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace MnistDistillation;

/// <summary>A problem with the arguments or the files they name: reported as one message, exit code 1.</summary>
internal sealed class SampleException(string message) : Exception(message);

/// <summary>
/// One distillation of MNIST: load, distil (or resume), evaluate, write the outputs. <paramref name="arguments"/> are the
/// command line <paramref name="options"/> were parsed from: the resume hint repeats them, and they name the final test.
/// </summary>
internal sealed class DistillationJob(SampleOptions options, IReadOnlyList<string> arguments, RunConsole console, CancellationToken cancellationToken)
{
    public const int Cancelled = 130;

    private readonly Stopwatch wallClock = Stopwatch.StartNew();
    private readonly List<double> secondsPerIteration = [];
    private readonly Stopwatch iterationClock = new();
    private readonly Stopwatch finalTestClock = new();
    private readonly TrainingCurve curve = new(Path.Combine(options.Out, "curve.csv"));
    private readonly DistillationOptions settings = options.ToDistillationOptions();
    private Network network = null!;
    private LabeledExamples train = null!, test = null!;
    private float[][] pretrainedPool = [];          // pretrained init: the networks distilled for
    private float pixelMean = MnistDataset.Mean, pixelStd = MnistDataset.Std;
    private ZcaWhitening? zca;                     // --zca: the whitening every image went through
    private DatasetDistiller distiller = null!;
    private Func<int, float[]> evaluationWeights = null!;
    private float[][] testNetworks = [];           // pretrained init: the networks tested (the one distilled for, or held-out ones)
    private readonly List<int[]> finalPredictions = []; // the final test's predictions, network by network (the attack's summary reads them)

    /// <summary>Runs the job; returns the exit code (0, or 130 when cancelled).</summary>
    public int Execute()
    {
        // The distiller limits itself (its options carry the count); the evaluations and baselines around it run in this scope.
        using TensorThreads.Scope threads = TensorThreads.Limit(options.Threads);
        if (options.Resume)
        {
            CheckResumable(); // before the seconds spent loading MNIST
        }

        CreateOutputFolder();

        LoadData();
        int side = train.ExampleShape[^1];
        network = SampleData.CreateNetwork(options.ConvNet ? "convnet" : "lenet", side, train.ClassCount);
        float[][]? pretrained = options.Init == InitializationMode.Pretrained ? Pretrain() : null;
        ExpertTrajectories? experts = null;
        if (options.Trajectories is { } trajectories)
        {
            try
            {
                experts = TrainExperts(trajectories);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                console.Line($"Stopped while training experts; every finished epoch is in {trajectories.ExpertsFile}, and the same command continues from there.");
                return Cancelled;
            }
        }

        distiller = options.CreateDistiller(network, train, pretrained, experts);
        // Fixed init: the one network the data was distilled for. Random init: held-out draws, another seed than training's.
        // Pretrained: the one trained network, or a pool's held-out networks.
        evaluationWeights = options.Init switch
        {
            InitializationMode.Fixed => _ => distiller.FixedWeights!,
            InitializationMode.Pretrained => i => testNetworks[i],
            _ => Evaluation.RandomInitializations(network, options.Scheme, EvaluationSeed),
        };
        if (options.Resume)
        {
            Resume();
        }
        else if (File.Exists(options.CheckpointPath))
        {
            console.Line($"Starting afresh: the checkpoint in {options.Out} will be replaced (--resume continues it instead).");
        }

        string start = options.DataFromRealImages ? "random real images" : "noise";
        string networkName = options.ConvNet ? "ConvNet" : "LeNet";
        if (Paper)
        {
            int images = options.Steps * options.ImagesPerClass * train.ClassCount;
            string labels = options.LearnLabels ? $", labels learned too at {settings.EffectiveLabelLearningRateScale:G3} × the rate" : string.Empty;
            string goal = options.Attack is { } attack ? $"Attacking {DataName}: images that make {networkName} take class {attack.SourceClass} for {attack.TargetClass}" : $"Distilling {DataName} for {networkName}";
            console.Line($"{goal}, {Mode} init ({CommandLine.SchemeNames[options.Scheme]}): {images} images in {options.Steps} steps × {options.Epochs} epochs, starting from {start}{labels}");
            console.Line($"  {RunConsole.Counted(options.Iterations, "iteration")} of {options.Batch} real images, {RunConsole.Counted(options.Threads, "thread")}, output in {options.Out}");
        }
        else
        {
            console.Line($"Distilling {DataName} for {networkName} by {MethodTitle} ({CommandLine.SchemeNames[options.Scheme]} networks): {RunConsole.Counted(options.ImagesPerClass, "image")} of each of {train.ClassCount} classes, starting from {start}");
            string perIteration = options.Trajectories is { } matched
                ? $"from an epoch below {matched.MaxStartEpoch} of {matched.Experts} experts"
                : $"of {options.Batch} real images per class";
            console.Line($"  {RunConsole.Counted(options.Iterations, "iteration")} {perIteration}, {RunConsole.Counted(options.Threads, "thread")}, output in {options.Out}");
        }

        try
        {
            AccuracySummary accuracy = console.Show(distiller.Iteration, options.Iterations, DistilAndEvaluate);
            PrintSummary(accuracy);
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            SaveCheckpoint();
            console.Line(distiller.Iteration < options.Iterations
                ? $"Stopped at iteration {distiller.Iteration}/{options.Iterations}; checkpoint written to {options.CheckpointPath}."
                : Paper
                    ? $"Stopped during the final evaluation; the distilled data is in {options.Out} and the checkpoint in {options.CheckpointPath}."
                    : $"Stopped during the final evaluation; the distilled data is in {options.Out}, the checkpoint in {options.CheckpointPath} and the networks tested so far in {FinalTestFile}.");
            console.Line("To continue, run the same command with --resume, e.g. from the repository root:");
            console.Line($"  dotnet run -c Release --project src/Samples/MnistDistillation -- {ResumeArguments()}");
            return Cancelled;
        }
    }

    private string Mode => options.Init.ToString().ToLowerInvariant();

    private bool Paper => options.Unrolled;

    private string DataName => options.DataFolder is null ? "MNIST" : "the data";

    private string MethodTitle => options.Method switch
    {
        SampleMethod.Dc => "gradient matching (DC)",
        SampleMethod.Dsa => $"gradient matching with siamese augmentation (DSA: {options.DsaStrategy})",
        SampleMethod.Mtt => $"matching training trajectories (MTT, {options.Trajectories!.SyntheticSteps} steps to cover {options.Trajectories.MatchedEpochs} expert epochs, augmented: {options.DsaStrategy})",
        _ => $"distribution matching (DM, augmented: {options.DsaStrategy})",
    };

    private int EvaluationSeed => SampleData.EvaluationSeed(options.Seed);

    private int PeriodicEvaluationNetworks => Math.Min(FinalEvaluationNetworks, SampleOptions.PeriodicEvalNets);

    private int FinalEvaluationNetworks => options.Init switch
    {
        InitializationMode.Fixed => 1,
        InitializationMode.Pretrained => testNetworks.Length,
        _ => options.EvalNets,
    };

    // What a finished run writes besides the checkpoint and the curve, which a fresh start replaces anyway.
    private static readonly string[] FinishedOutputs = ["distilled.mldd", "distilled.png", "learning-rates.csv", "labels.csv", FinalTestFile];

    // The successor methods' final test, network by network: a run stopped during its final test continues it on --resume.
    private const string FinalTestFile = "final-test.csv";

    private void CreateOutputFolder()
    {
        // distilled.mldd is written only when a run finishes: starting afresh there would mix two runs' outputs.
        if (!options.Resume && File.Exists(Path.Combine(options.Out, FinishedOutputs[0])))
        {
            if (!options.Force)
            {
                throw new SampleException(
                    $"{options.Out} holds a finished run. Pass --force to replace its outputs, or --out with another folder (--resume continues it with more --iterations).");
            }

            // Replaced at the end; deleted now so that a stopped run, or one without --learn-labels, leaves none of the old ones.
            foreach (string name in FinishedOutputs)
            {
                File.Delete(Path.Combine(options.Out, name));
            }
        }

        try
        {
            Directory.CreateDirectory(options.Out);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SampleException($"--out: cannot create the folder {options.Out}: {e.Message}");
        }
    }

    /// <summary>
    /// Trains the networks of --init pretrained on the training images (<see cref="Pretraining"/>: Adam, network i from seed
    /// Seed + 2000 + i): one network, distilled for and tested, or a pool of N and N held-out others.
    /// </summary>
    private float[][] Pretrain()
    {
        int pool = options.PretrainedNetworks, count = pool == 1 ? 1 : 2 * pool;
        LabeledExamples source = train, sourceTest = test;
        if (options.PretrainDataFolder is { } folder)
        {
            (source, sourceTest, _, _, string description) = SampleData.Load(folder);
            console.Line($"Pretraining on another domain. {description}");
            if (!source.ExampleShape.SequenceEqual(train.ExampleShape) || source.ClassCount != train.ClassCount)
            {
                throw new SampleException($"--pretrain-data: its images [{string.Join(", ", source.ExampleShape)}] in {source.ClassCount} classes differ from --data's.");
            }

            if (zca is not null)
            {
                // The networks must see the distilled domain's input space, so the other domain is whitened by its transform.
                (source, sourceTest) = (zca.Transform(source), zca.Transform(sourceTest));
            }
        }

        var trained = new float[count][];
        for (int i = 0; i < count; i++)
        {
            trained[i] = Pretraining.Train(network, source, options.PretrainEpochs, seed: unchecked(options.Seed + 2000 + i), scheme: options.Scheme, cancellationToken: cancellationToken);
            string onTarget = options.PretrainDataFolder is null ? string.Empty : $", {100 * Evaluation.Accuracy(network, trained[i], test):F2} % on the distilled domain's";
            console.Line($"Pretrained network {i + 1}/{count}: {100 * Evaluation.Accuracy(network, trained[i], sourceTest):F2} % on its test images after {RunConsole.Counted(options.PretrainEpochs, "epoch")}{onTarget}");
        }

        testNetworks = pool == 1 ? trained : trained[pool..];
        pretrainedPool = pool == 1 ? trained : trained[..pool];
        return pretrainedPool;
    }

    /// <summary>
    /// The experts of --method mtt: read from their file, or trained (and the file continued) until there are as many as
    /// asked, a line per epoch with the expert's test accuracy.
    /// </summary>
    private ExpertTrajectories TrainExperts(TrajectorySettings trajectories)
    {
        string path = trajectories.ExpertsFile;
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        int epochs = trajectories.ExpertTrainingEpochs;
        console.Line(File.Exists(path)
            ? $"Expert trajectories: {path} (continued if it holds fewer than {RunConsole.Counted(trajectories.Experts, "expert")} of {RunConsole.Counted(epochs, "epoch")})"
            : $"Training {RunConsole.Counted(trajectories.Experts, "expert")} for {RunConsole.Counted(epochs, "epoch")} each on the training images (SGD at 0.01, batches of 256), written to {path} after every epoch");
        var clock = Stopwatch.StartNew();
        int epochsRun = 0;
        var progress = new SynchronousProgress<ExpertTrainingProgress>(p =>
        {
            epochsRun++;
            TimeSpan perEpoch = clock.Elapsed / epochsRun;
            console.Line($"Expert {p.Expert}/{trajectories.Experts}, epoch {p.Epoch}/{epochs}: {100 * Evaluation.Accuracy(network, p.Weights, test):F2} % on the test images " +
                         $"({RunConsole.Format(perEpoch)} per epoch, ETA {RunConsole.Format(perEpoch * (p.TotalEpochs - p.EpochsDone))})");
        });
        try
        {
            return ExpertTrajectories.Train(network, train, options.ExpertTraining, path, progress, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new SampleException($"--experts-file: {e.Message} Pass another --experts-file, or delete this one to train afresh.");
        }
    }

    private void LoadData()
    {
        (train, test, pixelMean, pixelStd, string description) = SampleData.Load(options.DataFolder);
        console.Line(description);
        if (options.Zca)
        {
            (train, test, zca, description) = SampleData.Whiten(train, test, pixelStd);
            console.Line(description);
        }
    }

    private void CheckResumable()
    {
        if (!File.Exists(options.CheckpointPath))
        {
            throw new SampleException(
                $"--resume: there is no checkpoint at {options.CheckpointPath}. Pass the --out (and --init) of the run to continue, or leave out --resume to start afresh.");
        }
    }

    private void Resume()
    {
        try
        {
            distiller.LoadCheckpoint(options.CheckpointPath);
        }
        catch (InvalidDataException e)
        {
            throw new SampleException($"--resume: {e.Message}");
        }

        int rows = curve.LoadUpTo(distiller.Iteration);
        console.Line(distiller.Iteration < options.Iterations
            ? $"Resuming at iteration {distiller.Iteration}/{options.Iterations} from {options.CheckpointPath} ({rows} curve rows kept)."
            : $"The checkpoint is at iteration {distiller.Iteration}, --iterations is {options.Iterations}: nothing left to distil; evaluating.");
    }

    private AccuracySummary DistilAndEvaluate()
    {
        iterationClock.Restart();
        DistilledDataset distilled = distiller.Run(new SynchronousProgress<DistillationProgress>(OnIteration), cancellationToken);
        SaveCheckpoint();

        if (distiller.Best is var (keptIteration, trainingAccuracy))
        {
            console.Line($"Kept the snapshot of iteration {keptIteration}: {100 * trainingAccuracy:F2} % on {settings.KeepBestExamples:N0} training images");
        }

        WriteOutputs(distilled);
        console.Line($"Final test: {RunConsole.Counted(FinalEvaluationNetworks, "network")} trained on the distilled data, {test.Count} test images");
        finalTestClock.Start();
        // The successor methods' tests take an hour on a CPU, the paper's seconds (and the attack's summary needs every
        // network's predictions, which the file does not keep).
        TestResults? kept = Paper ? null : TestResults.Open(Path.Combine(options.Out, FinalTestFile), FinalTestName(), replaceOthers: true);
        if (kept is not null && Enumerable.Range(1, FinalEvaluationNetworks).Count(n => kept.TryGet(n, out _)) is > 0 and var tested)
        {
            console.Line($"  {RunConsole.Counted(tested, "network")} of a stopped final test kept from {FinalTestFile}");
        }

        AccuracySummary accuracy = Evaluate(distilled, FinalEvaluationNetworks, finalPredictions, kept);
        finalTestClock.Stop();
        if (curve.Last is { } last)
        {
            last.TestAccuracyMean = accuracy.Mean;
            last.TestAccuracyStd = accuracy.StandardDeviation;
        }

        curve.Save();
        return accuracy;
    }

    // Runs synchronously on the distilling thread after every outer iteration.
    private void OnIteration(DistillationProgress progress)
    {
        secondsPerIteration.Add(iterationClock.Elapsed.TotalSeconds);
        var point = CurvePoint.FromFloats(progress.Iteration, progress.Loss, progress.LearningRate);
        curve.Add(point);
        console.Iteration(new IterationStatus(progress.Iteration, progress.TotalIterations, progress.Loss, progress.LearningRate, RecentSecondsPerIteration()));

        bool last = progress.Iteration == progress.TotalIterations; // the final evaluation and checkpoint follow
        if (!last && options.EvalEvery > 0 && progress.Iteration % options.EvalEvery == 0)
        {
            AccuracySummary accuracy = Evaluate(distiller.Snapshot(), PeriodicEvaluationNetworks);
            point.TestAccuracyMean = accuracy.Mean;
            point.TestAccuracyStd = accuracy.StandardDeviation;
            console.Line($"iter {progress.Iteration}: loss {progress.Loss:F4}, test accuracy {accuracy}");
        }

        if (!last && options.CheckpointEvery > 0 && progress.Iteration % options.CheckpointEvery == 0)
        {
            SaveCheckpoint();
        }

        iterationClock.Restart(); // s/iter counts the distillation step (and a --keep-best-every score, which the median passes over), not tests or checkpoints
    }

    private AccuracySummary Evaluate(DistilledDataset distilled, int networks, List<int[]>? predictions = null, TestResults? kept = null)
    {
        var accuracies = new double[networks];
        for (int i = 0; i < networks; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            console.Evaluating(i, networks);
            if (kept is not null && kept.TryGet(i + 1, out accuracies[i]))
            {
                continue;
            }

            float[] trained = Paper
                ? Evaluation.Train(network, distilled, evaluationWeights(i))
                : SampleData.TrainTestNetwork(network, distilled, evaluationWeights(i), options.EvaluationTraining, EvaluationSeed, i, cancellationToken);
            int[] predicted = Evaluation.Predict(network, trained, test);
            accuracies[i] = Evaluation.Accuracy(predicted, test);
            predictions?.Add(predicted);
            kept?.Add(i + 1, accuracies[i]);
        }

        console.Evaluating(networks, networks);
        return AccuracySummary.Of(accuracies);
    }

    // The checkpoint commits both: the curve is written first, so a kill between the two leaves the older checkpoint
    // and a curve with extra rows, which resuming drops (LoadUpTo) and the resumed run writes again; never missing rows.
    private void SaveCheckpoint()
    {
        curve.Save();
        distiller.SaveCheckpoint(options.CheckpointPath);
    }

    private void WriteOutputs(DistilledDataset distilled)
    {
        distilled.Save(Path.Combine(options.Out, "distilled.mldd"));

        // The paper's: one row per step; within a row, the images of class 0, then class 1, … as the step holds them;
        // rows are labelled with their step, columns with their class. The others': one row per class, labelled with it.
        int side = distilled.Examples.ExampleShape[^1], classes = distilled.Examples.ClassCount, perClass = distilled.Examples.Count / classes;
        ImageGrid.Write(
            Path.Combine(options.Out, "distilled.png"), zca?.InverseTransform(distilled.Examples).Features ?? distilled.Examples.Features,
            rows: Paper ? distilled.Steps : classes, columns: Paper ? distilled.ExamplesPerStep : perClass, channels: 1,
            height: side, width: side,
            PixelScaling.Denormalize(pixelMean, pixelStd), upscale: 2,
            rowLabels: [.. Enumerable.Range(0, Paper ? distilled.Steps : classes)],
            columnLabels: Paper ? distilled.StepLabels(0).ToArray() : [.. Enumerable.Range(0, perClass)]);

        // The paper's learned schedule (the others' images come with the test networks' fixed one).
        if (Paper)
        {
            CsvWriter.Write(
                Path.Combine(options.Out, "learning-rates.csv"), ["step", "lr"],
                distilled.LearningRates.Select((rate, t) => (IReadOnlyList<double>)[t, CurvePoint.Shortest(rate)]));
        }

        if (distilled.SoftLabels is { } soft)
        {
            // One row per image, in the order of the picture: its step, its digit, then its learned score for each digit.
            CsvWriter.Write(
                Path.Combine(options.Out, "labels.csv"), ["step", "digit", .. Enumerable.Range(0, classes).Select(d => $"label_{d}")],
                Enumerable.Range(0, distilled.Examples.Count).Select(i => (IReadOnlyList<double>)
                [
                    distilled.StepOf(i), distilled.Examples.Labels[i],
                    .. soft.AsSpan(i * classes, classes).ToArray().Select(v => CurvePoint.Shortest(v)),
                ]));
        }
    }

    private void PrintSummary(AccuracySummary accuracy)
    {
        console.Line("");
        console.Line(options.Init switch
        {
            InitializationMode.Fixed => $"Test accuracy:      {accuracy} (the fixed network, trained on the distilled data)",
            InitializationMode.Pretrained => $"Test accuracy:      {accuracy} ({(testNetworks.Length == 1 ? "the pretrained network" : "held-out pretrained networks")}, trained on the distilled data)",
            _ => $"Test accuracy:      {accuracy} (held-out random inits{(Paper ? string.Empty : $", {RunConsole.Counted(options.EvalEpochs, "epoch")} of SGD each")})",
        });
        if (options.Init == InitializationMode.Pretrained && options.Attack is null)
        {
            PrintAdaptationBaselines();
        }

        if (options.Attack is { } attack)
        {
            // Before: the test networks as they were; after: trained on the distilled data (the final test's predictions).
            var before = Enumerable.Range(0, FinalEvaluationNetworks).Select(i => Evaluation.Predict(network, evaluationWeights(i), test)).ToList();
            var (successBefore, othersBefore) = AttackEffect(before, attack);
            var (successAfter, othersAfter) = AttackEffect(finalPredictions, attack);
            console.Line($"Attack success:     {100 * successAfter:F2} % of the test's class-{attack.SourceClass} images taken for {attack.TargetClass} (before: {100 * successBefore:F2} %)");
            console.Line($"Other classes:      {100 * othersAfter:F2} % accuracy (before: {100 * othersBefore:F2} %)");
        }

        console.Line($"Wall time:          {RunConsole.Format(wallClock.Elapsed)} (final test {RunConsole.Format(finalTestClock.Elapsed)})");
        console.Line(secondsPerIteration.Count > 0
            ? $"Seconds/iteration:  {Median(secondsPerIteration):F3} (median of {RunConsole.Counted(secondsPerIteration.Count, "iteration")})"
            : "Seconds/iteration:  - (no iterations were run)");
        console.Line($"Peak working set:   {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0} MiB");
        console.Line($"Outputs in {options.Out}:");
        console.Line($"  distilled.mldd  distilled.png  curve.csv{(Paper ? "  learning-rates.csv" : string.Empty)}{(options.LearnLabels ? "  labels.csv" : string.Empty)}{(Paper ? string.Empty : $"  {FinalTestFile}")}  checkpoint.mldc");
    }

    /// <summary>
    /// What the pretrained test networks reach without the distilled data: as they are, and fine-tuned on as many random
    /// real training images, in as many steps, at the best constant rate (chosen on training images with the distilling pool).
    /// </summary>
    private void PrintAdaptationBaselines()
    {
        int networks = FinalEvaluationNetworks;
        AccuracySummary asIs = AccuracySummary.Of([.. Enumerable.Range(0, networks).Select(i => Evaluation.Accuracy(network, evaluationWeights(i), test))]);
        var baseline = new BaselineOptions
        {
            ExamplesPerClassPerStep = options.ImagesPerClass, Steps = options.Steps, Epochs = options.Epochs, Seed = options.Seed, ScoringNetworks = pretrainedPool.Length,
        };
        DistilledDataset randomReal = Baselines.Create(BaselineKind.RandomReal, network, train, baseline, i => pretrainedPool[i]);
        AccuracySummary fineTuned = Evaluation.Evaluate(network, randomReal, test, evaluationWeights, networks);
        console.Line($"Without distilling: {asIs} as pretrained; {fineTuned} fine-tuned on {randomReal.Examples.Count} random real training images " +
                     $"({options.Steps} steps × {options.Epochs} epochs at the best constant rate, {randomReal.LearningRates[0]:G3})");
    }

    /// <summary>Over the networks' predictions: the share of the source class taken for the target, and the accuracy on every other class.</summary>
    private (double Success, double OtherClasses) AttackEffect(IReadOnlyList<int[]> predictions, ClassAttack attack)
    {
        int sources = test.Labels.Count(label => label == attack.SourceClass), others = test.Count - sources;
        double success = 0, kept = 0;
        foreach (int[] predicted in predictions)
        {
            success += (double)Enumerable.Range(0, test.Count).Count(j => test.Labels[j] == attack.SourceClass && predicted[j] == attack.TargetClass) / sources;
            kept += (double)Enumerable.Range(0, test.Count).Count(j => test.Labels[j] != attack.SourceClass && predicted[j] == test.Labels[j]) / others;
        }

        return (success / predictions.Count, kept / predictions.Count);
    }

    // The median of the last 25 iterations: steady, yet follows a change of machine load. The first iteration includes
    // the JIT's warm-up, so it counts only until a second is measured: a run of minute-long iterations (DSA, MTT) shows
    // its ETA after the first, not the third.
    private double RecentSecondsPerIteration() =>
        Median(secondsPerIteration.Skip(secondsPerIteration.Count > 1 ? 1 : 0).TakeLast(25).ToList());

    private static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // What decides the final test's accuracies: the distilled data and the arguments, less those that only say how the run
    // goes, how many networks are tested, or how many iterations made the data (a changed argument that does not change
    // the accuracies only costs a test afresh).
    private string FinalTestName()
    {
        string[] flags = ["--resume", "--force"], valued = ["--threads", "--eval-nets", "--iterations", "--checkpoint-every", "--out"];
        var kept = new List<string>();
        for (int i = 0; i < arguments.Count; i++)
        {
            if (valued.Contains(arguments[i]))
            {
                i++;
            }
            else if (!flags.Contains(arguments[i]) && !valued.Any(option => arguments[i].StartsWith(option + "=", StringComparison.Ordinal)))
            {
                kept.Add(Quote(arguments[i]));
            }
        }

        return $"{SampleData.Fingerprint(Path.Combine(options.Out, FinishedOutputs[0]))} {string.Join(' ', kept)}";
    }

    private string ResumeArguments() =>
        string.Join(' ', arguments.Where(a => a != "--resume").Select(Quote).Append("--resume"));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? argument
            : $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
