using System.CommandLine;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;
using static DatasetDistillation.Samples.OptionChecks;

namespace MnistDistillation;

/// <summary>Everything the command line sets.</summary>
internal sealed record SampleOptions(
    InitializationMode Init,
    InitScheme Scheme,
    int Steps,
    int Epochs,
    int ImagesPerClass,
    int Iterations,
    int Batch,
    float LearningRate,
    float StepLearningRate,
    int Seed,
    int Threads,
    int EvalEvery,
    int EvalNets,
    string Out,
    bool Resume,
    bool Force,
    int CheckpointEvery,
    int KeepBestEvery,
    bool DataFromRealImages,
    bool LearnLabels,
    float? LabelLearningRateScale)
{
    /// <summary>Networks trained at each periodic evaluation (random init); the final one uses <see cref="EvalNets"/>.</summary>
    public const int PeriodicEvalNets = 20;

    public string CheckpointPath => Path.Combine(Out, "checkpoint.mldc");

    /// <summary>The library's settings for this run.</summary>
    public DistillationOptions ToDistillationOptions() => new()
    {
        Initialization = Init,
        InitScheme = Scheme,
        Steps = Steps,
        Epochs = Epochs,
        ExamplesPerClassPerStep = ImagesPerClass,
        Iterations = Iterations,
        RealBatchSize = Batch,
        LearningRate = LearningRate,
        InitialStepLearningRate = StepLearningRate,
        Seed = Seed,
        KeepBestEvery = KeepBestEvery,
        InitializeFromRealExamples = DataFromRealImages,
        LearnLabels = LearnLabels,
        LabelLearningRateScale = LabelLearningRateScale,
    };
}

/// <summary>The command line: options, their defaults and their checks.</summary>
internal static class CommandLine
{
    public static RootCommand Create(Func<SampleOptions, int> run)
    {
        var init = new Option<string>("--init")
        {
            Description = "Initial weights while distilling: 'fixed' (one network, reused) or 'random' (a fresh network every iteration).",
            DefaultValueFactory = _ => "random",
        };
        init.AcceptOnlyFromAmong("fixed", "random");
        var initScheme = new Option<string>("--init-scheme")
        {
            Description = "How initial weights are drawn, while distilling and for the test networks (biases are zero).",
            DefaultValueFactory = _ => SchemeNames[InitScheme.XavierNormal],
        };
        initScheme.AcceptOnlyFromAmong([.. SchemeNames.Values]);
        var steps = Positive(new Option<int>("--steps") { Description = "Distinct gradient steps, each with its own distilled images.", DefaultValueFactory = _ => 10 });
        var epochs = Positive(new Option<int>("--epochs") { Description = "Passes over the steps when training on the distilled data.", DefaultValueFactory = _ => 3 });
        var imagesPerClass = Positive(new Option<int>("--images-per-class") { Description = "Distilled images of each digit in each step.", DefaultValueFactory = _ => 1 });
        var iterations = Positive(new Option<int>("--iterations") { Description = "Outer iterations (one real batch and one Adam update each).", DefaultValueFactory = _ => 400 });
        var batch = Positive(new Option<int>("--batch") { Description = "Real MNIST images per iteration.", DefaultValueFactory = _ => 1024 });
        var lr = PositiveReal(new Option<float>("--lr") { Description = "Adam's learning rate on the distilled images and rates.", DefaultValueFactory = _ => 0.01f });
        var stepLr = PositiveReal(new Option<float>("--step-lr") { Description = "Initial learning rate of every inner step (learned from there).", DefaultValueFactory = _ => 0.02f });
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 1 };
        var threads = Positive(new Option<int>("--threads") { Description = "Threads the kernels may use.", DefaultValueFactory = _ => Environment.ProcessorCount });
        var evalEvery = NonNegative(new Option<int>("--eval-every") { Description = "Iterations between test evaluations during the run (0: only at the end).", DefaultValueFactory = _ => 100 });
        var evalNets = Positive(new Option<int>("--eval-nets")
        {
            Description = "Random networks trained for the final test accuracy (random init). 50 keep the standard error of the mean near 0.4 points " +
                $"(the spread between networks is about 2.8) at about 0.4 s each; 200, as the README's figures used, halve it. Periodic evaluations use at most {SampleOptions.PeriodicEvalNets}.",
            DefaultValueFactory = _ => 50,
        });
        var output = new Option<string>("--out") { Description = "Output folder (default: ./out/mnist-<init>)." };
        var resume = new Option<bool>("--resume") { Description = "Continue from <out>/checkpoint.mldc with the remaining iterations." };
        var force = new Option<bool>("--force") { Description = "Start afresh even where <out> holds a finished run, replacing its outputs." };
        var checkpointEvery = NonNegative(new Option<int>("--checkpoint-every") { Description = "Iterations between checkpoints (0: only when stopped or finished).", DefaultValueFactory = _ => 100 });
        var keepBestEvery = NonNegative(new Option<int>("--keep-best-every")
        {
            Description = $"Iterations between scores on {new DistillationOptions().KeepBestExamples:N0} training images; the best-scoring snapshot is kept instead of the last (0: keep the last, as the paper).",
            DefaultValueFactory = _ => 0,
        });
        var dataInit = new Option<string>("--data-init")
        {
            Description = "What the distilled images start from: 'noise' (N(0, 1) in normalised pixels, as the paper) or 'real' (random training images of their digit).",
            DefaultValueFactory = _ => "noise",
        };
        dataInit.AcceptOnlyFromAmong("noise", "real");
        var learnLabels = new Option<bool>("--learn-labels")
        {
            Description = "Learn a label vector for each distilled image too (soft labels, beyond the paper, whose labels are fixed one-hot digits).",
        };
        var labelLrScale = PositiveReal(new Option<float?>("--label-lr-scale")
        {
            Description = "With --learn-labels: the labels' learning rate as a fraction of --lr (default: 0.1 with --init random, where 1 diverged; 1 with --init fixed).",
        });

