// Which small training set serves which trainer? MNIST is condensed to 100 rows (10 steps × 1 row per class) by each
// DistillDataset method: the paper's unrolled distillation (for LeNet, random initialisation), random rows, class
// means, k-means centroids and distribution matching. Each set then trains ML.NET's SdcaMaximumEntropy,
// LbfgsMaximumEntropy and LightGbm (default settings, one thread; LightGbm also with 2 rows per leaf instead of 20) and
// the paper's learner (LeNet with the set's schedule, mean ± std over fresh networks), and every model is scored on the
// MNIST test set. Prints a Markdown table; --out also writes it to a file.
//
//   dotnet run -c Release --project src/Samples/MLNetTransfer [-- --iterations 400 --seeds 3 --out transfer.md]
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;
using static DatasetDistillation.Samples.OptionChecks;

var iterations = Positive(new Option<int>("--iterations") { Description = "Outer iterations of the unrolled distillation.", DefaultValueFactory = _ => 400 });
var seeds = Positive(new Option<int>("--seeds") { Description = "Condensation seeds (1, 2, …); each cell is the mean over them.", DefaultValueFactory = _ => 1 });
var networks = Positive(new Option<int>("--networks") { Description = "Fresh LeNets trained per set for the paper's learner.", DefaultValueFactory = _ => 10 });
var trainRows = Positive(new Option<int>("--train-rows") { Description = "MNIST training images to condense (at most 60,000).", DefaultValueFactory = _ => 60_000 });
var testRows = Positive(new Option<int>("--test-rows") { Description = "MNIST test images to score on (at most 10,000).", DefaultValueFactory = _ => 10_000 });
var output = new Option<string?>("--out") { Description = "Also write the Markdown table to this file." };
var command = new RootCommand("Trains ML.NET's trainers and the paper's learner on MNIST condensed by each DistillDataset method.")
{
    iterations, seeds, networks, trainRows, testRows, output,
};
command.SetAction(r => Run(r.GetValue(iterations), r.GetValue(seeds), r.GetValue(networks), r.GetValue(trainRows), r.GetValue(testRows), r.GetValue(output)));
return Invoke(command, args);

