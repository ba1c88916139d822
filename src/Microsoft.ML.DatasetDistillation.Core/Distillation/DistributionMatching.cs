using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>Settings of <see cref="DistributionMatching"/>; the defaults are the paper's.</summary>
public sealed class DistributionMatchingOptions
{
    /// <summary>Synthetic examples of every class.</summary>
    public int ExamplesPerClass { get; set; } = 10;

    /// <summary>Outer iterations: one fresh network and one update of the synthetic examples each (the paper: 20,000).</summary>
    public int Iterations { get; set; } = 1000;

    /// <summary>Real examples of each class per iteration (the paper: 256; fewer when a class has fewer).</summary>
    public int RealBatchPerClass { get; set; } = 256;

    /// <summary>The step size of SGD on the synthetic examples (the paper: 1).</summary>
    public float LearningRate { get; set; } = 1f;

    /// <summary>The momentum of that SGD (the paper: 0.5).</summary>
    public float Momentum { get; set; } = 0.5f;

    /// <summary>How the networks that embed the examples are drawn.</summary>
    public InitScheme InitScheme { get; set; } = InitScheme.XavierNormal;

    /// <summary>Start from distinct random real examples of each class (the paper's choice) instead of N(0, 1) noise.</summary>
    public bool InitializeFromRealExamples { get; set; } = true;

    /// <summary>Seed of every random choice.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// Differentiable siamese augmentation of both batches, as the paper does: each iteration draws one transformation per
    /// class and applies it alike to the real and the synthetic images. Null (the default) augments nothing. Needs image
    /// examples [C, H, W]; for digits, leave flip out of the strategy.
    /// </summary>
    public DsaOptions? Augmentation { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
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
    }
}

/// <summary>
/// Dataset condensation with distribution matching (Zhao and Bilen, WACV 2023): synthetic examples S_c of each class c
/// whose mean embedding matches the real class's under randomly drawn networks. No training is unrolled: each iteration
/// draws fresh weights θ and a real batch B_c of every class, and takes one SGD step on the synthetic examples down
/// <code>
///   L(S) = Σ_c ‖ (1/|B_c|) Σ_{x ∈ B_c} ψ_θ(x) − (1/|S_c|) Σ_{s ∈ S_c} ψ_θ(s) ‖²
/// </code>
/// where ψ_θ is the network's embedding (<see cref="Network.Embed"/>, every layer but the classifier). With
/// <see cref="DistributionMatchingOptions.Augmentation"/>, both batches of a class first go through the same random
/// differentiable siamese augmentation A_ω (Zhao and Bilen, ICML 2021), as in the paper: ψ_θ(A_ω(x)) and ψ_θ(A_ω(s)).
/// </summary>
public sealed class DistributionMatching
{
    private readonly Network network;
    private readonly LabeledExamples real;
    private readonly DistributionMatchingOptions options;
    private readonly int[][] byClass;
    private readonly Tensor[] synthetic; // S_c, one leaf [ExamplesPerClass, ..shape] per class
    private readonly MomentumSgd sgd;

    /// <summary>Prepares a run and draws the initial synthetic examples.</summary>
    /// <exception cref="ArgumentException">The network does not fit the data, or a class has too few examples to start from.</exception>
    public DistributionMatching(Network network, LabeledExamples real, DistributionMatchingOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!network.ExampleShape.SequenceEqual(real.ExampleShape) || network.ClassCount != real.ClassCount)
        {
            throw new ArgumentException(
                $"The network expects examples [{string.Join(", ", network.ExampleShape)}] in {network.ClassCount} classes, " +
                $"but the data has [{string.Join(", ", real.ExampleShape)}] in {real.ClassCount}.", nameof(network));
        }

        this.network = network;
        this.real = real;
        this.options = options;
        byClass = Baselines.IndicesByClass(real);
        int smallest = Array.IndexOf(byClass, byClass.MinBy(b => b.Length));
        int needed = options.InitializeFromRealExamples ? options.ExamplesPerClass : 1;
        if (byClass[smallest].Length < needed)
        {
            throw new ArgumentException($"Distribution matching needs {needed} examples of every class, but class {smallest} has {byClass[smallest].Length}.", nameof(real));
        }

        if (options.Augmentation is not null && real.ExampleShape.Length != 3)
        {
            throw new ArgumentException(
                $"Augmentation needs image examples [channels, height, width], but the examples have shape [{string.Join(", ", real.ExampleShape)}].", nameof(options));
        }

