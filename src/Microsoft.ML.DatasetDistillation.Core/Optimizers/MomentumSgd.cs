using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, updating leaf tensors in place, as PyTorch's SGD does without dampening:
/// d = g + λp (λ the weight decay), v ← μv + d, p ← p − lr·v. Its velocities can be read and restored, so a run can
/// checkpoint and resume exactly.
/// </summary>
public sealed class MomentumSgd : IStatefulOptimizer
{
    private readonly Tensor[] parameters;
    private readonly Tensor[] velocities;

    /// <summary>Creates the optimiser for <paramref name="parameters"/> (leaves, updated in place).</summary>
    /// <param name="parameters">The leaves to update.</param>
    /// <param name="learningRate">The step size.</param>
    /// <param name="momentum">The decay μ of the velocity, from 0 (plain gradient descent) up to but excluding 1.</param>
    /// <param name="weightDecay">λ, the L2 penalty's factor added to every gradient (0: none).</param>
    public MomentumSgd(IReadOnlyList<Tensor> parameters, float learningRate, float momentum, float weightDecay = 0f)
    {
        if (!(momentum >= 0 && momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must be at least 0 and below 1.");
        }

        if (!(weightDecay >= 0) || !float.IsFinite(weightDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "The weight decay must be a finite number of at least 0.");
        }

        this.parameters = [.. parameters];
        velocities = this.parameters.Select(Tensor.StateFor).ToArray();
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    /// <summary>The step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>The decay of the velocity.</summary>
    public float Momentum { get; }

    /// <summary>The L2 penalty's factor.</summary>
    public float WeightDecay { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>Copies of the velocity of every parameter (for checkpoints).</summary>
    public IReadOnlyList<float[]> State => [.. velocities.Select(v => v.ToArray())];

    /// <summary>Restores velocities saved from <see cref="State"/> and the step count.</summary>
    public void Restore(IReadOnlyList<float[]> state, int stepCount)
    {
        if (state.Count != parameters.Length || state.Zip(velocities).Any(pair => pair.First.Length != pair.Second.Length))
        {
            throw new ArgumentException($"SGD state must hold one velocity per parameter, as long as it ({parameters.Length} parameters).", nameof(state));
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            velocities[i].CopyFrom(state[i]);
        }

        StepCount = stepCount;
    }

    /// <summary>Updates every parameter with its gradient (same order as the parameters).</summary>
    public void Step(IReadOnlyList<Tensor> gradients)
    {
        if (gradients.Count != parameters.Length)
        {
            throw new ArgumentException($"{gradients.Count} gradients for {parameters.Length} parameters.", nameof(gradients));
        }

        StepCount++;
        for (int i = 0; i < parameters.Length; i++)
        {
            if (gradients[i].Length != parameters[i].Length)
            {
                throw new ArgumentException($"Gradient {i} has {gradients[i].Length} elements but its parameter has {parameters[i].Length}.", nameof(gradients));
            }

            Tensor.MomentumUpdate(parameters[i], gradients[i], velocities[i], Momentum, WeightDecay, LearningRate);
        }
    }
}
