// Dataset distillation of MNIST through ML.NET: load the digits into an IDataView, distil them into
// 10 steps × 1 image per class for LeNet, train LeNet on the distilled images with the learned learning rates, and
// evaluate it with ML.NET's multiclass evaluator, next to the same training on as many random real images.
//
//   dotnet run -c Release --project src/Samples/MLNetMnistPipeline [-- --iterations 300 --learn-labels --checkpoint run.mldc]
//
// The default budget is small (seconds; docs/results.md has longer runs);
// the paper runs thousands of iterations. --help lists the options.
// Exit codes: 0 done, 1 bad arguments, 130 stopped by Ctrl+C (with --checkpoint, the same command continues).
using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Transforms;
using Spectre.Console;
using DatasetDistillation.Samples;
using static DatasetDistillation.Samples.OptionChecks;

var iterations = Positive(new Option<int>("--iterations") { Description = "Outer iterations of the distillation.", DefaultValueFactory = _ => 60 });
var trainRows = Positive(new Option<int>("--train-rows") { Description = "MNIST training images to distil (at most 60,000).", DefaultValueFactory = _ => 20_000 });
var testRows = Positive(new Option<int>("--test-rows") { Description = "MNIST test images to evaluate on (at most 10,000).", DefaultValueFactory = _ => 2_000 });
var learningRate = PositiveReal(new Option<float>("--lr") { Description = "Adam's learning rate on the distilled images and rates.", DefaultValueFactory = _ => 0.03f });
var learnLabels = new Option<bool>("--learn-labels") { Description = "Learn a label vector for each distilled image too: the distilled view gains a SoftLabel column." };
var checkpoint = new Option<string?>("--checkpoint")
{
    Description = "A file that makes the distillation resumable: saved every 100 iterations and on Ctrl+C; when it exists, the run in it continues.",
};

var command = new RootCommand("Distils MNIST through ML.NET's DistillDataset and compares LeNet trained on the distilled images with LeNet trained on as many random ones.")
{
    iterations, trainRows, testRows, learningRate, learnLabels, checkpoint,
};
command.SetAction(result => Run(
    result.GetValue(iterations), result.GetValue(trainRows), result.GetValue(testRows), result.GetValue(learningRate),
    result.GetValue(learnLabels), result.GetValue(checkpoint)));

return Invoke(command, args);

