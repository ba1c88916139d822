using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// Settings of distribution matching (<see cref="DatasetDistiller(Network, LabeledExamples, DistributionMatchingOptions)"/>);
/// the defaults are the paper's except <see cref="MatchingOptions.Iterations"/>.
/// </summary>
public sealed class DistributionMatchingOptions : MatchingOptions
{
    /// <summary>
    /// The paper's settings (its reference's main_DM.py): SGD at rate 1 with momentum 0.5 on the synthetic examples, which
    /// start from real examples; 1000 iterations (the paper: 20,000).
    /// </summary>
    public DistributionMatchingOptions()
        : base(iterations: 1000, learningRate: 1f, initializeFromRealExamples: true)
    {
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
/// <see cref="MatchingOptions.Augmentation"/>, both batches of a class first go through the same random
/// differentiable siamese augmentation A_ω (Zhao and Bilen, ICML 2021), as in the paper: ψ_θ(A_ω(x)) and ψ_θ(A_ω(s)).
/// </summary>
internal sealed class DistributionMatchingObjective(Network network, LabeledExamples real, DistributionMatchingOptions options)
    : MatchingObjective(network, real, options, "Distribution matching")
{
    public override DistillationAlgorithm Algorithm => DistillationAlgorithm.DistributionMatching;

    /// <summary>Draws θ, the real batches B_c and the augmentations A_ω (in that order, from the iteration's own stream) and takes one step down L(S).</summary>
    public override void Iterate(int iteration, Action<double, Tensor[]> update)
    {
        Random random = Seeds.Random(options.Seed, Seeds.Stream.DistributionMatching, iteration);
        Tensor weights = DrawNetwork(random);
        Tensor[] realBatches = [.. Enumerable.Range(0, Real.ClassCount).Select(c => RealBatch(c, random))];
        DsaParameters[]? augmentation = DrawAugmentation(random);
        Tensor loss = Loss(Network, weights, realBatches, Parameters, augmentation);
        update(loss.Item(), Autograd.Grad(loss, Parameters));
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

    protected override IEnumerable<(string Name, double Value)> MethodFingerprint() => [];

    private static Tensor MeanEmbedding(Network network, Tensor weights, Tensor batch) =>
        Tensor.SumToBias(network.Embed(weights, batch)) * (1f / batch.Dim(0));
}

/// <summary>
/// Distribution matching as a one-call condensation: a <see cref="DatasetDistiller"/> with
/// <see cref="DistributionMatchingOptions"/> that returns the synthetic examples alone (the ML.NET layer packages them
/// with its own learning rate). New code can use the distiller directly, with checkpoints and keep-best.
/// </summary>
public sealed class DistributionMatching
{
    private readonly DatasetDistiller distiller;

    /// <summary>Prepares a run and draws the initial synthetic examples.</summary>
    /// <exception cref="ArgumentException">The network does not fit the data, or a class has too few examples to start from.</exception>
    public DistributionMatching(Network network, LabeledExamples real, DistributionMatchingOptions options) => distiller = new(network, real, options);

    /// <summary>Iterations done so far.</summary>
    public int Iteration => distiller.Iteration;

    /// <summary>
    /// Runs the remaining iterations and returns the synthetic examples, class by class (class c's at
    /// c·ExamplesPerClass …). Progress is reported after every iteration; cancellation is checked before each.
    /// </summary>
    /// <exception cref="DistillationDivergedException">The loss or its gradient stopped being finite.</exception>
    public LabeledExamples Run(IProgress<DistillationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        distiller.Run(progress, cancellationToken).Examples;

    /// <summary>The synthetic examples as they stand, class by class.</summary>
    public LabeledExamples Current() => distiller.Snapshot().Examples;
}
