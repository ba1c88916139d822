namespace Microsoft.ML.Transforms;

/// <summary>Where the initial weights of each unrolled training run come from while distilling.</summary>
public enum DistillationInitializationMode
{
    /// <summary>One seeded draw, reused at every iteration: the distilled data is tuned to that exact network.</summary>
    Fixed,

    /// <summary>A fresh draw at every iteration: the distilled data must train any initialisation.</summary>
    Random,

    /// <summary>Networks from <see cref="DatasetDistillationOptions.PretrainedWeights"/>: the paper's adaptation setting.</summary>
    Pretrained,
}

/// <summary>
/// How the small training set is made. <see cref="Unrolled"/> learns it (the paper's method); the others pick or summarise
/// input rows, which suits ML.NET's own trainers better than rows learned for one network (see docs/results.md).
/// </summary>
public enum DistillationMethod
{
    /// <summary>
    /// The paper's dataset distillation: rows and a learning rate per step learned by back-propagating through unrolled
    /// training of the chosen network.
    /// </summary>
    Unrolled,

    /// <summary>Random input rows, distinct, Steps × ExamplesPerClassPerStep of every class (the paper's first baseline).</summary>
    RandomRows,

    /// <summary>The mean row of every class, in each of its Steps × ExamplesPerClassPerStep slots.</summary>
    ClassMeans,

    /// <summary>Per class, the centroids of k-means (k-means++ seeding) with k = Steps × ExamplesPerClassPerStep.</summary>
    KMeansCentroids,

    /// <summary>
    /// Distribution matching (Zhao and Bilen, 2023): rows started from input rows of their class and moved, for
    /// <see cref="DatasetDistillationOptions.Iterations"/> iterations, until their mean embedding under freshly drawn
    /// networks of the chosen kind matches their class's (the paper's SGD: rate 1, momentum 0.5, 256 input rows per class
    /// per iteration; augmented with <see cref="DatasetDistillationOptions.SiameseAugmentation"/>). Nothing is unrolled,
    /// so an iteration costs a few forward passes.
    /// </summary>
    DistributionMatching,

    /// <summary>
    /// Gradient matching (DC: Zhao, Mopuri and Bilen, 2021; with <see cref="DatasetDistillationOptions.SiameseAugmentation"/>
    /// it is DSA, Zhao and Bilen, 2021): rows, started from noise or input rows, moved until the network's weight gradient
    /// on them matches its gradient on input rows of their class, class by class, along the path the network takes while
    /// it trains on them (the papers' SGD: rate 0.1, momentum 0.5, 256 input rows per class; their outer and inner loops).
    /// </summary>
    GradientMatching,

    /// <summary>
    /// Matching training trajectories (MTT: Cazenavette, Wang, Torralba, Efros and Zhu, CVPR 2022): first
    /// <see cref="DatasetDistillationOptions.ExpertCount"/> networks of the chosen kind (the experts) train on the input
    /// rows, their weights recorded after every epoch (kept in <see cref="DatasetDistillationOptions.ExpertTrajectoriesPath"/>
    /// when it is set); then rows, started from input rows of their class, and one step size are learned so that
    /// <see cref="DatasetDistillationOptions.SyntheticSteps"/> gradient steps on them, started from an expert's weights at
    /// an epoch below <see cref="DatasetDistillationOptions.MaxStartEpoch"/>, land where that expert was
    /// <see cref="DatasetDistillationOptions.MatchedExpertEpochs"/> epochs later (the paper's SGD on the rows: rate 1000,
    /// momentum 0.5; with <see cref="DatasetDistillationOptions.SiameseAugmentation"/> the experts' batches and the student's
    /// steps are augmented, as in the paper). Each iteration unrolls those steps, so it costs far more than an iteration of
    /// the other matching methods.
    /// </summary>
    TrajectoryMatching,
}

/// <summary>The network the distilled data is learned for.</summary>
public enum DistillationNetworkKind
{
    /// <summary><see cref="LeNet"/> when <see cref="DatasetDistillationOptions.ImageShape"/> is set, else <see cref="Mlp"/>.</summary>
    Auto,

