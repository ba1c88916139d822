using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>Where the initial weights w₀ of each unrolled training run come from.</summary>
public enum InitializationMode
{
    /// <summary>One seeded draw, reused at every iteration: the distilled data may exploit that exact network.</summary>
    Fixed,

    /// <summary>A fresh draw for every network at every iteration: the data must work for any initialisation.</summary>
    Random,

    /// <summary>Networks from <see cref="DistillationOptions.PretrainedWeights"/> (one, or a pool sampled uniformly): the paper's adaptation setting.</summary>
    Pretrained,
}

/// <summary>
/// The paper's data-poisoning attack: distilled data that, trained on for a few steps, makes a network classify
/// <paramref name="SourceClass"/> as <paramref name="TargetClass"/> while it keeps classifying the other classes.
/// </summary>
/// <param name="SourceClass">The class the network is to misclassify (0-based).</param>
/// <param name="TargetClass">The class it is to take it for.</param>
public sealed record ClassAttack(int SourceClass, int TargetClass);

/// <summary>The settings of one distillation run. Defaults are the reference's for MNIST.</summary>
public sealed class DistillationOptions
{
    /// <summary>Distilled examples of every class in each step (the paper's images per class).</summary>
    public int ExamplesPerClassPerStep { get; set; } = 1;

    /// <summary>Distinct gradient-descent steps, each with its own distilled examples.</summary>
    public int Steps { get; set; } = 10;

    /// <summary>Passes over the steps; the unrolled run takes Steps × Epochs gradient steps.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Outer iterations (one real batch and one Adam update each).</summary>
    public int Iterations { get; set; } = 1000;

    /// <summary>Real examples per outer iteration.</summary>
    public int RealBatchSize { get; set; } = 1024;

    /// <summary>Every inner step's learning rate before learning, η = softplus(r) = this value.</summary>
    public float InitialStepLearningRate { get; set; } = 0.02f;

    /// <summary>Adam's learning rate on the distilled examples and the rates (the paper's and the reference's 0.01).</summary>
    /// <remarks>
    /// With <see cref="InitializationMode.Fixed"/>, 0.03 distilled MNIST better in every seed measured; with random
    /// initialisation it did worse (docs/results.md).
    /// </remarks>
    public float LearningRate { get; set; } = 0.01f;

    /// <summary>Adam's β₁ (the reference uses 0.5).</summary>
    public float AdamBeta1 { get; set; } = 0.5f;

    /// <summary>Adam's β₂.</summary>
    public float AdamBeta2 { get; set; } = 0.999f;

    /// <summary>The outer learning rate is multiplied by <see cref="DecayFactor"/> every this many passes over the real data.</summary>
    public int DecayEveryEpochs { get; set; } = 40;

    /// <summary>Factor of the step decay of the outer learning rate.</summary>
    public float DecayFactor { get; set; } = 0.5f;

    /// <summary>Where w₀ comes from.</summary>
    public InitializationMode Initialization { get; set; } = InitializationMode.Random;

    /// <summary>How fresh weights are drawn (fixed and random modes).</summary>
    public InitScheme InitScheme { get; set; } = InitScheme.XavierNormal;

    /// <summary>Networks sampled per iteration; their hypergradients are averaged.</summary>
    public int NetworksPerIteration { get; set; } = 1;

    /// <summary>
    /// Distil an attack instead of a training set (the paper's malicious data poisoning, section 3.3): the outer loss is
    /// taken on the real data with SourceClass relabelled TargetClass, and the distilled examples of SourceClass carry
    /// TargetClass's label. The paper attacks networks that are already trained (<see cref="InitializationMode.Pretrained"/>).
    /// Null (the default): plain distillation.
    /// </summary>
    public ClassAttack? Attack { get; set; }

    /// <summary>Flat parameter vectors for <see cref="InitializationMode.Pretrained"/>.</summary>
    public IReadOnlyList<float[]>? PretrainedWeights { get; set; }

    /// <summary>
    /// Start the distilled examples from random real examples of their class (distinct ones, so every class needs
    /// Steps × ExamplesPerClassPerStep examples) instead of N(0, 1) noise (the paper's start). On MNIST it helped random
    /// init, most together with <see cref="LearnLabels"/>, and not fixed init (docs/results.md).
    /// </summary>
    public bool InitializeFromRealExamples { get; set; }

    /// <summary>
    /// Learn a label vector for every distilled example along with its features (soft labels, after Sucholutsky and
    /// Schonlau, 2019, a step beyond the paper, whose labels stay fixed): each starts as the one-hot vector of its class,
    /// the inner steps take the cross-entropy against it, and the hypergradient updates it with the examples and rates.
    /// The result carries the vectors in <see cref="DistilledDataset.SoftLabels"/>; a network trained without them (on
    /// the classes alone) does worse than the schedule promises. On MNIST it gave the best fixed-init results measured;
    /// with random init it diverged with labels learned as fast as the examples, and ten times slower, the default there
    /// (see <see cref="LabelLearningRateScale"/>), it gained a little over fixed labels (docs/results.md).
    /// </summary>
    public bool LearnLabels { get; set; }

    /// <summary>
    /// With <see cref="LearnLabels"/>: Adam's rate for the labels as a fraction of <see cref="LearningRate"/> (it follows
    /// that rate's decay). Null (the default) picks by initialisation, see <see cref="EffectiveLabelLearningRateScale"/>.
    /// Adam moves every value by about its rate per iteration, so at 1 a label value moves as far as a pixel. On MNIST,
    /// with fixed init that did better than 0.1; with random init it let the labels grow until the run diverged, and 0.1
    /// kept them in check (docs/results.md).
    /// </summary>
    public float? LabelLearningRateScale { get; set; }

