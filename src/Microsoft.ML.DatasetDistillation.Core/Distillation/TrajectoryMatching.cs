using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// Settings of matching training trajectories (<see cref="DatasetDistiller(Network, LabeledExamples, TrajectoryMatchingOptions, ExpertTrajectories)"/>);
/// the defaults are the paper's for CIFAR-10 at 1 image per class (its reference's distill.py), except
/// <see cref="MatchingOptions.Iterations"/> and the start from real examples.
/// </summary>
public sealed class TrajectoryMatchingOptions : MatchingOptions
{
    /// <summary>
    /// SGD at rate 1000 with momentum 0.5 on the synthetic examples, which start from real examples (the reference offers
    /// noise or real; real converges in the few hundred iterations a CPU affords); 1000 iterations (the paper: 5000).
    /// </summary>
    public TrajectoryMatchingOptions()
        : base(iterations: 1000, learningRate: 1000f, initializeFromRealExamples: true)
    {
        Augmentation = new DsaOptions();
    }

    /// <summary>N: the student's gradient steps on the synthetic set per iteration (the paper: 50 at 1 image per class, 30 at 10).</summary>
    public int SyntheticSteps { get; set; } = 50;

    /// <summary>M: how many expert epochs after its start the student's N steps are to land (the paper: 2).</summary>
    public int ExpertEpochs { get; set; } = 2;

    /// <summary>T⁺: the student starts from an expert epoch drawn in [0, T⁺) (the paper: 2 at 1 image per class, 20 at 10).</summary>
    public int MaxStartEpoch { get; set; } = 2;

    /// <summary>The student's step size α before it is learned (the paper: 0.01, its experts' rate).</summary>
    public float InitialStepSize { get; set; } = 0.01f;

