using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// Settings of gradient matching (<see cref="DatasetDistiller(Network, LabeledExamples, GradientMatchingOptions)"/>):
/// DC, or with <see cref="MatchingOptions.Augmentation"/> DSA. The defaults are the papers'.
/// </summary>
public sealed class GradientMatchingOptions : MatchingOptions
{
    /// <summary>
    /// The papers' settings (their reference's main.py): 1000 iterations of SGD at rate 0.1 with momentum 0.5 on the synthetic
    /// examples, which start from N(0, 1) noise; the network trains at rate 0.01 in batches of 256.
    /// </summary>
    public GradientMatchingOptions()
        : base(iterations: 1000, learningRate: 0.1f, initializeFromRealExamples: false)
    {
    }

    /// <summary>
    /// Updates of the synthetic set per iteration, the network trained on it between them (the papers' outer loop). Null
    /// (the default): the papers' choice for ExamplesPerClass 1, 10, 20, 30, 40 or 50, which is ExamplesPerClass itself.
    /// </summary>
    public int? OuterLoop { get; set; }

    /// <summary>
    /// Epochs the network trains on the synthetic set between two updates (the papers' inner loop). Null (the default):
    /// the papers' choice for ExamplesPerClass 1, 10, 20, 30, 40 or 50: 1, 50, 25, 20, 15, 10.
    /// </summary>
    public int? InnerLoop { get; set; }

    /// <summary>The rate of plain SGD on the network's weights in the inner loop (the papers: 0.01).</summary>
    public float NetworkLearningRate { get; set; } = 0.01f;

    /// <summary>Synthetic examples per batch when the network trains in the inner loop (the papers: 256).</summary>
    public int NetworkBatchSize { get; set; } = 256;

    /// <summary>The outer loop a run uses: <see cref="OuterLoop"/>, or the papers' for <see cref="MatchingOptions.ExamplesPerClass"/>.</summary>
    /// <exception cref="ArgumentException">Neither is defined.</exception>
    public int EffectiveOuterLoop => OuterLoop ?? PapersLoops().Outer;

    /// <summary>The inner loop a run uses: <see cref="InnerLoop"/>, or the papers' for <see cref="MatchingOptions.ExamplesPerClass"/>.</summary>
    /// <exception cref="ArgumentException">Neither is defined.</exception>
    public int EffectiveInnerLoop => InnerLoop ?? PapersLoops().Inner;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(EffectiveOuterLoop, 1, nameof(OuterLoop));
        ArgumentOutOfRangeException.ThrowIfLessThan(EffectiveInnerLoop, 0, nameof(InnerLoop));
        ArgumentOutOfRangeException.ThrowIfLessThan(NetworkBatchSize, 1, nameof(NetworkBatchSize));
        if (!(NetworkLearningRate > 0) || !float.IsFinite(NetworkLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(NetworkLearningRate), NetworkLearningRate, "NetworkLearningRate must be a positive number.");
        }
    }

    /// <summary>The papers' outer and inner loops, by examples per class (their reference's get_loops).</summary>
    internal static readonly (int ExamplesPerClass, int Outer, int Inner)[] PapersLoopTable =
        [(1, 1, 1), (10, 10, 50), (20, 20, 25), (30, 30, 20), (40, 40, 15), (50, 50, 10)];

    private (int Outer, int Inner) PapersLoops() => PapersLoopTable.FirstOrDefault(p => p.ExamplesPerClass == ExamplesPerClass) is (> 0, var outer, var inner)
        ? (outer, inner)
        : throw new ArgumentException(
            $"The papers set OuterLoop and InnerLoop for 1, 10, 20, 30, 40 or 50 examples per class only; with ExamplesPerClass = {ExamplesPerClass}, set both.");
}