        synthetic = new Tensor[real.ClassCount];
        for (int c = 0; c < real.ClassCount; c++)
        {
            var values = new float[options.ExamplesPerClass * real.ExampleSize];
            Random random = Seeds.Random(options.Seed, Seeds.Stream.DistilledData, c);
            if (options.InitializeFromRealExamples)
            {
                int[] picks = Baselines.DistinctPicks(byClass[c], options.ExamplesPerClass, random);
                real.Gather(picks).Features.CopyTo(values, 0);
            }
            else
            {
                Initialization.FillNormal(values, 1f, random);
            }

            synthetic[c] = Tensor.Wrap(values, [options.ExamplesPerClass, .. real.ExampleShape]).RequireGrad();
        }

        sgd = new MomentumSgd(synthetic, options.LearningRate, options.Momentum);
    }

    /// <summary>Iterations done so far.</summary>
    public int Iteration { get; private set; }

    /// <summary>
    /// Runs the remaining iterations and returns the synthetic examples, class by class (class c's at
    /// c·ExamplesPerClass …). Progress is reported after every iteration; cancellation is checked before each.
    /// </summary>
    /// <exception cref="DistillationDivergedException">The loss or its gradient stopped being finite.</exception>
    public LabeledExamples Run(IProgress<DistillationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        while (Iteration < options.Iterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double loss = Step();
            progress?.Report(new DistillationProgress(Iteration, options.Iterations, loss, options.LearningRate));
        }

        return Current();
    }

    /// <summary>The synthetic examples as they stand, class by class.</summary>
    public LabeledExamples Current()
    {
        float[] features = synthetic.SelectMany(s => s.ToArray()).ToArray();
        int[] labels = Enumerable.Range(0, real.ClassCount * options.ExamplesPerClass).Select(i => i / options.ExamplesPerClass).ToArray();
        return new LabeledExamples(features, labels, real.ExampleShape, real.ClassCount);
    }

    /// <summary>
    /// L(S) for the weights <paramref name="weights"/>: real[c] and synthetic[c] are batches of class c, both augmented
    /// with augmentation[c] when it is given.
    /// </summary>
    internal static Tensor Loss(
        Network network, Tensor weights, IReadOnlyList<Tensor> realByClass, IReadOnlyList<Tensor> syntheticByClass, IReadOnlyList<DsaParameters>? augmentation = null)
    {
        Tensor Augmented(Tensor images, int c) => augmentation is null ? images : SiameseAugmentation.Apply(images, augmentation[c]);
        Tensor? total = null;
        for (int c = 0; c < syntheticByClass.Count; c++)
        {
            Tensor realMean;
            using (Autograd.NoGrad())
            {
                realMean = MeanEmbedding(network, weights, Augmented(realByClass[c], c)); // a constant: only S is learned
            }

            Tensor difference = realMean - MeanEmbedding(network, weights, Augmented(syntheticByClass[c], c));
            Tensor term = Tensor.Sum(difference * difference);
            total = total is null ? term : total + term;
        }

        return total!;
    }

    private double Step()
    {
        Random random = Seeds.Random(options.Seed, Seeds.Stream.DistributionMatching, Iteration);
        Tensor weights = Tensor.Wrap(Initialization.Draw(network, options.InitScheme, random), network.ParameterCount);
        Tensor[] realBatches = byClass.Select(indices =>
        {
            int[] picks = Baselines.DistinctPicks(indices, Math.Min(options.RealBatchPerClass, indices.Length), random);
            return Tensor.Wrap(real.Gather(picks).Features, [picks.Length, .. real.ExampleShape]);
        }).ToArray();

        DsaParameters[]? augmentation = options.Augmentation is { } dsa
            ? [.. byClass.Select(_ => SiameseAugmentation.Draw(dsa, random, samples: 1, real.ExampleShape[1], real.ExampleShape[2]))]
            : null;
        Tensor loss = Loss(network, weights, realBatches, synthetic, augmentation);
        Tensor[] gradients = Autograd.Grad(loss, synthetic);
        double value = loss.Item();
        if (!double.IsFinite(value) || !gradients.All(g => System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(g.Data)))
        {
            throw new DistillationDivergedException(Iteration + 1,
                $"Distribution matching diverged at iteration {Iteration + 1}: the loss is {value}. Try a lower LearningRate (now {options.LearningRate:G3}).");
        }

        using (Autograd.NoGrad())
        {
            sgd.Step(gradients);
        }

        Iteration++;
        return value;
    }

    private static Tensor MeanEmbedding(Network network, Tensor weights, Tensor batch) =>
        Tensor.SumToBias(network.Embed(weights, batch)) * (1f / batch.Dim(0));
}