    /// <summary>LeNet (two convolutions, three fully connected layers); needs an image shape.</summary>
    LeNet,

    /// <summary>The reference's AlexCifarNet for CIFAR-like images; needs an image shape.</summary>
    AlexCifarNet,

    /// <summary>A multilayer perceptron over the feature vector, with <see cref="DatasetDistillationOptions.MlpHiddenSizes"/>.</summary>
    Mlp,

    /// <summary>
    /// The successor papers' ConvNet (gradient matching, DSA, distribution matching): three blocks of 3×3 convolution of
    /// width 128, instance normalisation, ReLU and 2×2 average pooling, then a linear classifier; needs an image shape
    /// whose sides are at least 8 (4 for one channel: as in the papers' code, the first convolution pads a single channel by
    /// 3, so MNIST's 28×28 digits become 32×32 maps). Far costlier than LeNet on a CPU.
    /// </summary>
    ConvNet,
}

/// <summary>How fresh network weights are drawn (biases always start at zero).</summary>
public enum DistillationInitScheme
{
    /// <summary>Glorot normal: std = √(2 / (fanIn + fanOut)).</summary>
    XavierNormal,

    /// <summary>Glorot uniform: bound = √(6 / (fanIn + fanOut)).</summary>
    XavierUniform,

    /// <summary>He normal: std = √(2 / fanIn).</summary>
    KaimingNormal,

    /// <summary>He uniform: bound = √(6 / fanIn).</summary>
    KaimingUniform,
}

/// <summary>
/// How a feature vector is laid out as an image: <c>Channels × Height × Width</c> values, channel by channel, row by row
/// (the layout of ML.NET's image pixel extraction with interleaving off, and of MNIST's 784 pixels as 1 × 28 × 28).
/// </summary>
public sealed class ImageShape
{
    /// <summary>Creates a shape; every dimension must be at least 1.</summary>
    /// <param name="channels">Colour channels (1 for grey, 3 for RGB).</param>
    /// <param name="height">Rows of pixels.</param>
    /// <param name="width">Columns of pixels.</param>
    public ImageShape(int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>Colour channels.</summary>
    public int Channels { get; }

    /// <summary>Rows of pixels.</summary>
    public int Height { get; }

    /// <summary>Columns of pixels.</summary>
    public int Width { get; }

    /// <summary>Values in one image: Channels × Height × Width.</summary>
    public int Size => Channels * Height * Width;

    /// <inheritdoc/>
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}

/// <summary>Progress of distillation, reported once per outer iteration.</summary>
/// <param name="Iteration">Iterations finished so far (1 after the first).</param>
/// <param name="TotalIterations">Iterations the run takes.</param>
/// <param name="Loss">The method's loss at this iteration: for the unrolled method, the loss on the real batch of networks
/// trained on the distilled data; for the matching methods, the distance between the distilled and the input rows.</param>
/// <param name="LearningRate">The outer learning rate used at this iteration.</param>
public sealed record DatasetDistillationProgress(int Iteration, int TotalIterations, double Loss, double LearningRate);

/// <summary>
/// Everything <see cref="DatasetDistillationEstimator"/> can be told: the columns, the size of the distilled data,
/// the network it is learned for and the optimisation. Defaults follow the dataset-distillation paper's MNIST setting,
/// except <see cref="Iterations"/>, which is smaller.
/// </summary>
public sealed class DatasetDistillationOptions
{
    /// <summary>The known-size vector of <see cref="float"/> column holding the features. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>
    /// The label column: a key, as ML.NET's multiclass trainers take (map other types first with
    /// <c>mlContext.Transforms.Conversion.MapValueToKey</c>). Default "Label".
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The name of the output column telling each distilled row's step. Default "Step".</summary>
    public string StepColumnName { get; set; } = "Step";

    /// <summary>
    /// The name of the output column holding each distilled row's learned label vector (a vector of one Single per class),
    /// present only with <see cref="LearnLabels"/>. Default "SoftLabel".
    /// </summary>
    public string SoftLabelColumnName { get; set; } = "SoftLabel";