    /// <summary>
    /// The label rate fraction a run uses: <see cref="LabelLearningRateScale"/> when set, else 0.1 with random
    /// initialisation and 1 (the examples' rate) with fixed or pretrained initialisation (pretrained: not measured).
    /// </summary>
    public float EffectiveLabelLearningRateScale => LabelLearningRateScale ?? (Initialization == InitializationMode.Random ? 0.1f : 1f);

    /// <summary>Seed of every random choice; the same seed and data give the same distilled data.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// Every this many iterations, and after the last, <see cref="DatasetDistiller.Run"/> trains networks on the distilled
    /// data as it stands and scores them on <see cref="KeepBestExamples"/> real training examples; it then returns the
    /// best-scoring snapshot instead of the last one. 0 (the default, as in the paper) returns the last. Worth it when
    /// few inner steps take large learned rates (fixed init): the result then moves by points between nearby iterations.
    /// With random init, late snapshots differ by less than the spread between networks, so the score mostly picks noise
    /// (MNIST, 10 scoring networks: no gain).
    /// </summary>
    public int KeepBestEvery { get; set; }

    /// <summary>Real training examples (a fixed random subset) that <see cref="KeepBestEvery"/> scores snapshots on.</summary>
    public int KeepBestExamples { get; set; } = 10_000;

    /// <summary>Networks trained per score in random and pretrained modes (fixed mode trains its one network).</summary>
    public int KeepBestNetworks { get; set; } = 10;

    /// <summary>
    /// Threads the run's tensor ops may use; null (the default) uses one per processor. The results are the same bits
    /// for any number (see <see cref="Autodiff.TensorThreads"/>).
    /// </summary>
    public int? Threads { get; set; }

    /// <summary>Inner steps in the unrolled run, T = Steps × Epochs.</summary>
    public int TotalSteps => Steps * Epochs;

    /// <summary>
    /// Examples every class must have: one step's worth, or, starting from real examples, distinct ones for every step.
    /// </summary>
    internal int ExamplesNeededPerClass => InitializeFromRealExamples ? Steps * ExamplesPerClassPerStep : ExamplesPerClassPerStep;

    /// <summary>Throws when a setting is out of range or not a finite number, naming it.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ExamplesPerClassPerStep, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Iterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(RealBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(NetworksPerIteration, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(DecayEveryEpochs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(KeepBestEvery);
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepBestExamples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepBestNetworks, 1);
        if (Threads is int threads)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(Threads));
        }
        if (LabelLearningRateScale is { } scale && (!(scale > 0) || !float.IsFinite(scale)))
        {
            throw new ArgumentOutOfRangeException(nameof(LabelLearningRateScale), scale, "The label learning-rate scale must be a positive number.");
        }

        RequirePositiveFinite(InitialStepLearningRate, nameof(InitialStepLearningRate));
        RequirePositiveFinite(LearningRate, nameof(LearningRate));
        RequireFraction(AdamBeta1, nameof(AdamBeta1));
        RequireFraction(AdamBeta2, nameof(AdamBeta2));

        if (!(DecayFactor > 0 && DecayFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(DecayFactor), DecayFactor, "The decay factor must lie in (0, 1].");
        }

        // The distilled set holds Steps × ExamplesPerClassPerStep examples of every class, and training on it takes
        // Steps × Epochs inner steps: both must stay far below what an array can index.
        const long MaxInnerSteps = 1 << 20, MaxExamplesPerClass = 1 << 20;
        if ((long)Steps * Epochs > MaxInnerSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, $"Steps ({Steps}) × Epochs ({Epochs}) inner steps exceed {MaxInnerSteps}.");
        }

        if ((long)Steps * ExamplesPerClassPerStep > MaxExamplesPerClass)
        {
            throw new ArgumentOutOfRangeException(
                nameof(ExamplesPerClassPerStep), ExamplesPerClassPerStep, $"Steps ({Steps}) × ExamplesPerClassPerStep ({ExamplesPerClassPerStep}) examples of every class exceed {MaxExamplesPerClass}.");
        }

        for (int i = 0; i < (PretrainedWeights?.Count ?? 0); i++)
        {
            float[] weights = PretrainedWeights![i] ?? throw new ArgumentException($"Pretrained network {i} is null.", nameof(PretrainedWeights));
            if (Array.FindIndex(weights, v => !float.IsFinite(v)) is var bad and >= 0)
            {
                throw new ArgumentException($"Weight {bad} of pretrained network {i} is {weights[bad]}, not a finite number.", nameof(PretrainedWeights));
            }
        }

        if (Attack is { } attack && (attack.SourceClass < 0 || attack.TargetClass < 0 || attack.SourceClass == attack.TargetClass))
        {
            throw new ArgumentException(
                $"An attack needs two different classes, 0 or more, but SourceClass is {attack.SourceClass} and TargetClass {attack.TargetClass}.", nameof(Attack));
        }

        if (Initialization == InitializationMode.Pretrained && (PretrainedWeights is null || PretrainedWeights.Count == 0))
        {
            throw new ArgumentException("Pretrained initialisation needs at least one network in PretrainedWeights.", nameof(PretrainedWeights));
        }
    }

    private static void RequireFraction(float value, string name)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in [0, 1).");
        }
    }

    private static void RequirePositiveFinite(float value, string name)
    {
        if (!(value > 0) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a positive finite number.");
        }
    }
}
