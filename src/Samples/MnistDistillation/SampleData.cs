using System.Security.Cryptography;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace MnistDistillation;

/// <summary>The images, networks and test protocol that distilling and <c>evaluate</c> share.</summary>
internal static class SampleData
{
    /// <summary>The networks <c>--network</c> names.</summary>
    public static readonly string[] NetworkNames = ["lenet", "convnet", "mlp", "alexcifarnet"];

    /// <summary>
    /// The shipped MNIST (normalised by MNIST's constants), or a folder of IDX files in MNIST's names normalised by its
    /// training pixels; with the pixel mean and standard deviation used and a line that says what was loaded.
    /// </summary>
    public static (LabeledExamples Train, LabeledExamples Test, float Mean, float Std, string Description) Load(string? folder)
    {
        if (folder is null)
        {
            string shipped = MnistDataset.FindDataFolder();
            LabeledExamples train = MnistDataset.Load(shipped, MnistSplit.Train), test = MnistDataset.Load(shipped, MnistSplit.Test);
            return (train, test, MnistDataset.Mean, MnistDataset.Std,
                $"MNIST: {train.Count} training and {test.Count} test images from {Path.GetRelativePath(Environment.CurrentDirectory, shipped)}");
        }

        if (!Directory.Exists(folder))
        {
            throw new SampleException($"--data: the folder {folder} does not exist.");
        }

        var (trainSet, testSet, mean, std) = MnistDataset.LoadNormalizedByTraining(folder);
        int side = trainSet.ExampleShape[^1];
        return (trainSet, testSet, mean, std,
            $"Data: {trainSet.Count} training and {testSet.Count} test images of {side}×{side} pixels in {trainSet.ClassCount} classes from {folder}, " +
            $"normalised by the training pixels' mean {mean:G4} and standard deviation {std:G4}");
    }

    /// <summary>The help text of <c>--zca</c>, for distilling and <c>evaluate</c> alike.</summary>
    public const string ZcaDescription =
        "Whiten the images by ZCA fitted to the training images (epsilon 0.1 on 0..1 pixels, as trajectory matching does for CIFAR), " +
        "then distil, train and test on whitened images; the pictures show them un-whitened. Evaluate a run's file with the same flag.";

    /// <summary>
    /// Whitens both splits by <see cref="ZcaWhitening"/> fitted to the training images, with the trajectory-matching
    /// reference's ε = 0.1 for 0..1 pixels: on pixels normalised by <paramref name="std"/> that is ε = 0.1 · std².
    /// </summary>
    public static (LabeledExamples Train, LabeledExamples Test, ZcaWhitening Zca, string Description) Whiten(LabeledExamples train, LabeledExamples test, float std)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var zca = ZcaWhitening.Fit(train, epsilon: 0.1f * std * std);
        return (zca.Transform(train), zca.Transform(test), zca,
            $"ZCA-whitened both splits ({zca.FeatureCount} features, epsilon 0.1 on 0..1 pixels) in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// A network for square grey images: LeNet, the successor papers' ConvNet (width 128, depth 3, instance norm), their
    /// MLP (two hidden layers of 128) or AlexCifarNet.
    /// </summary>
    public static Network CreateNetwork(string name, int side, int classes) => name switch
    {
        "lenet" => new LeNet(1, side, side, classes),
        "convnet" => new ConvNet(1, side, side, classes),
        "mlp" => new Mlp([1, side, side], classes, 128, 128),
        "alexcifarnet" => new AlexCifarNet(1, side, side, classes),
        _ => throw new SampleException($"--network: unknown network '{name}'; choose {string.Join(", ", NetworkNames)}."),
    };

    /// <summary>The augmentation of DC's test training on MNIST (its reference: crop, scale and rotation by up to 45°), made of DSA's transformations.</summary>
    public static DsaOptions DcTestAugmentation => new() { Strategy = "crop_scale_rotate", RotateDegrees = 45f };

    /// <summary>"sha256:" and the first 16 hex digits of the file's SHA-256: which file a test's results belong to.</summary>
    public static string Fingerprint(string file) => $"sha256:{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)))[..16]}";

    /// <summary>The test networks' seed: another than the distillation's.</summary>
    public static int EvaluationSeed(int seed) => unchecked(seed + 1000);

    /// <summary>
    /// Test network <paramref name="index"/> trained by the successor papers' protocol from <paramref name="initialWeights"/>:
    /// its shuffles and augmentations come from the evaluation seed and its index, so <c>evaluate</c> repeats a run's final test.
    /// </summary>
    public static float[] TrainTestNetwork(
        Network network, DistilledDataset distilled, float[] initialWeights, MinibatchTraining training, int evaluationSeed, int index, CancellationToken cancellationToken = default) =>
        Evaluation.TrainWithMinibatches(network, distilled, initialWeights, training, new Random(unchecked(evaluationSeed * 1_000_003 + index)), cancellationToken);
}
