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
    private readonly TensorArena realArena = new();

    public override DistillationAlgorithm Algorithm => DistillationAlgorithm.DistributionMatching;

    /// <summary>Draws θ, the real batches B_c and the augmentations A_ω (in that order, from the iteration's own stream) and takes one step down L(S).</summary>
    public override void Iterate(int iteration, Action<double, Tensor[]> update)
    {
        Random random = Seeds.Random(options.Seed, Seeds.Stream.DistributionMatching, iteration);
        Tensor weights = DrawNetwork(random);
        Tensor[] realBatches = [.. Enumerable.Range(0, Real.ClassCount).Select(c => RealBatch(c, random))];
        DsaParameters[]? augmentation = DrawAugmentation(random);
        Tensor loss = Loss(Network, weights, realBatches, Parameters, augmentation, realArena);
        update(loss.Item(), Autograd.Grad(loss, Parameters));
    }

    /// <summary>
    /// L(S) for the weights <paramref name="weights"/>: real[c] and synthetic[c] are batches of class c, both augmented
    /// with augmentation[c] when it is given. The real passes' buffers are recycled through <paramref name="realArena"/> when it is given.
    /// </summary>
    internal static Tensor Loss(
        Network network, Tensor weights, IReadOnlyList<Tensor> realByClass, IReadOnlyList<Tensor> syntheticByClass, IReadOnlyList<DsaParameters>? augmentation = null,
        TensorArena? realArena = null)
    {
        Tensor Augmented(Tensor images, int c) => augmentation is null ? images : SiameseAugmentation.Apply(images, augmentation[c]);
        Tensor? total = null;
        for (int c = 0; c < syntheticByClass.Count; c++)
        {
            Tensor realMean;
            using (realArena?.Enter())
            using (Autograd.NoGrad())
            {
                // A constant (only S is learned); the pass's activations die with it, the mean is kept.
                realMean = TensorArena.Keep(MeanEmbedding(network, weights, Augmented(realByClass[c], c)));
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
