using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, updating leaf tensors in place, as PyTorch's SGD does without dampening:
/// v ← μv + g, p ← p − lr·v.
/// </summary>
public sealed class MomentumSgd
{
    private readonly Tensor[] parameters;
    private readonly float[][] velocities;

    /// <summary>Creates the optimiser for <paramref name="parameters"/> (leaves, updated in place).</summary>
    /// <param name="parameters">The leaves to update.</param>
    /// <param name="learningRate">The step size.</param>
    /// <param name="momentum">The decay μ of the velocity, from 0 (plain gradient descent) up to but excluding 1.</param>
    public MomentumSgd(IReadOnlyList<Tensor> parameters, float learningRate, float momentum)
    {
        if (!(momentum >= 0 && momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must be at least 0 and below 1.");
        }

        this.parameters = [.. parameters];
        velocities = this.parameters.Select(p => new float[p.Length]).ToArray();
        LearningRate = learningRate;
        Momentum = momentum;
    }

    /// <summary>The step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>The decay of the velocity.</summary>
    public float Momentum { get; }

    /// <summary>Updates every parameter with its gradient (same order as the parameters).</summary>
    public void Step(IReadOnlyList<Tensor> gradients)
    {
        if (gradients.Count != parameters.Length)
        {
            throw new ArgumentException($"{gradients.Count} gradients for {parameters.Length} parameters.", nameof(gradients));
        }

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
                v[j] = Momentum * v[j] + g[j];
                p[j] -= LearningRate * v[j];
            }
        }
    }
}
