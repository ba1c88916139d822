// Dataset distillation from image files, the ML.NET way: a folder of PNG digits (written here from the MNIST files the
// repository ships, since nothing can be downloaded) is read with Microsoft.ML.ImageAnalytics (LoadImages → ResizeImages
// → ExtractPixels), its labels keyed with MapValueToKey, and distilled by DistillDataset for LeNet. The distilled rows
// then train LeNet with the learned schedule (next to the same training on as many random images), and one fitted
// pipeline (… → DistillDataset with k-means centroids → SdcaMaximumEntropy) scores the test images.
//
//   dotnet run -c Release --project src/Samples/MLNetImageFolder [-- --train-images 500 --test-images 500 --iterations 200]
using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;
using static DatasetDistillation.Samples.OptionChecks;

var trainImages = Positive(new Option<int>("--train-images") { Description = "Training digits written as PNG files and distilled.", DefaultValueFactory = _ => 500 });
var testImages = Positive(new Option<int>("--test-images") { Description = "Test digits written as PNG files and scored.", DefaultValueFactory = _ => 500 });
var iterations = Positive(new Option<int>("--iterations") { Description = "Outer iterations of the distillation.", DefaultValueFactory = _ => 200 });
var folderOption = new Option<string>("--images") { Description = "The folder the PNG files are written to (created; existing files are replaced).", DefaultValueFactory = _ => Path.Combine("out", "mnist-png") };
var command = new RootCommand("Distils MNIST digits read from PNG files through ML.NET's image transforms.") { trainImages, testImages, iterations, folderOption };
command.SetAction(r => Run(r.GetValue(trainImages), r.GetValue(testImages), r.GetValue(iterations), r.GetValue(folderOption)!));
return Invoke(command, args);

static int Run(int trainCount, int testCount, int iterations, string folder)
{
    ImageRow[] train = WritePngs(folder, "train", MnistSplit.Train, trainCount);
    ImageRow[] test = WritePngs(folder, "t10k", MnistSplit.Test, testCount);
    Console.WriteLine($"Wrote {train.Length} training and {test.Length} test digits as PNG files to {Path.GetFullPath(folder)}.");

    var ml = new MLContext(seed: 1);
    // Pixels 0…255 become (p − 33.3) / 78.6, MNIST's usual normalisation (mean 0.1307, deviation 0.3081 on a 0…1 scale).
    var images = ml.Transforms.LoadImages("Image", folder, nameof(ImageRow.ImagePath))
        .Append(ml.Transforms.ResizeImages("Image", MnistDataset.ImageSide, MnistDataset.ImageSide))
        .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red,
            offsetImage: -255 * MnistDataset.Mean, scaleImage: 1 / (255 * MnistDataset.Std)))
        .Append(ml.Transforms.Conversion.MapValueToKey("Label"));
    IDataView trainView = ml.Data.LoadFromEnumerable(train), testView = ml.Data.LoadFromEnumerable(test);
    var prepare = images.Fit(trainView);
    IDataView pixels = prepare.Transform(trainView), testPixels = prepare.Transform(testView);

    var options = new DatasetDistillationOptions
    {
        ImageShape = new ImageShape(1, MnistDataset.ImageSide, MnistDataset.ImageSide), // LeNet
        Steps = 10,
        Epochs = 3,
        ExamplesPerClassPerStep = 1,
        Iterations = iterations,
        RealBatchSize = 256,
        LearningRate = 0.03f,
        InitializationMode = DistillationInitializationMode.Fixed,
    };
    DatasetDistillationTransformer distilled = ml.Transforms.DistillDataset(options).Fit(pixels);
    Console.WriteLine($"Distilled {train.Length} images into {distilled.RowCount} ({iterations} iterations).");

    double Accuracy(ITransformer model, IDataView data) => ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;
    var lenet = ml.MulticlassClassification.Trainers.DistilledNetwork(distilled);
    IDataView randomRows = ml.Data.TakeRows(ml.Data.ShuffleRows(pixels, seed: 7), distilled.RowCount);
    Console.WriteLine($"LeNet with the learned schedule on {test.Length} test images: distilled rows {Accuracy(lenet.Fit(distilled.DistilledData), testPixels):P2}, " +
                      $"{distilled.RowCount} random training images {Accuracy(lenet.Fit(randomRows), testPixels):P2}.");

    // One pipeline from image files to an ML.NET trainer: fitting hands the condensed rows to SDCA, scoring sees the test
    // images. Rows learned for one LeNet do not suit SDCA; per-class k-means centroids do (see docs/results.md).
    var condense = new DatasetDistillationOptions { Method = DistillationMethod.KMeansCentroids, Steps = 10, ExamplesPerClassPerStep = 1 };
    var pipeline = images.Append(ml.Transforms.DistillDataset(condense)).Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy());
    var model = pipeline.Fit(trainView);
    Console.WriteLine($"One pipeline, PNG files → … → DistillDataset (KMeansCentroids, 100 rows) → SdcaMaximumEntropy, on the test images: {Accuracy(model, testView):P2}.");
    return 0;
}

// The first `count` digits of a split as 8-bit grey PNG files, named <prefix>-<index>.png.
static ImageRow[] WritePngs(string folder, string prefix, MnistSplit split, int count)
{
    Directory.CreateDirectory(folder);
    string data = MnistDataset.FindDataFolder();
    IdxArray images = IdxReader.Read(IdxPath(data, $"{prefix}-images-idx3-ubyte"));
    IdxArray labels = IdxReader.Read(IdxPath(data, $"{prefix}-labels-idx1-ubyte"));
    int side = MnistDataset.ImageSide, pixels = side * side;
    count = Math.Min(count, images.Count);
    var rows = new ImageRow[count];
    for (int i = 0; i < count; i++)
    {
        string name = $"{prefix}-{i:D5}.png";
        PngWriter.Write(Path.Combine(folder, name), images.Data.AsSpan(i * pixels, pixels), side, side, PngColorType.Grayscale);
        rows[i] = new ImageRow { ImagePath = name, Label = labels.Data[i] };
    }

    return rows;
}

static string IdxPath(string folder, string name) =>
    new[] { name, name + ".gz" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists)
    ?? throw new FileNotFoundException($"Neither {name} nor {name}.gz is in {folder}.");

/// <summary>One image file and its digit.</summary>
public sealed class ImageRow
{
    public string ImagePath { get; set; } = "";

    public uint Label { get; set; }
}