    /// <summary>
    /// How the rows are made. Default <see cref="DistillationMethod.Unrolled"/>, the paper's. With the other methods the
    /// rows are chosen, summarised or matched to the input, the schedule is one constant rate picked for the network on a
    /// subset of the input rows, and the options of the unrolled optimisation (<see cref="LearningRate"/>,
    /// <see cref="RealBatchSize"/>, <see cref="LearnLabels"/>, <see cref="KeepBestEvery"/>, <see cref="CheckpointPath"/>, …)
    /// do not apply. <see cref="Iterations"/>, <see cref="CheckpointPath"/> and <see cref="SiameseAugmentation"/> apply to the
    /// matching methods (<see cref="DistillationMethod.GradientMatching"/>, <see cref="DistillationMethod.DistributionMatching"/>,
    /// <see cref="DistillationMethod.TrajectoryMatching"/>) too, and <see cref="InitializeFromRealExamples"/> to gradient
    /// matching (distribution and trajectory matching always start from input rows); <see cref="MatchingLearningRate"/>
    /// applies to the matching methods only. <see cref="ExpertCount"/>,
    /// <see cref="ExpertEpochs"/>, <see cref="ExpertTrajectoriesPath"/>, <see cref="SyntheticSteps"/>,
    /// <see cref="MatchedExpertEpochs"/> and <see cref="MaxStartEpoch"/> apply to trajectory matching only.
    /// </summary>
    public DistillationMethod Method { get; set; } = DistillationMethod.Unrolled;

    /// <summary>Distilled examples of every class in each step (the paper's images per class). Default 1.</summary>
    public int ExamplesPerClassPerStep { get; set; } = 1;

    /// <summary>Distinct gradient steps, each with its own distilled examples. Default 10.</summary>
    public int Steps { get; set; } = 10;

    /// <summary>Passes over the steps; training takes Steps × Epochs gradient steps. Default 3.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Outer iterations: one real batch and one update of the distilled data each. Default 200.</summary>
    public int Iterations { get; set; } = 200;

    /// <summary>Real rows per outer iteration. Default 1024.</summary>
    public int RealBatchSize { get; set; } = 1024;

    /// <summary>
    /// Adam's learning rate on the distilled examples and step rates. Default 0.01, the paper's. With
    /// <see cref="DistillationInitializationMode.Fixed"/>, 0.03 distilled MNIST better in every seed measured; with random
    /// initialisation it did worse (docs/results.md).
    /// </summary>
    public float LearningRate { get; set; } = 0.01f;

    /// <summary>Every inner step's learning rate before it is learned. Default 0.02.</summary>
    public float InitialStepLearningRate { get; set; } = 0.02f;

    /// <summary>Where the initial network weights come from. Default <see cref="DistillationInitializationMode.Random"/>.</summary>
    public DistillationInitializationMode InitializationMode { get; set; } = DistillationInitializationMode.Random;

    /// <summary>How fresh weights are drawn. Default <see cref="DistillationInitScheme.XavierNormal"/>.</summary>
    public DistillationInitScheme InitScheme { get; set; } = DistillationInitScheme.XavierNormal;

    /// <summary>
    /// Flat parameter vectors of pretrained networks of the chosen architecture, for
    /// <see cref="DistillationInitializationMode.Pretrained"/> (for example <see cref="DistilledNetworkModel.GetWeights"/>).
    /// </summary>
    public IReadOnlyList<float[]>? PretrainedWeights { get; set; }

    /// <summary>The network. Default <see cref="DistillationNetworkKind.Auto"/>.</summary>
    public DistillationNetworkKind NetworkKind { get; set; } = DistillationNetworkKind.Auto;

    /// <summary>The image layout of the feature vector; null treats the features as a plain vector (and Auto picks the MLP).</summary>
    public ImageShape? ImageShape { get; set; }

    /// <summary>Hidden layer widths of the MLP; empty gives multinomial logistic regression. Default one layer of 64.</summary>
    public int[] MlpHiddenSizes { get; set; } = [64];

