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
    private readonly float[][] velocities;

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
        velocities = this.parameters.Select(p => new float[p.Length]).ToArray();
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

    /// <summary>The velocity of every parameter (for checkpoints).</summary>
    public IReadOnlyList<float[]> State => velocities;

    /// <summary>Restores velocities saved from <see cref="State"/> and the step count.</summary>
    public void Restore(IReadOnlyList<float[]> state, int stepCount)
    {
        if (state.Count != parameters.Length || state.Zip(velocities).Any(pair => pair.First.Length != pair.Second.Length))
        {
            throw new ArgumentException($"SGD state must hold one velocity per parameter, as long as it ({parameters.Length} parameters).", nameof(state));
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            state[i].CopyTo(velocities[i], 0);
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
            Span<float> p = parameters[i].Data, v = velocities[i];
            ReadOnlySpan<float> g = gradients[i].Data;
            if (g.Length != p.Length)
            {
                throw new ArgumentException($"Gradient {i} has {g.Length} elements but its parameter has {p.Length}.", nameof(gradients));
            }

            for (int j = 0; j < p.Length; j++)
            {
                // Without decay the gradient is taken as it is (not g + 0·p), so the bits do not depend on the decay's presence.
                float d = WeightDecay == 0f ? g[j] : g[j] + WeightDecay * p[j];
                v[j] = Momentum * v[j] + d;
                p[j] -= LearningRate * v[j];
            }
        }
    }
}
