using System.CommandLine;
using Microsoft.ML.DatasetDistillation;
using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;
using static DatasetDistillation.Samples.OptionChecks;

namespace MnistDistillation;

/// <summary>The distillation methods the sample runs.</summary>
internal enum SampleMethod
{
    /// <summary>Wang et al. 2018, the unrolled method (the default).</summary>
    Paper,

    /// <summary>Gradient matching (Zhao, Mopuri and Bilen 2021).</summary>
    Dc,

    /// <summary>Gradient matching with differentiable siamese augmentation (Zhao and Bilen 2021).</summary>
    Dsa,

    /// <summary>Distribution matching with differentiable siamese augmentation (Zhao and Bilen 2023).</summary>
    Dm,

    /// <summary>The paper's data-poisoning attack: unrolled like <see cref="Paper"/>, against trained networks.</summary>
    Attack,

    /// <summary>Matching training trajectories (Cazenavette et al. 2022), against experts trained first.</summary>
    Mtt,
}

/// <summary>The experts of --method mtt and the trajectory matching's own settings.</summary>
internal sealed record TrajectorySettings(
    int Experts, int ExpertTrainingEpochs, string ExpertsFile, int SyntheticSteps, int MatchedEpochs, int MaxStartEpoch, float StepSizeLearningRate);

/// <summary>Everything the command line sets, with the method-dependent defaults resolved.</summary>
internal sealed record SampleOptions(
    SampleMethod Method,
    bool ConvNet,
    string? DataFolder,
    bool Zca,
    int EvalEpochs,
    string DsaStrategy,
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
    float? LabelLearningRateScale,
    ClassAttack? Attack,
    int PretrainedNetworks,
    int PretrainEpochs,
    string? PretrainDataFolder,
    TrajectorySettings? Trajectories)
{
    /// <summary>Networks trained at each periodic evaluation (random init); the final one uses <see cref="EvalNets"/>.</summary>
    public const int PeriodicEvalNets = 20;

    public string CheckpointPath => Path.Combine(Out, "checkpoint.mldc");

    /// <summary>The siamese augmentation of DSA and DM, else null.</summary>
    public DsaOptions? Augmentation => Method is SampleMethod.Dsa or SampleMethod.Dm or SampleMethod.Mtt ? new DsaOptions { Strategy = DsaStrategy } : null;

    /// <summary>
    /// How test networks train on a matching method's images: the papers' SGD with momentum, augmented as their reference
    /// does on MNIST (DSA and DM: the siamese transformations; DC: crop, scale and rotation by up to 45°, here made of the
    /// same transformations).
    /// </summary>
    public MinibatchTraining EvaluationTraining => new()
    {
        Augmentation = Augmentation ?? SampleData.DcTestAugmentation,
    };

    /// <summary>A distiller for the chosen method (<paramref name="experts"/>: those of --method mtt).</summary>
    public DatasetDistiller CreateDistiller(Network network, LabeledExamples train, IReadOnlyList<float[]>? pretrained, ExpertTrajectories? experts)
    {
        if (Unrolled)
        {
            DistillationOptions unrolled = ToDistillationOptions();
            unrolled.PretrainedWeights = pretrained;
            return new DatasetDistiller(network, train, unrolled);
        }

        MatchingOptions matching = Method switch
        {
            SampleMethod.Dm => new DistributionMatchingOptions(),
            SampleMethod.Mtt => new TrajectoryMatchingOptions
            {
                SyntheticSteps = Trajectories!.SyntheticSteps, ExpertEpochs = Trajectories.MatchedEpochs, MaxStartEpoch = Trajectories.MaxStartEpoch,
                InitialStepSize = StepLearningRate, StepSizeLearningRate = Trajectories.StepSizeLearningRate,
            },
            _ => new GradientMatchingOptions(),
        };
        matching.ExamplesPerClass = ImagesPerClass;
        matching.Iterations = Iterations;
        matching.RealBatchPerClass = Batch;
        matching.LearningRate = LearningRate;
        matching.InitScheme = Scheme;
        matching.InitializeFromRealExamples = DataFromRealImages;
        matching.Seed = Seed;
        matching.Threads = Threads;
        matching.Augmentation = Augmentation;
        matching.EvaluationEpochs = EvalEpochs;
        matching.EvaluationTraining = EvaluationTraining;
        matching.KeepBestEvery = KeepBestEvery;
        return matching switch
        {
            GradientMatchingOptions gradient => new DatasetDistiller(network, train, gradient),
            TrajectoryMatchingOptions trajectory => new DatasetDistiller(network, train, trajectory, experts!),
            _ => new DatasetDistiller(network, train, (DistributionMatchingOptions)matching),
        };
    }

    /// <summary>The paper's unrolled method, for distilling or for attacking.</summary>
    public bool Unrolled => Method is SampleMethod.Paper or SampleMethod.Attack;

    /// <summary>How the experts of --method mtt train: the reference's (plain SGD at 0.01 in batches of 256, augmented as distilling), for the epochs asked.</summary>
    public ExpertTrainingOptions ExpertTraining => new()
    {
        Experts = Trajectories!.Experts, Epochs = Trajectories.ExpertTrainingEpochs, Augmentation = Augmentation, InitScheme = Scheme, Seed = Seed, Threads = Threads,
    };

    /// <summary>The library's settings for this run of the paper's method (the pretrained weights are the job's).</summary>
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
        Threads = Threads,
        KeepBestEvery = KeepBestEvery,
        InitializeFromRealExamples = DataFromRealImages,
        LearnLabels = LearnLabels,
        LabelLearningRateScale = LabelLearningRateScale,
        Attack = Attack,
    };
}