static int Run(int iterations, int trainRows, int testRows, float learningRate, bool learnLabels, string? checkpoint)
{
    string folder = MnistDataset.FindDataFolder();
    LabeledExamples train = MnistDataset.Load(folder, MnistSplit.Train);
    LabeledExamples test = MnistDataset.Load(folder, MnistSplit.Test);
    trainRows = Math.Min(trainRows, train.Count);
    testRows = Math.Min(testRows, test.Count);

    // A live progress bar in a terminal; in a log (output redirected) about twenty plain lines instead.
    bool live = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
    var ml = new MLContext(seed: 1);
    ml.Log += (_, e) =>
    {
        // The layer's own messages (its per-iteration lines are left to the progress display).
        if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source is "DatasetDistillation" or "DistilledNetwork")
        {
            string line = $"  [{e.Source}] {e.RawMessage}";
            if (live)
            {
                AnsiConsole.WriteLine(line); // above the live progress bar, not through it
            }
            else
            {
                Console.WriteLine(line);
            }
        }
    };

    IDataView trainView = ml.Data.LoadFromEnumerable(Digits(train, trainRows));
    IDataView testView = ml.Data.LoadFromEnumerable(Digits(test, testRows));
    var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainView);
    IDataView keyedTrain = toKey.Transform(trainView);
    IDataView keyedTest = toKey.Transform(testView);

    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        // The first Ctrl+C stops the distillation between iterations (saving the checkpoint); a second one ends the process.
        e.Cancel = !stop.IsCancellationRequested;
        stop.Cancel();
    };

    var options = new DatasetDistillationOptions
    {
        ImageShape = new ImageShape(1, MnistDataset.ImageSide, MnistDataset.ImageSide), // Auto → LeNet
        ExamplesPerClassPerStep = 1,
        Steps = 10,
        Epochs = 3,
        Iterations = iterations,
        RealBatchSize = 256,
        LearningRate = learningRate,
        InitializationMode = DistillationInitializationMode.Fixed,
        LearnLabels = learnLabels,
        CheckpointPath = checkpoint,
        CancellationToken = stop.Token,
    };

    Console.WriteLine($"Distilling {trainRows} MNIST images for LeNet ({iterations} iterations)...");
    DatasetDistillationTransformer distilled;
    try
    {
        distilled = WithProgress(live, options, () => ml.Transforms.DistillDataset(options).Fit(keyedTrain));
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine(checkpoint is null
            ? "Stopped (pass --checkpoint FILE to be able to continue)."
            : $"Stopped; {checkpoint} holds the run and the same command continues it.");
        return 130;
    }
    catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"error: {e.Message}"); // for example a --checkpoint written for other options
        return 1;
    }

    IDataView distilledRows = distilled.DistilledData;
    Console.WriteLine($"Distilled {distilled.RowCount} images; learned learning rates {distilled.LearningRateSchedule.Min():G3} … {distilled.LearningRateSchedule.Max():G3}.");

    // LeNet from the distillation's fixed initialisation, trained on the distilled images with the learned schedule
    // (and, with --learn-labels, on their SoftLabel column rather than the one-hot keys).
    MulticlassClassificationMetrics onDistilled = ml.MulticlassClassification.Evaluate(
        ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(distilledRows).Transform(keyedTest));

    // The same training on as many random real images (no step column: split evenly into the steps).
    var random = new Random(7);
    int[] sample = Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).Take(distilled.RowCount).ToArray();
    IDataView randomRows = toKey.Transform(ml.Data.LoadFromEnumerable(sample.Select(i => Digit(train, i)).ToArray()));
    MulticlassClassificationMetrics onRandom = ml.MulticlassClassification.Evaluate(
        ml.MulticlassClassification.Trainers.DistilledNetwork(distilled).Fit(randomRows).Transform(keyedTest));

    Console.WriteLine();
    Console.WriteLine($"Test accuracy on {testRows} images (micro / macro):");
    Console.WriteLine($"  LeNet on {distilled.RowCount} distilled images:    {onDistilled.MicroAccuracy:P2} / {onDistilled.MacroAccuracy:P2}");
    Console.WriteLine($"  LeNet on {distilled.RowCount} random real images:  {onRandom.MicroAccuracy:P2} / {onRandom.MacroAccuracy:P2}");

    // An ML.NET trainer on the distilled rows (the data was distilled for LeNet, so this only shows the rows are ordinary data).
    var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features").Fit(distilledRows);
    MulticlassClassificationMetrics onSdca = ml.MulticlassClassification.Evaluate(sdca.Transform(keyedTest));
    Console.WriteLine($"  SdcaMaximumEntropy on the distilled images: {onSdca.MicroAccuracy:P2} / {onSdca.MacroAccuracy:P2}");
    return 0;
}

static T WithProgress<T>(bool live, DatasetDistillationOptions options, Func<T> fit)
{
    if (!live)
    {
        int every = Math.Max(1, options.Iterations / 20);
        options.Progress = new SynchronousProgress<DatasetDistillationProgress>(p =>
        {
            if (p.Iteration % every == 0 || p.Iteration == p.TotalIterations)
            {
                Console.WriteLine($"  iteration {p.Iteration}/{p.TotalIterations}: loss {p.Loss:F3}");
            }
        });
        return fit();
    }

    return AnsiConsole.Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
        .Start(context =>
        {
            ProgressTask task = context.AddTask("Distilling", maxValue: options.Iterations);
            options.Progress = new SynchronousProgress<DatasetDistillationProgress>(p =>
            {
                task.Value = p.Iteration;
                task.Description = $"iteration {p.Iteration}/{p.TotalIterations}  loss {p.Loss:F3}";
            });
            return fit();
        });
}

static IEnumerable<DigitRow> Digits(LabeledExamples examples, int count) => Enumerable.Range(0, count).Select(i => Digit(examples, i));

static DigitRow Digit(LabeledExamples examples, int index) =>
    new() { Features = examples.Example(index).ToArray(), Label = (uint)examples.Labels[index] };

/// <summary>One MNIST image: 784 normalised pixels, row by row, and the digit.</summary>
public sealed class DigitRow
{
    [VectorType(784)]
    public float[] Features { get; set; } = [];

    public uint Label { get; set; }
}
