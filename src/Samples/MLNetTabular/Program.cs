// Dataset distillation of a tabular dataset through ML.NET: a synthetic 4-class problem in 12 features (no download),
// distilled for a small MLP into 5 steps × 2 rows per class, then the MLP is trained on the distilled rows with the
// learned learning rates and evaluated with ML.NET's evaluator, next to the same training on as many random real rows,
// and next to ML.NET's SdcaMaximumEntropy in one pipeline: MapValueToKey → DistillDataset → SdcaMaximumEntropy.
//
// Usage: dotnet run -c Release --project src/Samples/MLNetTabular [-- --iterations N]
using System.CommandLine;
using System.CommandLine.Invocation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using static DatasetDistillation.Samples.OptionChecks;

var iterationsOption = Positive(new Option<int>("--iterations") { Description = "Outer iterations of the distillation.", DefaultValueFactory = _ => 150 });
ParseResult parsed = new RootCommand("Distils a synthetic 4-class table through ML.NET's DistillDataset and trains an MLP on the distilled rows.")
{
    iterationsOption,
}.Parse(args);
if (parsed.Action is ParseErrorAction parseError)
{
    parseError.ShowHelp = false; // the error alone; --help shows the options
}

if (parsed.Action is not null)
{
    return parsed.Invoke(); // --help, or a parse error (exit code 1)
}

int iterations = parsed.GetValue(iterationsOption);
var ml = new MLContext(seed: 1);

// Labels are plain ints (10, 20, 30, 40): like ML.NET's multiclass trainers, DistillDataset takes a key label, so the
// pipeline maps them first; the key values (the ints) carry over to the distilled rows and the predictions.
IDataView train = ml.Data.LoadFromEnumerable(Synthetic(4_000, seed: 1));
IDataView test = ml.Data.LoadFromEnumerable(Synthetic(2_000, seed: 2));
var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
IDataView keyedTrain = toKey.Transform(train), keyedTest = toKey.Transform(test);

var options = new DatasetDistillationOptions
{
    FeatureColumnName = "Features",
    LabelColumnName = "Label",
    ExamplesPerClassPerStep = 2,
    Steps = 5,
    Epochs = 2,
    Iterations = iterations,
    RealBatchSize = 256,
    MlpHiddenSizes = [32],
    InitializationMode = DistillationInitializationMode.Random, // the rows must train any initialisation
    LearningRate = 0.02f,
};
DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(options).Fit(keyedTrain);
Console.WriteLine($"Distilled 4000 rows into {distilled.RowCount} rows ({distilled.Steps} steps × {distilled.ClassCount} classes × {distilled.ExamplesPerClassPerStep}).");

// Networks from fresh initialisations (seeds 100…104), trained on the distilled rows and on random real rows.
var accuracies = new List<(double Distilled, double Random)>();
for (int seed = 100; seed < 105; seed++)
{
    var learner = ml.MulticlassClassification.Trainers.DistilledNetwork(distilled, initializationSeed: seed);
    double onDistilled = ml.MulticlassClassification.Evaluate(learner.Fit(distilled.DistilledData).Transform(keyedTest)).MicroAccuracy;
    IDataView sample = ml.Data.TakeRows(ml.Data.ShuffleRows(keyedTrain, seed: seed), distilled.RowCount);
    double onRandom = ml.MulticlassClassification.Evaluate(learner.Fit(sample).Transform(keyedTest)).MicroAccuracy;
    accuracies.Add((onDistilled, onRandom));
}

Console.WriteLine($"MLP test accuracy over 5 fresh initialisations: distilled rows {accuracies.Average(a => a.Distilled):P2}, " +
                  $"random real rows {accuracies.Average(a => a.Random):P2}.");

// One pipeline: the distillation hands its rows to SDCA while fitting; the fitted chain then scores the test rows themselves.
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.DistillDataset(options))
    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features"));
var model = pipeline.Fit(train);
Console.WriteLine($"MapValueToKey → DistillDataset → SdcaMaximumEntropy, on the test rows: {ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy:P2}.");
return 0;

static TabularRow[] Synthetic(int count, int seed)
{
    // Four classes around the corners of a square in features 0–1, a noisy copy in 2–3, and 8 features of pure noise.
    var random = new Random(seed);
    double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    return Enumerable.Range(0, count).Select(i =>
    {
        int c = random.Next(4);
        double x = (c % 2 == 0 ? -1 : 1) + 0.6 * Normal(), y = (c / 2 == 0 ? -1 : 1) + 0.6 * Normal();
        var features = new float[12];
        features[0] = (float)x;
        features[1] = (float)y;
        features[2] = (float)(x + 0.5 * Normal());
        features[3] = (float)(y + 0.5 * Normal());
        for (int f = 4; f < 12; f++)
        {
            features[f] = (float)Normal();
        }

        return new TabularRow { Features = features, Label = 10 * (c + 1) };
    }).ToArray();
}

/// <summary>A row of the synthetic table.</summary>
public sealed class TabularRow
{
    [VectorType(12)]
    public float[] Features { get; set; } = [];

    public int Label { get; set; }
}