/// <summary>
/// Dataset condensation with gradient matching (Zhao, Mopuri and Bilen, ICLR 2021), and with augmentation differentiable
/// siamese augmentation (Zhao and Bilen, ICML 2021): the synthetic set S trains a network along the path the real data T
/// would, because at every point of that path their weight gradients agree, class by class. Each iteration draws fresh
/// weights θ_0 and, for t = 0 … OuterLoop − 1,
/// <code>
///   S ← S − η_S ∇_S Σ_c D( ∇_θ ℓ(A_ω(B_c^T); θ_t), ∇_θ ℓ(A_ω(S_c); θ_t) )           (one SGD step with momentum)
///   θ_{t+1} = θ_t trained InnerLoop epochs on S at rate η_θ                         (not after the last step)
/// </code>
/// with B_c^T a real batch of class c and A_ω the identity, or with DSA one random transformation per class applied
/// alike to both batches (and drawn per image while θ trains). D is the paper's layer-wise distance: for every weight
/// tensor, seen as rows of its output units (a convolution's [out, in·k·k], a linear layer's [out, in]),
/// <code>
///   d(A, B) = Σ_i ( 1 − A_i·B_i / (‖A_i‖ ‖B_i‖ + 10⁻⁶) ),     D = Σ over weight tensors of d
/// </code>
/// Biases and normalisation parameters, one number per output unit, are left out, as the reference does. The
/// gradient of ∇_θ ℓ(A_ω(S_c)) with respect to S is a gradient of a gradient.
/// </summary>
internal sealed class GradientMatchingObjective(Network network, LabeledExamples real, GradientMatchingOptions options)
    : MatchingObjective(network, real, options, "Gradient matching")
{
    private readonly int outerLoop = options.EffectiveOuterLoop, innerLoop = options.EffectiveInnerLoop;
    private readonly int[][] shapes = [.. network.Parameters.Select(p => p.Shape)];
    private readonly TensorArena realArena = new();

    // The synthetic side's graphs (gradients recorded for a second derivative, kept for all classes until S's gradient is
    // taken) are large at 10 and more examples per class: fresh pages for them every step cost more than the math.
    private readonly TensorArena syntheticArena = new();

    // The network trains on S between updates OuterLoop − 1 times an iteration: its batches' buffers are kept between those calls.
    private readonly TensorArena trainingArena = new();

    public override DistillationAlgorithm Algorithm => DistillationAlgorithm.GradientMatching;

    /// <summary>Draws θ_0 and alternates OuterLoop updates of S with InnerLoop epochs of training θ on S.</summary>
    public override void Iterate(int iteration, Action<double, Tensor[]> update)
    {
        Random random = Seeds.Random(options.Seed, Seeds.Stream.GradientMatching, iteration);
        Tensor weights = DrawNetwork(random);
        var training = new MinibatchTraining { BatchSize = options.NetworkBatchSize, Momentum = 0f, WeightDecay = 0f, Augmentation = options.Augmentation };
        for (int t = 0; t < outerLoop; t++)
        {
            Tensor[] realBatches = [.. Enumerable.Range(0, Real.ClassCount).Select(c => RealBatch(c, random))];
            DsaParameters[]? augmentation = DrawAugmentation(random);
            Tensor[][] realGradients = RealGradients(Network, shapes, weights, realBatches, augmentation, realArena);
            double loss;
            Tensor[] gradient;
            using (syntheticArena.Enter())
            {
                Tensor matching = Loss(Network, shapes, weights, realGradients, Parameters, augmentation);
                loss = matching.Item();
                gradient = [.. Autograd.Grad(matching, Parameters).Select(TensorArena.Keep)];
            }

            update(loss, gradient);
            if (t == outerLoop - 1 || innerLoop == 0)
            {
                continue;
            }

            DistilledDataset current = SnapshotOf(
                Parameters.SelectMany(s => s.ToArray()).ToArray(), [.. Enumerable.Repeat(options.NetworkLearningRate, innerLoop)], null);
            weights = Tensor.FromArray(Evaluation.TrainWithMinibatches(Network, current, weights.ToArray(), training, random, trainingArena), Network.ParameterCount);
        }
    }

    /// <summary>
    /// ∇_θ ℓ(real_c) at <paramref name="weights"/> for every class c, each batch augmented with augmentation[c] when it is
    /// given: constants, since only S is learned. Each pass's buffers are recycled in <paramref name="realArena"/>, the
    /// gradient kept.
    /// </summary>
    internal static Tensor[][] RealGradients(
        Network network, IReadOnlyList<int[]> shapes, Tensor weights, IReadOnlyList<Tensor> realByClass,
        IReadOnlyList<DsaParameters>? augmentation = null, TensorArena? realArena = null)
    {
        var gradients = new Tensor[realByClass.Count][];
        for (int c = 0; c < realByClass.Count; c++)
        {
            using (realArena?.Enter())
            {
                Tensor theta = weights.Detach().RequireGrad();
                Tensor realLoss = Tensor.CrossEntropy(network.Forward(theta, Augmented(realByClass[c], augmentation, c)), Classes(c, realByClass[c].Dim(0)));
                gradients[c] = [.. Tensor.Split(TensorArena.Keep(Autograd.Grad(realLoss, [theta])[0]), shapes)];
            }
        }

        return gradients;
    }

    /// <summary>
    /// Σ_c D(∇_θ ℓ(real_c), ∇_θ ℓ(synthetic_c)) at <paramref name="weights"/>, given the real gradients of
    /// <see cref="RealGradients"/>, each synthetic batch augmented with augmentation[c] when it is given; differentiable
    /// in the synthetic batches.
    /// </summary>
    internal static Tensor Loss(
        Network network, IReadOnlyList<int[]> shapes, Tensor weights, IReadOnlyList<Tensor[]> realGradients, IReadOnlyList<Tensor> syntheticByClass,
        IReadOnlyList<DsaParameters>? augmentation = null)
    {
        Tensor? total = null;
        for (int c = 0; c < syntheticByClass.Count; c++)
        {
            Tensor syntheticTheta = weights.Detach().RequireGrad();
            Tensor syntheticLoss = Tensor.CrossEntropy(network.Forward(syntheticTheta, Augmented(syntheticByClass[c], augmentation, c)), Classes(c, syntheticByClass[c].Dim(0)));
            Tensor[] syntheticGradient = Tensor.Split(Autograd.Grad(syntheticLoss, [syntheticTheta], createGraph: true)[0], shapes);
            Tensor term = Distance(realGradients[c], syntheticGradient);
            total = total is null ? term : total + term;
        }

        return total!;
    }

    /// <summary>D(A, B) = Σ over weight tensors of Σ over output units i of 1 − A_i·B_i / (‖A_i‖ ‖B_i‖ + 10⁻⁶); one-dimensional tensors are left out.</summary>
    internal static Tensor Distance(IReadOnlyList<Tensor> real, IReadOnlyList<Tensor> synthetic)
    {
        Tensor total = Tensor.Scalar(0f);
        for (int i = 0; i < real.Count; i++)
        {
            if (real[i].Rank < 2)
            {
                continue;
            }

            int units = real[i].Dim(0);
            Tensor a = real[i].Reshape(units, -1), b = synthetic[i].Reshape(units, -1);
            // ‖A_i‖‖B_i‖ as one root of the product; the tiny term keeps the root's derivative finite where a row of B is
            // all zeros (a unit no synthetic example reaches), whose own derivative is zero there.
            Tensor norms = Tensor.Pow(Tensor.SumRows(a * a) * Tensor.SumRows(b * b) + 1e-30f, 0.5f);
            Tensor cosines = Tensor.SumRows(a * b) * Tensor.Pow(norms + 1e-6f, -1f);
            total += -Tensor.Sum(cosines) + units;
        }

        return total;
    }

    protected override IEnumerable<(string Name, double Value)> MethodFingerprint() =>
    [
        ("OuterLoop", outerLoop), ("InnerLoop", innerLoop),
        (nameof(options.NetworkLearningRate), options.NetworkLearningRate), (nameof(options.NetworkBatchSize), options.NetworkBatchSize),
    ];

    private static int[] Classes(int c, int count) => [.. Enumerable.Repeat(c, count)];

    private static Tensor Augmented(Tensor images, IReadOnlyList<DsaParameters>? augmentation, int c) =>
        augmentation is null ? images : SiameseAugmentation.Apply(images, augmentation[c]);
}
