// Dataset distillation of a tabular dataset through ML.NET: a synthetic 4-class problem in 12 features (no download),
// distilled for a small MLP into 5 steps × 2 rows per class, then the MLP is trained on the distilled rows with the
// learned learning rates and evaluated with ML.NET's evaluator, next to the same training on as many random real rows.
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

// Labels are plain ints (10, 20, 30, 40): the layer maps them to classes in ascending order and keeps the values.
IDataView train = ml.Data.LoadFromEnumerable(Synthetic(4_000, seed: 1));
IDataView test = ml.Data.LoadFromEnumerable(Synthetic(2_000, seed: 2));

DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(new DatasetDistillationOptions
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
}).Fit(train);

IDataView distilledRows = distilled.Transform(train);
Console.WriteLine($"Distilled 4000 rows into {distilled.RowCount} rows ({distilled.Steps} steps × {distilled.ClassCount} classes × {distilled.ExamplesPerClassPerStep}).");

// The test labels are ints too: map them to the distilled keys with the distilled label's key values.
IDataView keyedTest = KeyedTest(test);

// Networks from fresh initialisations (seeds 100…104), trained on the distilled rows and on random real rows.
var accuracies = new List<(double Distilled, double Random)>();
var random = new Random(3);
TabularRow[] trainRows = Synthetic(4_000, seed: 1);
for (int seed = 100; seed < 105; seed++)
{
    double onDistilled = ml.MulticlassClassification.Evaluate(
        ml.Transforms.TrainDistilledNetwork(distilled, initializationSeed: seed).Fit(distilledRows).Transform(keyedTest)).MicroAccuracy;
    TabularRow[] sample = trainRows.OrderBy(_ => random.Next()).Take(distilled.RowCount).ToArray();
    double onRandom = ml.MulticlassClassification.Evaluate(
        ml.Transforms.TrainDistilledNetwork(distilled, initializationSeed: seed).Fit(KeyedTest(ml.Data.LoadFromEnumerable(sample))).Transform(keyedTest)).MicroAccuracy;
    accuracies.Add((onDistilled, onRandom));
}

Console.WriteLine($"MLP test accuracy over 5 fresh initialisations: distilled rows {accuracies.Average(a => a.Distilled):P2}, " +
                  $"random real rows {accuracies.Average(a => a.Random):P2}.");

#if MLNET_TRAINERS
var sdca = ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features").Fit(distilledRows);
Console.WriteLine($"SdcaMaximumEntropy on the distilled rows: {ml.MulticlassClassification.Evaluate(sdca.Transform(keyedTest)).MicroAccuracy:P2}.");
#else
Console.WriteLine("(SdcaMaximumEntropy comparison left out: built against the ML.NET stand-in, which has no trainers.)");
#endif
return 0;

// Int labels → the distilled keys: the distilled label's KeyValues are the sorted distinct ints, so key = index + 1.
IDataView KeyedTest(IDataView data)
{
    VBuffer<int> values = default;
    distilledRows.Schema["Label"].GetKeyValues(ref values);
    int[] classes = values.DenseValues().ToArray();
    var rows = ml.Data.CreateEnumerable<TabularRow>(data, reuseRowObject: false)
        .Select(r => new KeyedRow { Features = r.Features, Label = (uint)(Array.IndexOf(classes, r.Label) + 1) });
    var definition = SchemaDefinition.Create(typeof(KeyedRow));
    definition["Label"]!.ColumnType = new KeyDataViewType(typeof(uint), classes.Length);
    return ml.Data.LoadFromEnumerable(rows.ToArray(), definition);
}

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

/// <summary>A row with its label as a key of the distilled classes.</summary>
public sealed class KeyedRow
{
    [VectorType(12)]
    public float[] Features { get; set; } = [];

    public uint Label { get; set; }
}
