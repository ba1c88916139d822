using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;
using static DatasetDistillation.Samples.OptionChecks;

namespace MnistDistillation;

/// <summary>
/// <c>evaluate</c>: tests a distilled set, or a baseline of real images, as the successor papers test theirs: fresh
/// networks of a chosen architecture trained by SGD with momentum in minibatches, augmented, then scored on the test set.
/// With the network, seed and augmentation of a run it repeats that run's final test; with another network it is the
/// papers' cross-architecture test.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var distilled = new Option<string>("--distilled") { Description = "A distilled.mldd written by --method dc, dsa, dm or mtt (trained from its own rate: mtt's learned step size), or any distilled set (its images trained at 0.01, its rates ignored)." };
        var baseline = new Option<string>("--baseline") { Description = "Test a baseline instead: 'random-real' (distinct random training images of each class) or 'k-means' (each class's k-means centroids)." };
        baseline.AcceptOnlyFromAmong("random-real", "k-means");
        var imagesPerClass = Positive(new Option<int>("--images-per-class") { Description = "Images of each class in the baseline.", DefaultValueFactory = _ => 1 });
        var network = new Option<string>("--network") { Description = "The architecture tested: convnet (the papers' width 128, depth 3), lenet, mlp (two hidden layers of 128) or alexcifarnet.", DefaultValueFactory = _ => "convnet" };
        network.AcceptOnlyFromAmong(SampleData.NetworkNames);
        var augmentation = new Option<string>("--augmentation")
        {
            Description = "How test networks augment their training images: 'dsa' (DSA's and DM's: the siamese transformations), 'dc' (DC's: crop, scale, rotation by up to 45°) or 'none'.",
            DefaultValueFactory = _ => "dsa",
        };
        augmentation.AcceptOnlyFromAmong("dsa", "dc", "none");
        var evalNets = Positive(new Option<int>("--eval-nets") { Description = "Networks trained and tested.", DefaultValueFactory = _ => 10 });
        var evalEpochs = Positive(new Option<int>("--eval-epochs") { Description = "Epochs each trains (rate 0.01, a tenth after half; the papers' 1000).", DefaultValueFactory = _ => 1000 });
        var seed = new Option<int>("--seed") { Description = "The run's seed: test networks and baselines are drawn from it.", DefaultValueFactory = _ => 1 };
        var threads = Positive(new Option<int>("--threads") { Description = "Threads the kernels may use.", DefaultValueFactory = _ => Environment.ProcessorCount });
        var zca = new Option<bool>("--zca") { Description = SampleData.ZcaDescription };
        var data = new Option<string>("--data") { Description = "A folder of IDX files in MNIST's names (as for distilling). Default: the MNIST copy the repository ships." };
        var saveInitialWeights = new Option<string>("--save-initial-weights")
        {
            Description = "Also write the test networks' initial weights to this file (float32, little-endian, network after network, each in PyTorch's parameter order), for bench/evaluate.py --initial-weights to train the same networks.",
        };

        var results = new Option<string>("--results")
        {
            Description = "Keep each network's accuracy in this CSV as the test goes: the same command continues a stopped test from the networks it holds (a larger --eval-nets adds networks).",
        };

        var command = new Command("evaluate", "Tests a distilled set or a baseline as the successor papers do: fresh networks trained on it by SGD with momentum, augmented, scored on the test set.")
        {
            distilled, baseline, imagesPerClass, network, augmentation, evalNets, evalEpochs, seed, threads, data, zca, saveInitialWeights, results,
        };
        command.SetAction(result =>
        {
            string? file = result.GetValue(distilled), kind = result.GetValue(baseline);
            if ((file is null) == (kind is null))
            {
                Console.Error.WriteLine("error: give --distilled FILE or --baseline random-real|k-means (one of them).");
                return 1;
            }

            if (file is not null && result.GetResult(imagesPerClass) is { Implicit: false })
            {
                Console.Error.WriteLine("error: --images-per-class applies to --baseline only (a distilled file has its own).");
                return 1;
            }

            try
            {
                return Run(file, kind, result.GetValue(imagesPerClass), result.GetValue(network)!, result.GetValue(augmentation)!, result.GetValue(evalNets),
                    result.GetValue(evalEpochs), result.GetValue(seed), result.GetValue(threads), result.GetValue(data), result.GetValue(zca), result.GetValue(saveInitialWeights),
                    result.GetValue(results));
            }
            catch (Exception e) when (e is SampleException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static int Run(string? file, string? baseline, int imagesPerClass, string networkName, string augmentation, int networks, int epochs, int seed, int threads, string? folder, bool whiten, string? initialWeightsFile,
        string? resultsFile)
    {
        var clock = Stopwatch.StartNew();
        using TensorThreads.Scope threadLimit = TensorThreads.Limit(threads);
        var (train, test, _, std, description) = SampleData.Load(folder);
        Console.WriteLine(description);
        if (whiten)
        {
            (train, test, _, description) = SampleData.Whiten(train, test, std);
            Console.WriteLine(description);
        }

        Network network = SampleData.CreateNetwork(networkName, train.ExampleShape[^1], train.ClassCount);
        DistilledDataset? loaded = file is not null ? DistilledDataset.Load(file) : null;
        LabeledExamples images = loaded?.Examples ?? Baseline(baseline!, network, train, imagesPerClass, seed);
        if (!images.ExampleShape.SequenceEqual(train.ExampleShape) || images.ClassCount != train.ClassCount)
        {
            throw new SampleException($"{file}: its images [{string.Join(", ", images.ExampleShape)}] in {images.ClassCount} classes do not match the data's [{string.Join(", ", train.ExampleShape)}] in {train.ClassCount}.");
        }

        // One step holding every image, trained for the papers' epochs with their step decay, from the rate a matching
        // method's file carries (the same shape of schedule: MTT's learned step size, 0.01 for the others) or else 0.01.
        float rate = loaded is { Steps: 1, LearningRates: [float first, _, ..] } && loaded.LearningRates.SequenceEqual(MinibatchTraining.StepDecay(loaded.LearningRates.Length, first))
            ? first
            : new GradientMatchingOptions().EvaluationLearningRate;
        var dataset = new DistilledDataset(images.Features, images.Labels, images.ExampleShape, images.ClassCount, steps: 1, epochs: epochs, MinibatchTraining.StepDecay(epochs, rate));
        var training = new MinibatchTraining
        {
            Augmentation = augmentation switch { "dsa" => new DsaOptions(), "dc" => SampleData.DcTestAugmentation, _ => null },
        };
        Console.WriteLine($"Testing {images.Count} images ({file ?? baseline}) on {RunConsole.Counted(networks, $"fresh {networkName} network")}: {RunConsole.Counted(epochs, "epoch")} of SGD from rate {rate:G4} each, augmentation {augmentation}");
        int evaluationSeed = SampleData.EvaluationSeed(seed);
        float[][] initialWeights = [.. Enumerable.Range(0, networks).Select(Evaluation.RandomInitializations(network, InitScheme.PyTorchDefault, evaluationSeed))];
        if (initialWeightsFile is not null)
        {
            SaveInitialWeights(initialWeightsFile, initialWeights);
        }

        // Everything that decides the networks' accuracies, but not how many networks there are nor the threads.
        string tested = file is not null ? $"--distilled {SampleData.Fingerprint(file)}" : $"--baseline {baseline} --images-per-class {imagesPerClass}";
        string testName = $"{tested} --network {networkName} --augmentation {augmentation} --eval-epochs {epochs} --seed {seed}{(whiten ? " --zca" : string.Empty)} --data {(folder is null ? "MNIST" : Path.GetFullPath(folder))}";
        TestResults? kept = resultsFile is null ? null : TestResults.Open(resultsFile, testName);
        var accuracies = new double[networks];
        for (int i = 0; i < networks; i++)
        {
            if (kept is not null && kept.TryGet(i + 1, out accuracies[i]))
            {
                Console.WriteLine($"  network {i + 1}/{networks}: {accuracies[i]:P2} (from {resultsFile})");
                continue;
            }

            accuracies[i] = Evaluation.Accuracy(network, SampleData.TrainTestNetwork(network, dataset, initialWeights[i], training, evaluationSeed, i), test);
            kept?.Add(i + 1, accuracies[i]);
            Console.WriteLine($"  network {i + 1}/{networks}: {accuracies[i]:P2}");
        }

        Console.WriteLine($"Test accuracy: {AccuracySummary.Of(accuracies)} ({networkName}); wall time {RunConsole.Format(clock.Elapsed)}");
        return 0;
    }

    /// <summary>The flat weight vectors one after another as float32, written to a temporary name and moved into place.</summary>
    private static void SaveInitialWeights(string path, float[][] weights)
    {
        using var file = new AtomicFile(path);
        using (var writer = new BinaryWriter(file.Stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            foreach (float[] vector in weights)
            {
                DistilledDataset.WriteFloats(writer, vector);
            }
        }

        file.Commit();
    }

    /// <summary>Random real images or k-means centroids of each class, class by class.</summary>
    private static LabeledExamples Baseline(string kind, Network network, LabeledExamples train, int imagesPerClass, int seed)
    {
        var options = new BaselineOptions { ExamplesPerClassPerStep = imagesPerClass, Steps = 1, Epochs = 1, LearningRate = 0.01f, Seed = seed };
        BaselineKind baseline = kind == "k-means" ? BaselineKind.KMeans : BaselineKind.RandomReal;
        return Baselines.Create(baseline, network, train, options, _ => throw new InvalidOperationException("A baseline with a fixed rate scores no network.")).Examples;
    }
}