        var command = new RootCommand(
            "Distils MNIST into a few synthetic images per digit and a learned learning-rate schedule (Wang et al., Dataset Distillation, 2018). " +
            "Ctrl+C stops between iterations and writes a checkpoint; the same command with --resume continues.")
        {
            init, initScheme, steps, epochs, imagesPerClass, iterations, batch, lr, stepLr, seed, threads, evalEvery, evalNets, output, resume, force, checkpointEvery, keepBestEvery, dataInit, learnLabels, labelLrScale,
        };

        command.SetAction(result =>
        {
            string mode = result.GetValue(init)!;
            return run(new SampleOptions(
                mode == "fixed" ? InitializationMode.Fixed : InitializationMode.Random,
                SchemeNames.Single(name => name.Value == result.GetValue(initScheme)).Key,
                result.GetValue(steps), result.GetValue(epochs), result.GetValue(imagesPerClass), result.GetValue(iterations),
                result.GetValue(batch), result.GetValue(lr), result.GetValue(stepLr), result.GetValue(seed), result.GetValue(threads),
                result.GetValue(evalEvery), result.GetValue(evalNets),
                result.GetValue(output) is { Length: > 0 } folder ? folder : Path.Combine("out", $"mnist-{mode}"),
                result.GetValue(resume), result.GetValue(force), result.GetValue(checkpointEvery), result.GetValue(keepBestEvery),
                result.GetValue(dataInit) == "real", result.GetValue(learnLabels), result.GetValue(labelLrScale)));
        });
        return command;
    }

    /// <summary>The command-line name of each initialisation scheme.</summary>
    public static readonly IReadOnlyDictionary<InitScheme, string> SchemeNames = new Dictionary<InitScheme, string>
    {
        [InitScheme.XavierNormal] = "xavier-normal",
        [InitScheme.XavierUniform] = "xavier-uniform",
        [InitScheme.KaimingNormal] = "kaiming-normal",
        [InitScheme.KaimingUniform] = "kaiming-uniform",
    };
}