    /// <summary>
    /// Seed of every random choice: the same seed and data give the same distilled data. Default null: drawn from the
    /// <see cref="MLContext"/>'s random source, so <c>new MLContext(seed: n)</c> makes runs repeatable (and an unseeded
    /// context does not). A <see cref="CheckpointPath"/> resumes only under the seed it was written with.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>
    /// Threads <c>Fit</c> may use for its tensor ops; null (the default) uses one per processor. The distilled rows are the
    /// same bits for any number, so this trades only speed against the other work on the machine.
    /// </summary>
    public int? Threads { get; set; }

    /// <summary>
    /// With <see cref="DistillationMethod.GradientMatching"/> or <see cref="DistillationMethod.DistributionMatching"/>:
    /// pass each class's input rows and distilled rows through the same random transformation (colour, crop, cutout,
    /// flip, scale, rotation) before they are compared, the papers' differentiable siamese augmentation (Zhao and Bilen,
    /// 2021). With <see cref="DistillationMethod.TrajectoryMatching"/>: augment, with the same transformations, the
    /// experts' batches of input rows and the distilled rows of every step matched against them (as the paper does).
    /// Needs <see cref="ImageShape"/>. Default false.
    /// </summary>
    public bool SiameseAugmentation { get; set; }

    /// <summary>
    /// With <see cref="DistillationMethod.GradientMatching"/>, <see cref="DistillationMethod.DistributionMatching"/> or
    /// <see cref="DistillationMethod.TrajectoryMatching"/>: the rate of the SGD (momentum 0.5) that moves the distilled rows.
    /// Null (the default): the method's paper's, 0.1, 1 and 1000 in that order, set for images with values of order one;
    /// lower it when <c>Fit</c> diverges, as trajectory matching's 1000 does on small or unscaled data.
    /// </summary>
    public float? MatchingLearningRate { get; set; }

    /// <summary>Networks sampled per iteration, their gradients averaged. Default 1.</summary>
    public int NetworksPerIteration { get; set; } = 1;

    /// <summary>
    /// Start the distilled rows from random input rows of their class (distinct ones, so every class needs
    /// Steps × ExamplesPerClassPerStep rows) instead of noise. Default false, as in the paper. On MNIST it helped random
    /// initialisation, most together with <see cref="LearnLabels"/>, and not fixed initialisation (docs/results.md).
    /// </summary>
    public bool InitializeFromRealExamples { get; set; }

    /// <summary>
    /// Learn a label vector for each distilled row along with its features (soft labels, after Sucholutsky and Schonlau,
    /// 2019; the paper keeps the labels fixed). Each starts as the one-hot vector of its class. The distilled view then has a
    /// <see cref="SoftLabelColumnName"/> column, which the <c>DistilledNetwork</c> trainer trains on; ML.NET's own trainers see
    /// only the key label. Default false. On MNIST it gave the best results measured with fixed initialisation, and a
    /// smaller gain with random initialisation, where the labels are learned ten times slower by default (see
    /// <see cref="LabelLearningRateScale"/>; docs/results.md).
    /// </summary>
    public bool LearnLabels { get; set; }

    /// <summary>
    /// With <see cref="LearnLabels"/>: the learning rate of the labels as a fraction of <see cref="LearningRate"/>.
    /// Null (the default) picks by initialisation: 0.1 with random initialisation, where labels that move as fast as the
    /// features grew until the distillation diverged on MNIST, and 1 with fixed or pretrained initialisation, where that
    /// did better than 0.1 on MNIST with fixed initialisation (pretrained initialisation was not measured).
    /// </summary>
    public float? LabelLearningRateScale { get; set; }

    /// <summary>
    /// Every this many iterations, and after the last, score the distilled rows by training networks on them and measuring
    /// accuracy on <see cref="KeepBestExamples"/> of the input rows; the transformer then holds the best-scoring
    /// snapshot instead of the last. Default 0: the last snapshot, as in the paper. Helps with fixed initialisation;
    /// with random initialisation late snapshots differ by less than the spread between networks, so it gained nothing on MNIST.
    /// </summary>
    public int KeepBestEvery { get; set; }

    /// <summary>Input rows (a fixed random subset) that <see cref="KeepBestEvery"/> scores on. Default 10,000.</summary>
    public int KeepBestExamples { get; set; } = 10_000;