static int Run(int iterations, int seedCount, int networkCount, int trainRows, int testRows, string? output)
{
    string folder = MnistDataset.FindDataFolder();
    LabeledExamples train = MnistDataset.Load(folder, MnistSplit.Train);
    LabeledExamples test = MnistDataset.Load(folder, MnistSplit.Test);
    var ml = new MLContext(seed: 1);
    IDataView trainView = ml.Data.LoadFromEnumerable(Digits(train, Math.Min(trainRows, train.Count)));
    var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainView);
    IDataView keyedTrain = toKey.Transform(trainView);
    IDataView keyedTest = toKey.Transform(ml.Data.LoadFromEnumerable(Digits(test, Math.Min(testRows, test.Count))));

    // One thread each, so that every number is reproducible.
    (string Name, Func<IDataView, ITransformer> Fit)[] trainers =
    [
        ("SdcaMaximumEntropy", rows => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options { NumberOfThreads = 1 }).Fit(rows)),
        ("LbfgsMaximumEntropy", rows => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options { NumberOfThreads = 1 }).Fit(rows)),
        ("LightGbm", rows => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options { NumberOfThreads = 1, Seed = 1 }).Fit(rows)),
        // Its default of 20 rows per leaf leaves little to split among 10 rows per class.
        ("LightGbm, 2 rows per leaf", rows => ml.MulticlassClassification.Trainers.LightGbm(
            new LightGbmMulticlassTrainer.Options { NumberOfThreads = 1, Seed = 1, MinimumExampleCountPerLeaf = 2 }).Fit(rows)),
    ];
    DistillationMethod[] methods = [DistillationMethod.Unrolled, DistillationMethod.RandomRows, DistillationMethod.ClassMeans, DistillationMethod.KMeansCentroids,
        DistillationMethod.DistributionMatching];
    double Accuracy(ITransformer model) => ml.MulticlassClassification.Evaluate(model.Transform(keyedTest)).MicroAccuracy;

    var table = new StringBuilder();
    table.AppendLine($"| rows (100) | {string.Join(" | ", trainers.Select(t => t.Name))} | paper's learner (LeNet, {networkCount} fresh networks) | condensing time |");
    table.AppendLine($"|---|{string.Concat(Enumerable.Repeat("---|", trainers.Length + 2))}");
    foreach (DistillationMethod method in methods)
    {
        var perTrainer = new double[trainers.Length, seedCount];
        var lenet = new List<double>();
        var clock = new Stopwatch();
        for (int s = 0; s < seedCount; s++)
        {
            var options = new DatasetDistillationOptions
            {
                Method = method,
                ImageShape = new ImageShape(1, MnistDataset.ImageSide, MnistDataset.ImageSide), // LeNet
                Steps = 10,
                Epochs = 3,
                ExamplesPerClassPerStep = 1,
                Iterations = iterations,
                InitializationMode = DistillationInitializationMode.Random,
                Seed = s + 1,
            };
            clock.Start();
            DatasetDistillationTransformer condensed = ml.Transforms.DistillDataset(options).Fit(keyedTrain);
            clock.Stop();
            for (int t = 0; t < trainers.Length; t++)
            {
                perTrainer[t, s] = Accuracy(trainers[t].Fit(condensed.DistilledData));
            }

            for (int n = 0; n < networkCount; n++)
            {
                lenet.Add(Accuracy(ml.MulticlassClassification.Trainers.DistilledNetwork(condensed, initializationSeed: 1_000 + n).Fit(condensed.DistilledData)));
            }

            Console.WriteLine($"  {method}, seed {s + 1}: {string.Join(", ", Enumerable.Range(0, trainers.Length).Select(t => $"{trainers[t].Name} {perTrainer[t, s]:P2}"))}, " +
                              $"LeNet {lenet.Skip(s * networkCount).Average():P2}");
        }

        string cells = string.Join(" | ", Enumerable.Range(0, trainers.Length).Select(t => Percent(Enumerable.Range(0, seedCount).Select(s => perTrainer[t, s]).ToArray())));
        table.AppendLine($"| {Describe(method, iterations)} | {cells} | {Percent([.. lenet])} | {clock.Elapsed.TotalSeconds / seedCount:F0} s |");
    }

    string text = table.ToString();
    Console.WriteLine();
    Console.WriteLine($"Test accuracy (micro) on {Math.Min(testRows, test.Count)} MNIST test images, mean over {seedCount} condensation seed(s){(seedCount > 1 ? " ± std" : string.Empty)}:");
    Console.WriteLine();
    Console.Write(text);
    if (output is not null)
    {
        // Written beside the target and moved into place, so the file is never half-written.
        string temporary = output + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, output, overwrite: true);
    }

    return 0;
}

static string Describe(DistillationMethod method, int iterations) => method switch
{
    DistillationMethod.Unrolled => $"distilled (Unrolled, {iterations} iterations, random init)",
    DistillationMethod.RandomRows => "random real rows (RandomRows)",
    DistillationMethod.ClassMeans => "class means (ClassMeans)",
    DistillationMethod.KMeansCentroids => "k-means centroids (KMeansCentroids)",
    _ => $"distribution matching (DistributionMatching, {iterations} iterations, LeNet embeddings)",
};

static string Percent(double[] values)
{
    double mean = values.Average();
    if (values.Length == 1)
    {
        return (100 * mean).ToString("F2", CultureInfo.InvariantCulture) + " %";
    }

    double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    return string.Create(CultureInfo.InvariantCulture, $"{100 * mean:F2} ± {100 * std:F2} %");
}

static IEnumerable<DigitRow> Digits(LabeledExamples examples, int count) =>
    Enumerable.Range(0, count).Select(i => new DigitRow { Features = examples.Example(i).ToArray(), Label = (uint)examples.Labels[i] });

/// <summary>One MNIST image: 784 normalised pixels, row by row, and the digit.</summary>
public sealed class DigitRow
{
    [VectorType(784)]
    public float[] Features { get; set; } = [];

    public uint Label { get; set; }
}