/// <summary>The command line: options, their defaults and their checks.</summary>
internal static class CommandLine
{
    public static RootCommand Create(Func<SampleOptions, int> run)
    {
        var method = new Option<string>("--method")
        {
            Description = "The distillation method: 'paper' (Wang et al. 2018, unrolled: images and learned step rates), 'dc' (gradient matching, Zhao et al. 2021), " +
                "'dsa' (gradient matching with differentiable siamese augmentation, Zhao and Bilen 2021), 'dm' (distribution matching, Zhao and Bilen 2023), " +
                "'mtt' (matching training trajectories, Cazenavette et al. 2022: experts are trained first, see --experts) " +
                "or 'attack' (the paper's data poisoning: images that make trained networks take --attack-class for --target-class).",
            DefaultValueFactory = _ => "paper",
        };
        method.AcceptOnlyFromAmong("paper", "dc", "dsa", "dm", "mtt", "attack");
        var network = new Option<string>("--network") { Description = "The network distilled for and tested: 'lenet' or 'convnet' (width 128, depth 3, instance norm). Default: lenet for paper, convnet for the others." };
        network.AcceptOnlyFromAmong("lenet", "convnet");
        var data = new Option<string>("--data")
        {
            Description = "A folder of IDX files named as MNIST's (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-…, raw or .gz) with square grey images; " +
                "pixels are normalised by the training images' mean and standard deviation. Default: the MNIST copy the repository ships, with MNIST's constants.",
        };
        var zca = new Option<bool>("--zca") { Description = SampleData.ZcaDescription };
        var init = new Option<string>("--init")
        {
            Description = "Initial weights while distilling (paper, attack): 'fixed' (one network, reused), 'random' (a fresh network every iteration) or 'pretrained' " +
                "(networks trained on the training images first; see --pretrained-networks). Default: random for paper, pretrained for attack.",
        };
        init.AcceptOnlyFromAmong("fixed", "random", "pretrained");
        var pretrainedNetworks = Positive(new Option<int>("--pretrained-networks")
        {
            Description = "With --init pretrained: 1 distils for one known trained network and tests that network; N > 1 distils for a pool of N and tests N others, trained alike from other draws.",
            DefaultValueFactory = _ => 1,
        });
        var pretrainEpochs = Positive(new Option<int>("--pretrain-epochs")
        {
            Description = "With --init pretrained: epochs each network trains on the training images first (Adam, rate 0.001, batches of 128).",
            DefaultValueFactory = _ => 1,
        });
        var pretrainData = new Option<string>("--pretrain-data")
        {
            Description = "With --init pretrained: a folder of IDX files (as --data) whose training images the networks train on first, another domain " +
                "than --data's (the paper's adaptation; 'make-domain' writes one). Default: the training images distilled.",
        };
        var experts = Positive(new Option<int>("--experts")
        {
            Description = "With --method mtt: ConvNets trained on the training images whose trajectories are matched (the paper: 100; each takes minutes per epoch here).",
            DefaultValueFactory = _ => 5,
        });
        var expertTrainingEpochs = Positive(new Option<int?>("--expert-train-epochs")
        {
            Description = "With --method mtt: epochs each expert trains (the paper: 50). Default: the last one matched, --max-start-epoch - 1 + --match-epochs.",
        });
        var expertsFile = new Option<string>("--experts-file")
        {
            Description = "With --method mtt: the expert trajectory file, written after every epoch; an existing one is reused, or continued where its training stopped. " +
                "Default: out/experts-<network>[-<data folder>][-zca].mlet, shared by the runs on that data.",
        };
        var syntheticSteps = Positive(new Option<int?>("--syn-steps") { Description = "With --method mtt: the student's steps on the images per iteration (the paper: 50 at 1 image per class, else 30)." });
        var matchEpochs = Positive(new Option<int>("--match-epochs") { Description = "With --method mtt: expert epochs the student's steps are to cover (the paper: 2).", DefaultValueFactory = _ => 2 });
        var maxStartEpoch = Positive(new Option<int?>("--max-start-epoch") { Description = "With --method mtt: the student starts at an expert epoch below this (the paper: 2 at 1 image per class, else 20)." });
        var stepSizeLr = PositiveReal(new Option<float?>("--step-size-lr") { Description = "With --method mtt: the rate of SGD on the learned step size (the paper: 1e-7 at 1 image per class, else 1e-5)." });
        var attackClass = new Option<int?>("--attack-class") { Description = "With --method attack: the class the trained networks are to misclassify." };
        var targetClass = new Option<int?>("--target-class") { Description = "With --method attack: the class they are to take it for." };
        var initScheme = new Option<string>("--init-scheme")
        {
            Description = "How initial weights are drawn, while distilling and for the test networks. Default: xavier-normal (biases zero) for paper, pytorch-default for the others.",
        };
        initScheme.AcceptOnlyFromAmong([.. SchemeNames.Values]);
        var steps = Positive(new Option<int>("--steps") { Description = "Distinct gradient steps, each with its own distilled images (paper).", DefaultValueFactory = _ => 10 });
        var epochs = Positive(new Option<int>("--epochs") { Description = "Passes over the steps when training on the distilled data (paper).", DefaultValueFactory = _ => 3 });
        var imagesPerClass = Positive(new Option<int>("--images-per-class")
        {
            Description = "Distilled images of each class: in each step (paper), or in all (the others; their papers use 1, 10 and 50).",
            DefaultValueFactory = _ => 1,
        });
        var iterations = NonNegative(new Option<int?>("--iterations")
        {
            Description = "Outer iterations. Default: 400 for paper (its paper: 23,600); the papers' 1000 for dc and dsa, 20,000 for dm, 5000 for mtt. " +
                "0 (not for paper) tests the starting images: with --data-init real, the random-real baseline.",
        });
        var batch = Positive(new Option<int?>("--batch") { Description = "Real images per iteration (paper, default 1024) or per class and batch (the others, default 256)." });
        var lr = PositiveReal(new Option<float?>("--lr") { Description = "The rate of the images' optimiser: Adam for paper (default 0.01), SGD with momentum 0.5 for the others (default 0.1 for dc and dsa, 1 for dm, 1000 for mtt)." });
        var stepLr = PositiveReal(new Option<float?>("--step-lr") { Description = "Initial learning rate of every inner step, learned from there (paper, default 0.02; mtt: its one step size, default 0.01)." });
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 1 };
        var threads = Positive(new Option<int>("--threads") { Description = "Threads the kernels may use.", DefaultValueFactory = _ => Environment.ProcessorCount });
        var evalEvery = NonNegative(new Option<int?>("--eval-every") { Description = "Iterations between test evaluations during the run (0: only at the end). Default: 100 for paper, 0 for the others." });
        var evalNets = Positive(new Option<int?>("--eval-nets")
        {
            Description = "Random networks trained for the final test accuracy (random init). Default: 50 for paper, which keep the standard error of the mean near 0.4 points " +
                $"(the spread between networks is about 2.8) at about 0.4 s each; 200, as the README's figures used, halve it; 10 for the others. Periodic evaluations use at most {SampleOptions.PeriodicEvalNets}.",
        });
        var evalEpochs = Positive(new Option<int>("--eval-epochs")
        {
            Description = "Epochs a test network trains on the images of dc, dsa or dm (SGD with momentum 0.9, weight decay 5e-4, rate 0.01, a tenth after half, augmented; the papers' 1000).",
            DefaultValueFactory = _ => 1000,
        });
        var dsaStrategy = new Option<string>("--dsa-strategy")
        {
            Description = "The transformations of dsa and dm, joined by '_' (color, crop, cutout, flip, scale, rotate; the reference's default for every dataset).",
            DefaultValueFactory = _ => new DsaOptions().Strategy,
        };
        var output = new Option<string>("--out") { Description = "Output folder (default: ./out/mnist-<init> for paper, ./out/mnist-<method> for the others)." };
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
            Description = "What the distilled images start from: 'noise' (N(0, 1) in normalised pixels) or 'real' (random training images of their class). Default: noise for paper, dc and dsa (their papers'), real for dm and mtt.",
        };
        dataInit.AcceptOnlyFromAmong("noise", "real");
        var learnLabels = new Option<bool>("--learn-labels")
        {
            Description = "Learn a label vector for each distilled image too (paper; soft labels, beyond the paper, whose labels are fixed one-hot digits).",
        };
        var labelLrScale = PositiveReal(new Option<float?>("--label-lr-scale")
        {
            Description = "With --learn-labels: the labels' learning rate as a fraction of --lr (default: 0.1 with --init random, where 1 diverged; 1 with --init fixed).",
        });

        var command = new RootCommand(
            "Distils MNIST, or another folder of IDX images, into a few synthetic images per class: by default with a learned learning-rate schedule (Wang et al., " +
            "Dataset Distillation, 2018), with --method dc, dsa, dm or mtt by its successors; --method attack is the paper's data poisoning. " +
            "Ctrl+C stops between iterations and writes a checkpoint; the same command with --resume continues. 'evaluate' tests a distilled file on other networks.")
        {
            method, network, data, zca, init, pretrainedNetworks, pretrainEpochs, pretrainData, experts, expertTrainingEpochs, expertsFile, syntheticSteps, matchEpochs, maxStartEpoch, stepSizeLr, attackClass, targetClass, initScheme, steps, epochs, imagesPerClass, iterations, batch, lr, stepLr, seed, threads, evalEvery, evalNets, evalEpochs, dsaStrategy,
            output, resume, force, checkpointEvery, keepBestEvery, dataInit, learnLabels, labelLrScale,
        };

        command.Subcommands.Add(EvaluateCommand.Create());
        command.Subcommands.Add(DomainCommand.Create());
        command.SetAction(result =>
        {
            var chosen = Enum.Parse<SampleMethod>(result.GetValue(method)!, ignoreCase: true);
            bool paper = chosen is SampleMethod.Paper or SampleMethod.Attack;
            string strategy = result.GetValue(dsaStrategy)!;
            string mode = result.GetValue(init) ?? (chosen == SampleMethod.Attack ? "pretrained" : "random");
            Option[] mttOnly = [experts, expertTrainingEpochs, expertsFile, syntheticSteps, matchEpochs, maxStartEpoch, stepSizeLr];
            if (Misuse(result, chosen, mode, strategy, iterations, [init, steps, epochs, learnLabels, labelLrScale], [evalEpochs, dsaStrategy], [attackClass, targetClass], [pretrainedNetworks, pretrainEpochs, pretrainData], mttOnly, stepLr) is { } error)
            {
                Console.Error.WriteLine($"error: {error}");
                return 1;
            }

            string name = chosen switch { SampleMethod.Paper => $"mnist-{mode}", _ => $"mnist-{chosen.ToString().ToLowerInvariant()}" };
            bool mtt = chosen == SampleMethod.Mtt, oneImage = result.GetValue(imagesPerClass) == 1;
            string networkName = result.GetValue(network) ?? (paper ? "lenet" : "convnet");
            int start = result.GetValue(maxStartEpoch) ?? (oneImage ? 2 : 20), matched = result.GetValue(matchEpochs);
            string dataName = result.GetValue(data) is { } folderName ? "-" + Path.GetFileName(Path.TrimEndingDirectorySeparator(folderName)) : string.Empty;
            TrajectorySettings? trajectories = mtt
                ? new TrajectorySettings(
                    result.GetValue(experts), result.GetValue(expertTrainingEpochs) ?? start - 1 + matched,
                    result.GetValue(expertsFile) ?? Path.Combine("out", $"experts-{networkName}{dataName}{(result.GetValue(zca) ? "-zca" : string.Empty)}.mlet"),
                    result.GetValue(syntheticSteps) ?? (oneImage ? 50 : 30), matched, start, result.GetValue(stepSizeLr) ?? (oneImage ? 1e-7f : 1e-5f))
                : null;
            return run(new SampleOptions(
                chosen,
                result.GetValue(network) is { } kind ? kind == "convnet" : !paper,
                result.GetValue(data),
                result.GetValue(zca),
                result.GetValue(evalEpochs),
                strategy,
                mode switch { "fixed" => InitializationMode.Fixed, "pretrained" => InitializationMode.Pretrained, _ => InitializationMode.Random },
                result.GetValue(initScheme) is { } scheme ? SchemeNames.Single(n => n.Value == scheme).Key : paper ? InitScheme.XavierNormal : InitScheme.PyTorchDefault,
                result.GetValue(steps), result.GetValue(epochs), result.GetValue(imagesPerClass),
                result.GetValue(iterations) ?? (paper ? 400 : chosen switch { SampleMethod.Dm => 20_000, SampleMethod.Mtt => 5000, _ => 1000 }),
                result.GetValue(batch) ?? (paper ? 1024 : 256),
                result.GetValue(lr) ?? (paper ? 0.01f : chosen switch { SampleMethod.Dm => 1f, SampleMethod.Mtt => 1000f, _ => 0.1f }),
                result.GetValue(stepLr) ?? (mtt ? 0.01f : 0.02f), result.GetValue(seed), result.GetValue(threads),
                result.GetValue(evalEvery) ?? (paper ? 100 : 0), result.GetValue(evalNets) ?? (paper ? 50 : 10),
                result.GetValue(output) is { Length: > 0 } folder ? folder : Path.Combine("out", name),
                result.GetValue(resume), result.GetValue(force), result.GetValue(checkpointEvery), result.GetValue(keepBestEvery),
                result.GetValue(dataInit) is { } startFrom ? startFrom == "real" : chosen is SampleMethod.Dm or SampleMethod.Mtt,
                result.GetValue(learnLabels), result.GetValue(labelLrScale),
                chosen == SampleMethod.Attack ? new ClassAttack(result.GetValue(attackClass)!.Value, result.GetValue(targetClass)!.Value) : null,
                result.GetValue(pretrainedNetworks), result.GetValue(pretrainEpochs), result.GetValue(pretrainData), trajectories));
        });
        return command;
    }

    /// <summary>An option given to a method or initialisation it does not apply to, a missing attack class or a bad DSA strategy; null when all is well.</summary>
    private static string? Misuse(
        ParseResult result, SampleMethod method, string init, string strategy, Option<int?> iterations,
        Option[] unrolledOnly, Option[] matchingOnly, Option[] attackOnly, Option[] pretrainedOnly, Option[] mttOnly, Option stepLr)
    {
        // Settings that mean nothing to the chosen method are refused rather than ignored.
        bool unrolled = method is SampleMethod.Paper or SampleMethod.Attack;
        Option? Given(IEnumerable<Option> options) => options.FirstOrDefault(o => result.GetResult(o) is { Implicit: false });
        if (Given(unrolled ? matchingOnly : unrolledOnly) is { } wrong)
        {
            return $"{wrong.Name} applies to {(unrolled ? "--method dc, dsa, dm and mtt" : "--method paper and attack")} only.";
        }

        if (method != SampleMethod.Mtt && Given(mttOnly) is { } mttOption)
        {
            return $"{mttOption.Name} applies to --method mtt only.";
        }

        if (!unrolled && method != SampleMethod.Mtt && Given([stepLr]) is { } rate)
        {
            return $"{rate.Name} applies to --method paper, attack and mtt only.";
        }

        if (method != SampleMethod.Attack && Given(attackOnly) is { } attackOption)
        {
            return $"{attackOption.Name} applies to --method attack only.";
        }

        if (init != "pretrained" && Given(pretrainedOnly) is { } pretrainedOption)
        {
            return $"{pretrainedOption.Name} applies to --init pretrained only.";
        }

        if (method == SampleMethod.Attack && attackOnly.FirstOrDefault(o => result.GetResult(o) is null or { Implicit: true }) is { } missing)
        {
            return $"--method attack needs {missing.Name}.";
        }

        if (unrolled && result.GetValue(iterations) == 0)
        {
            return "--iterations 0 applies to --method dc, dsa, dm and mtt only (the paper's rates are learned).";
        }

        try
        {
            _ = new DsaOptions { Strategy = strategy }.Transforms();
            return null;
        }
        catch (ArgumentException e)
        {
            return $"--dsa-strategy: {e.Message}";
        }
    }

    /// <summary>The command-line name of each initialisation scheme.</summary>
    public static readonly IReadOnlyDictionary<InitScheme, string> SchemeNames = new Dictionary<InitScheme, string>
    {
        [InitScheme.XavierNormal] = "xavier-normal",
        [InitScheme.XavierUniform] = "xavier-uniform",
        [InitScheme.KaimingNormal] = "kaiming-normal",
        [InitScheme.KaimingUniform] = "kaiming-uniform",
        [InitScheme.PyTorchDefault] = "pytorch-default",
    };
}