    /// <summary>The rate of SGD (momentum 0.5) on α (the paper: 10⁻⁷ at 1 image per class, 10⁻⁵ at 10).</summary>
    public float StepSizeLearningRate { get; set; } = 1e-7f;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(SyntheticSteps, 1, nameof(SyntheticSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(ExpertEpochs, 1, nameof(ExpertEpochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStartEpoch, 1, nameof(MaxStartEpoch));
        if (!(InitialStepSize > 0) || !float.IsFinite(InitialStepSize))
        {
            throw new ArgumentOutOfRangeException(nameof(InitialStepSize), InitialStepSize, "InitialStepSize must be a positive number.");
        }

        if (!(StepSizeLearningRate >= 0) || !float.IsFinite(StepSizeLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(StepSizeLearningRate), StepSizeLearningRate, "StepSizeLearningRate must be a finite number of at least 0.");
        }
    }
}

/// <summary>
/// Dataset distillation by matching training trajectories (Cazenavette, Wang, Torralba, Efros and Zhu, CVPR 2022): the
/// synthetic set S and a step size α are learned so that N gradient steps on S, started from an expert's parameters at
/// epoch t, land where the expert was M epochs later. Each iteration draws an expert and t ∈ [0, T⁺), then
/// <code>
///   θ̂_0 = θ*_t,    θ̂_{n+1} = θ̂_n − α ∇_θ ℓ(A_n(S); θ̂_n)      (n = 0 … N−1, A_n a fresh augmentation per image)
///   L(S, α) = ‖θ̂_N − θ*_{t+M}‖² / ‖θ*_t − θ*_{t+M}‖²
/// </code>
/// and takes one SGD step with momentum on S and on α, each at its own rate. The gradient walks the N steps backwards as
/// the paper's unrolled method does (<see cref="UnrolledObjective"/>): with g_n = α ∇_θ ℓ(A_n(S); θ̂_n),
/// <code>
///   ∂L/∂θ̂_n = ∂L/∂θ̂_{n+1} − (∂g_n/∂θ̂_n)ᵀ ∂L/∂θ̂_{n+1},   ∂L/∂S += −(∂g_n/∂S)ᵀ ∂L/∂θ̂_{n+1},   ∂L/∂α += −(∂g_n/∂α)ᵀ ∂L/∂θ̂_{n+1}
/// </code>
/// The forward pass keeps only the θ̂_n and the backward pass rebuilds one step's graph at a time, so memory grows
/// with N parameter vectors, not N graphs. The result is tested as the other matching methods' are, at the learned α.
/// </summary>
internal sealed class TrajectoryMatchingObjective : MatchingObjective
{
    private readonly TrajectoryMatchingOptions options;
    private readonly ExpertTrajectories experts;
    private readonly Tensor stepSize; // α, a scalar leaf
    private readonly int[] labels;
    private readonly TensorArena stepArena = new();

    /// <summary>Checks the experts against the network and the settings, and draws the initial synthetic examples.</summary>
    public TrajectoryMatchingObjective(Network network, LabeledExamples real, TrajectoryMatchingOptions options, ExpertTrajectories experts)
        : base(network, real, options, "Trajectory matching")
    {
        if (experts.ParameterCount != network.ParameterCount)
        {
            throw new ArgumentException(
                $"The expert trajectories are of a network with {experts.ParameterCount} parameters, but this network has {network.ParameterCount}.", nameof(experts));
        }

        if (experts.ExpertCount == 0)
        {
            throw new ArgumentException("The expert trajectories hold no finished expert: train at least one.", nameof(experts));
        }

        if (options.MaxStartEpoch - 1 + options.ExpertEpochs > experts.Epochs)
        {
            throw new ArgumentException(
                $"MaxStartEpoch {options.MaxStartEpoch} and ExpertEpochs {options.ExpertEpochs} reach epoch {options.MaxStartEpoch - 1 + options.ExpertEpochs}, " +
                $"but the experts trained {experts.Epochs} epochs.", nameof(options));
        }

        this.options = options;
        this.experts = experts;
        stepSize = Tensor.Scalar(options.InitialStepSize).RequireGrad();
        labels = [.. Enumerable.Range(0, real.ClassCount * options.ExamplesPerClass).Select(i => i / options.ExamplesPerClass)];
    }

    public override DistillationAlgorithm Algorithm => DistillationAlgorithm.TrajectoryMatching;

    /// <summary>S_0 … S_{C−1}, then α.</summary>
    public override Tensor[] Parameters => [.. Synthetic, stepSize];

    /// <summary>The learned α: networks train on the result at the step size the synthetic set was learned for.</summary>
    protected override float EvaluationRate => stepSize.Item();

    /// <summary>The experts are part of the input a checkpoint must match.</summary>
    public override IEnumerable<float[]> CheckedInputs => experts.FinishedSnapshots;

    /// <summary>Draws an expert, a start epoch and the N steps' augmentations, and takes one step down L(S, α).</summary>
    public override void Iterate(int iteration, Action<double, Tensor[]> update)
    {
        Random random = Seeds.Random(options.Seed, Seeds.Stream.TrajectoryMatching, iteration);
        int expert = random.Next(experts.ExpertCount), start = random.Next(options.MaxStartEpoch);
        DsaParameters[]? augmentations = options.Augmentation is { } dsa
            ? [.. Enumerable.Range(0, options.SyntheticSteps).Select(_ => SiameseAugmentation.Draw(dsa, random, labels.Length, Real.ExampleShape[1], Real.ExampleShape[2]))]
            : null;
        (double loss, Tensor[] gradients) = LossAndGradient(
            experts.Snapshot(expert, start), experts.Snapshot(expert, start + options.ExpertEpochs), augmentations);

        // SGD with momentum is linear in the gradient, so scaling α's gradient by the ratio of the rates is α's own rate.
        gradients[^1] = gradients[^1] * (options.StepSizeLearningRate / options.LearningRate);
        update(loss, gradients);
    }

    /// <summary>
    /// L(S, α) from expert parameters <paramref name="start"/> = θ*_t to <paramref name="target"/> = θ*_{t+M}, the n-th
    /// step's examples augmented with augmentations[n] when given; returns L and its gradient with respect to <see cref="Parameters"/>.
    /// </summary>
    internal (double Loss, Tensor[] Gradients) LossAndGradient(ReadOnlySpan<float> start, ReadOnlySpan<float> target, IReadOnlyList<DsaParameters>? augmentations)
    {
        int steps = options.SyntheticSteps;
        float alpha = stepSize.Item();
        Tensor[] synthetic = Synthetic;
        int[] shape = [labels.Length, .. Real.ExampleShape];
        Tensor Augmented(Tensor x, int n) => augmentations is null ? x : SiameseAugmentation.Apply(x, augmentations[n]);
        Tensor images;
        using (Autograd.NoGrad())
        {
            images = Tensor.Concat(synthetic).Reshape(shape);
        }

        // Forward: θ̂_{n+1} = θ̂_n − α ∇_θ ℓ(A_n(S); θ̂_n), keeping every θ̂_n and no graph.
        var theta = new Tensor[steps + 1];
        theta[0] = Tensor.FromValues(start, Network.ParameterCount);
        for (int n = 0; n < steps; n++)
        {
            using (stepArena.Enter())
            {
                Tensor thetaN = theta[n].Detach().RequireGrad();
                Tensor g = Autograd.Grad(Tensor.CrossEntropy(Network.Forward(thetaN, Augmented(images, n)), labels), [thetaN])[0];
                using (Autograd.NoGrad())
                {
                    theta[n + 1] = TensorArena.Keep(thetaN.Detach() - g * alpha);
                }
            }
        }

        // L and ∂L/∂θ̂_N = 2 (θ̂_N − θ*_{t+M}) / ‖θ*_t − θ*_{t+M}‖².
        double startDistance = 0;
        for (int i = 0; i < start.Length; i++)
        {
            double d = start[i] - target[i];
            startDistance += d * d;
        }

        Tensor dTheta;
        double loss;
        using (Autograd.NoGrad())
        {
            Tensor miss = theta[steps] - Tensor.FromValues(target, Network.ParameterCount);
            loss = Tensor.Sum(miss * miss).Item() / startDistance;
            dTheta = miss * (float)(2 / startDistance);
        }

        // Backward through the steps: one vector-Jacobian product of g_n = α ∇_θ ℓ per step, its graph rebuilt from θ̂_n.
        Tensor[] dSynthetic = [.. synthetic.Select(s => Tensor.Zeros(s.Shape))];
        Tensor dAlpha = Tensor.Scalar(0f);
        for (int n = steps - 1; n >= 0; n--)
        {
            using (stepArena.Enter())
            {
                Tensor thetaN = theta[n].Detach().RequireGrad();
                Tensor x = Tensor.Concat(synthetic).Reshape(shape);
                Tensor g = Autograd.Grad(Tensor.CrossEntropy(Network.Forward(thetaN, Augmented(x, n)), labels), [thetaN], createGraph: true)[0];
                Tensor[] vjp = Autograd.Grad([Tensor.MultiplyByScalar(g, stepSize)], [-dTheta], [thetaN, .. synthetic, stepSize]);
                using (Autograd.NoGrad())
                {
                    dTheta = TensorArena.Keep(dTheta + vjp[0]);
                    for (int c = 0; c < synthetic.Length; c++)
                    {
                        dSynthetic[c] = TensorArena.Keep(dSynthetic[c] + vjp[1 + c]);
                    }

                    dAlpha = TensorArena.Keep(dAlpha + vjp[^1]);
                }
            }
        }

        return (loss, [.. dSynthetic, dAlpha]);
    }

    public override string DivergenceAdvice =>
        $"try a lower LearningRate (now {options.LearningRate:G3}) or StepSizeLearningRate (now {options.StepSizeLearningRate:G3})";

    protected override IEnumerable<(string Name, double Value)> MethodFingerprint() =>
    [
        (nameof(options.SyntheticSteps), options.SyntheticSteps), (nameof(options.ExpertEpochs), options.ExpertEpochs),
        (nameof(options.MaxStartEpoch), options.MaxStartEpoch), (nameof(options.InitialStepSize), options.InitialStepSize),
        (nameof(options.StepSizeLearningRate), options.StepSizeLearningRate), ("experts", experts.ExpertCount), ("expert epochs", experts.Epochs),
    ];
}
