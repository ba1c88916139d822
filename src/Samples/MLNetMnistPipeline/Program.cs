// Dataset distillation of MNIST through ML.NET: load the digits into an IDataView, distil them into
// 10 steps × 1 image per class for LeNet, train LeNet on the distilled images with the learned learning rates, and
// evaluate it with ML.NET's multiclass evaluator, next to the same training on as many random real images.
//
// Usage: dotnet run -c Release --project src/Samples/MLNetMnistPipeline [-- --iterations N --train-rows N --test-rows N --lr-per-mille N --learn-labels --checkpoint FILE]
// The default budget is small (about 20 s here: distilled ≈ 82 % vs random real images ≈ 56 % on 2000 test images);
// the paper runs thousands of iterations. With --checkpoint, Ctrl+C saves the run to FILE and the same command continues it.
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Transforms;

int iterations = Option("--iterations", 60);
int trainRows = Option("--train-rows", 20_000);
int testRows = Option("--test-rows", 2_000);
float learningRate = Option("--lr-per-mille", 30) / 1000f;
bool learnLabels = args.Contains("--learn-labels"); // soft labels: the distilled view gains a SoftLabel column
int checkpointAt = Array.IndexOf(args, "--checkpoint");
string? checkpoint = checkpointAt >= 0 && checkpointAt + 1 < args.Length ? args[checkpointAt + 1] : null;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop between iterations (saving the checkpoint) rather than kill the process
    stop.Cancel();
};

string folder = MnistDataset.FindDataFolder();
LabeledExamples train = MnistDataset.Load(folder, MnistSplit.Train);
LabeledExamples test = MnistDataset.Load(folder, MnistSplit.Test);

var ml = new MLContext(seed: 1);
ml.Log += (_, e) =>
{
    // The layer's own messages (its per-iteration lines are left to the progress callback below).
    if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source?.Contains("Distill", StringComparison.Ordinal) == true
        && e.RawMessage?.StartsWith("Iteration", StringComparison.Ordinal) == false)
    {
        Console.WriteLine($"  [{e.Source}] {e.RawMessage}");
    }
};

IDataView trainView = ml.Data.LoadFromEnumerable(Digits(train, Math.Min(trainRows, train.Count)));
IDataView testView = ml.Data.LoadFromEnumerable(Digits(test, Math.Min(testRows, test.Count)));
var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainView);
IDataView keyedTrain = toKey.Transform(trainView);
IDataView keyedTest = toKey.Transform(testView);

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
    CheckpointPath = checkpoint, // resumable: saved every 100 iterations and on Ctrl+C; an existing file is continued
    CancellationToken = stop.Token,
    Progress = new Progress(p =>
    {
        if (p.Iteration % 5 == 0 || p.Iteration == p.TotalIterations)
        {
            Console.WriteLine($"  iteration {p.Iteration}/{p.TotalIterations}: loss {p.Loss:F3}");
        }
    }),
};

Console.WriteLine($"Distilling {Math.Min(trainRows, train.Count)} MNIST images for LeNet ({iterations} iterations)...");
DatasetDistillationTransformer distilled;
try
{
    distilled = ml.Transforms.DistillDataset(options).Fit(keyedTrain);
}
catch (OperationCanceledException)
{
    Console.WriteLine(checkpoint is null
        ? "Stopped (pass --checkpoint FILE to be able to continue)."
        : $"Stopped; {checkpoint} holds the run and the same command continues it.");
    Environment.ExitCode = 130;
    return;
}

IDataView distilledRows = distilled.Transform(keyedTrain);
Console.WriteLine($"Distilled {distilled.RowCount} images; learned learning rates {distilled.LearningRateSchedule.Min():G3} … {distilled.LearningRateSchedule.Max():G3}.");

// LeNet from the distillation's fixed initialisation, trained on the distilled images with the learned schedule
// (and, with --learn-labels, on their SoftLabel column rather than the one-hot keys).
MulticlassClassificationMetrics onDistilled = ml.MulticlassClassification.Evaluate(
    ml.Transforms.TrainDistilledNetwork(distilled).Fit(distilledRows).Transform(keyedTest));

// The same training on as many random real images (no step column: split evenly into the steps).
var random = new Random(7);
int[] sample = Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).Take(distilled.RowCount).ToArray();
IDataView randomRows = toKey.Transform(ml.Data.LoadFromEnumerable(sample.Select(i => Digit(train, i)).ToArray()));
MulticlassClassificationMetrics onRandom = ml.MulticlassClassification.Evaluate(
    ml.Transforms.TrainDistilledNetwork(distilled).Fit(randomRows).Transform(keyedTest));

Console.WriteLine();
Console.WriteLine($"Test accuracy on {Math.Min(testRows, test.Count)} images (micro / macro):");
Console.WriteLine($"  LeNet on {distilled.RowCount} distilled images:    {onDistilled.MicroAccuracy:P2} / {onDistilled.MacroAccuracy:P2}");
Console.WriteLine($"  LeNet on {distilled.RowCount} random real images:  {onRandom.MicroAccuracy:P2} / {onRandom.MacroAccuracy:P2}");

#if MLNET_TRAINERS
// An ML.NET trainer on the distilled rows (the data was distilled for LeNet, so this only shows the rows are ordinary data).
var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features").Fit(distilledRows);
MulticlassClassificationMetrics onSdca = ml.MulticlassClassification.Evaluate(sdca.Transform(keyedTest));
Console.WriteLine($"  SdcaMaximumEntropy on the distilled images: {onSdca.MicroAccuracy:P2} / {onSdca.MacroAccuracy:P2}");
#else
Console.WriteLine("  (SdcaMaximumEntropy comparison left out: built against the ML.NET stand-in, which has no trainers.)");
#endif

static IEnumerable<DigitRow> Digits(LabeledExamples examples, int count) => Enumerable.Range(0, count).Select(i => Digit(examples, i));

static DigitRow Digit(LabeledExamples examples, int index) =>
    new() { Features = examples.Example(index).ToArray(), Label = (uint)examples.Labels[index] };

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out int value) && value > 0 ? value : fallback;
}

/// <summary>One MNIST image: 784 normalised pixels, row by row, and the digit.</summary>
public sealed class DigitRow
{
    [VectorType(784)]
    public float[] Features { get; set; } = [];

    public uint Label { get; set; }
}

/// <summary>Prints progress on the thread that runs Fit.</summary>
internal sealed class Progress(Action<DatasetDistillationProgress> report) : IProgress<DatasetDistillationProgress>
{
    public void Report(DatasetDistillationProgress value) => report(value);
}
