using System.Globalization;
using System.Text;
using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// Settings that gradient matching (<see cref="GradientMatchingOptions"/>) and distribution matching
/// (<see cref="DistributionMatchingOptions"/>) share: a synthetic set of <see cref="ExamplesPerClass"/> examples per class
/// with fixed labels, learned by SGD with momentum against per-class real batches under freshly drawn networks.
/// </summary>
public abstract class MatchingOptions
{
    /// <summary>Sets the defaults in which the two papers differ.</summary>
    private protected MatchingOptions(int iterations, float learningRate, bool initializeFromRealExamples)
    {
        Iterations = iterations;
        LearningRate = learningRate;
        InitializeFromRealExamples = initializeFromRealExamples;
    }

    /// <summary>Synthetic examples of every class (the papers' images per class: 1, 10 or 50).</summary>
    public int ExamplesPerClass { get; set; } = 10;

    /// <summary>Outer iterations: one freshly drawn network each.</summary>
    public int Iterations { get; set; }

    /// <summary>Real examples of each class per batch (the papers: 256; fewer when a class has fewer).</summary>
    public int RealBatchPerClass { get; set; } = 256;

    /// <summary>The step size of SGD on the synthetic examples.</summary>
    public float LearningRate { get; set; }

    /// <summary>The momentum of that SGD (the papers: 0.5).</summary>
    public float Momentum { get; set; } = 0.5f;

    /// <summary>How the networks are drawn (the papers use PyTorch's default initialisation).</summary>
    public InitScheme InitScheme { get; set; } = InitScheme.PyTorchDefault;

    /// <summary>Start from distinct random real examples of each class instead of N(0, 1) noise.</summary>
    public bool InitializeFromRealExamples { get; set; }

    /// <summary>Seed of every random choice; the same seed and data give the same synthetic set.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// Differentiable siamese augmentation (Zhao and Bilen, ICML 2021): each class's real and synthetic batch go through
    /// the same random transformation before they are compared. Null (the default) augments nothing. Needs image
    /// examples [C, H, W].
    /// </summary>
    public DsaOptions? Augmentation { get; set; }

    /// <summary>
    /// Epochs a network trains on the result (<see cref="MinibatchTraining"/>): the result carries one rate per epoch,
    /// <see cref="EvaluationLearningRate"/> for the first half and a tenth of it after. The papers: 1000 with augmentation
    /// while training, 300 without.
    /// </summary>
    public int EvaluationEpochs { get; set; } = 1000;

    /// <summary>The initial rate of that training (the papers: 0.01).</summary>
    public float EvaluationLearningRate { get; set; } = 0.01f;

    /// <summary>
    /// How <see cref="KeepBestEvery"/> trains its scoring networks (its epochs and rates are the result's); null: the
    /// papers' SGD with momentum and weight decay, augmented with <see cref="Augmentation"/>.
    /// </summary>
    public MinibatchTraining? EvaluationTraining { get; set; }

    /// <summary>The training <see cref="KeepBestEvery"/> uses: <see cref="EvaluationTraining"/>, or by default the papers' with <see cref="Augmentation"/>.</summary>
    public MinibatchTraining EffectiveEvaluationTraining => EvaluationTraining ?? new MinibatchTraining { Augmentation = Augmentation };

    /// <summary>
    /// Every this many iterations, and after the last, train <see cref="KeepBestNetworks"/> networks on the synthetic set
    /// as it stands and score them on <see cref="KeepBestExamples"/> real training examples; the run then returns the
    /// best-scoring snapshot instead of the last. 0 (the default, as in the papers) returns the last. Each score trains
    /// networks for <see cref="EvaluationEpochs"/> epochs, which costs far more than an iteration.
    /// </summary>
    public int KeepBestEvery { get; set; }

    /// <summary>Real training examples (a fixed random subset) that <see cref="KeepBestEvery"/> scores snapshots on.</summary>
    public int KeepBestExamples { get; set; } = 10_000;

    /// <summary>Networks trained per score.</summary>
    public int KeepBestNetworks { get; set; } = 2;

    /// <summary>
    /// Threads the run's tensor ops may use; null (the default) uses one per processor. The results are the same bits
    /// for any number (see <see cref="Autodiff.TensorThreads"/>).
    /// </summary>
    public int? Threads { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ExamplesPerClass, 1, nameof(ExamplesPerClass));
        ArgumentOutOfRangeException.ThrowIfLessThan(Iterations, 0, nameof(Iterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(RealBatchPerClass, 1, nameof(RealBatchPerClass));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a positive number.");
        }

        if (!(Momentum >= 0 && Momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be at least 0 and below 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(EvaluationEpochs, 1, nameof(EvaluationEpochs));
        if (!(EvaluationLearningRate > 0) || !float.IsFinite(EvaluationLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(EvaluationLearningRate), EvaluationLearningRate, "EvaluationLearningRate must be a positive number.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(KeepBestEvery, nameof(KeepBestEvery));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepBestExamples, 1, nameof(KeepBestExamples));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepBestNetworks, 1, nameof(KeepBestNetworks));
        if (Threads is int threads)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(Threads));
        }

        Augmentation?.Transforms();
        EffectiveEvaluationTraining.Validate();
    }

    /// <summary>The shared settings a checkpoint is only valid for.</summary>
    internal IEnumerable<(string Name, double Value)> SharedFingerprint() =>
    [
        (nameof(ExamplesPerClass), ExamplesPerClass), (nameof(RealBatchPerClass), RealBatchPerClass), (nameof(LearningRate), LearningRate),
        (nameof(Momentum), Momentum), (nameof(InitScheme), (int)InitScheme), (nameof(InitializeFromRealExamples), InitializeFromRealExamples ? 1 : 0),
        (nameof(Seed), Seed), (nameof(Augmentation), Checksum(Augmentation)), (nameof(EvaluationEpochs), EvaluationEpochs),
        (nameof(EvaluationLearningRate), EvaluationLearningRate), (nameof(EvaluationTraining), Checksum(EffectiveEvaluationTraining)),
        (nameof(KeepBestEvery), KeepBestEvery), (nameof(KeepBestExamples), KeepBestExamples), (nameof(KeepBestNetworks), KeepBestNetworks),
    ];

    /// <summary>A checksum of the augmentation's settings (0: none), for fingerprints.</summary>
    internal static double Checksum(DsaOptions? dsa) => dsa is null ? 0 : Crc32.Append(0, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"{dsa.Strategy};{dsa.Brightness:R};{dsa.Saturation:R};{dsa.Contrast:R};{dsa.CropPadRatio:R};{dsa.CutoutRatio:R};{dsa.FlipProbability:R};{dsa.ScaleRatio:R};{dsa.RotateDegrees:R}")));

    private static double Checksum(MinibatchTraining training) => Crc32.Append((uint)Checksum(training.Augmentation), Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"{training.BatchSize};{training.Momentum:R};{training.WeightDecay:R}")));
}