    /// <summary>Networks trained per score with random or pretrained initialisation. Default 10.</summary>
    public int KeepBestNetworks { get; set; } = 10;

    /// <summary>Receives one report per outer iteration, synchronously, on the thread running <c>Fit</c>.</summary>
    public IProgress<DatasetDistillationProgress>? Progress { get; set; }

    /// <summary>
    /// Cancels <c>Fit</c>: checked between outer iterations and between gradient matching's updates within one; <c>Fit</c>
    /// then saves the <see cref="CheckpointPath"/> checkpoint of the last finished iteration,
    /// if one is set, and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// A file that makes <c>Fit</c> resumable; null (the default) keeps no checkpoint. <c>Fit</c> saves the run there every
    /// <see cref="CheckpointEvery"/> iterations, when cancelled and when done (atomically: the file is always whole), and when
    /// the file exists it continues the run saved in it instead of starting afresh, so a cancelled or interrupted
    /// <c>Fit</c> called again with the same options and rows carries on where the checkpoint left off and gives the
    /// result an uninterrupted run would have given. A checkpoint written for other options or rows is refused, naming the
    /// difference (delete the file to start afresh); one that is done continues when <see cref="Iterations"/> is raised.
    /// </summary>
    public string? CheckpointPath { get; set; }

    /// <summary>With <see cref="CheckpointPath"/>: iterations between checkpoints (0: only when cancelled or done). Default 100.</summary>
    public int CheckpointEvery { get; set; } = 100;

    /// <summary>
    /// With <see cref="DistillationMethod.TrajectoryMatching"/>: the experts, networks trained on the input rows from
    /// their own random initialisations (plain SGD at rate 0.01 in batches of 256, as the paper's experts). Null (the
    /// default) trains 2, few because a CPU trains them (the paper: 100); more experts give the distilled rows more
    /// trajectories to match.
    /// </summary>
    public int? ExpertCount { get; set; }

    /// <summary>
    /// With <see cref="DistillationMethod.TrajectoryMatching"/>: the epochs every expert trains. Null (the default) trains
    /// just the epochs the matching reaches, <see cref="MaxStartEpoch"/> − 1 + <see cref="MatchedExpertEpochs"/>
    /// (the paper: 50); fewer are refused.
    /// </summary>
    public int? ExpertEpochs { get; set; }

    /// <summary>
    /// With <see cref="DistillationMethod.TrajectoryMatching"/>: the file of the experts' trajectories. Null (the default)
    /// trains the experts in memory at every <c>Fit</c>. With a path, the first <c>Fit</c> trains them and writes the file
    /// after every epoch; later fits with the same rows, network, <see cref="Seed"/> (the experts' seed: 1 when it is null),
    /// <see cref="ExpertEpochs"/>, <see cref="InitScheme"/> and <see cref="SiameseAugmentation"/> read it instead of training again, continue it when
    /// it was interrupted, and add experts to it when <see cref="ExpertCount"/> grows. A file trained otherwise is refused,
    /// naming the difference (delete it or choose another path to train afresh).
    /// </summary>
    public string? ExpertTrajectoriesPath { get; set; }

    /// <summary>
    /// With <see cref="DistillationMethod.TrajectoryMatching"/>: N, the gradient steps on all the distilled rows that each
    /// iteration unrolls from an expert's weights. Null (the default): 50, the paper's at one row per class (it takes 30
    /// at ten). An iteration's cost grows with it.
    /// </summary>
    public int? SyntheticSteps { get; set; }

    /// <summary>
    /// With <see cref="DistillationMethod.TrajectoryMatching"/>: M, the expert epochs that the <see cref="SyntheticSteps"/>
    /// steps are to cover. Null (the default): 2, the paper's.
    /// </summary>
    public int? MatchedExpertEpochs { get; set; }

    /// <summary>
    /// With <see cref="DistillationMethod.TrajectoryMatching"/>: T⁺, each iteration starts from an expert's weights after
    /// a random number of epochs below it (0 is the initialisation). Null (the default): 2, the paper's at one row per
    /// class (it takes 20 at ten).
    /// </summary>
    public int? MaxStartEpoch { get; set; }
}
