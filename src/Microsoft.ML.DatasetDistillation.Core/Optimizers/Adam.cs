using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Optimizers;

/// <summary>
/// Adam (Kingma and Ba), updating leaf tensors in place, with PyTorch's bias correction and ε placement.
/// Its moments can be read and restored, so a run can checkpoint and resume exactly.
/// </summary>
public sealed class Adam : IStatefulOptimizer
{
    private readonly Tensor[] parameters;
    private readonly Tensor[] firstMoments, secondMoments;
    private readonly float[] rateScales;

    /// <summary>Creates the optimiser for <paramref name="parameters"/> (leaves, updated in place).</summary>
    /// <param name="parameters">The leaves to update.</param>
    /// <param name="learningRate">The step size.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="epsilon">Added to the root of the second moment.</param>
    /// <param name="rateScales">One positive factor per parameter that its step size is multiplied by (null: 1 for all),
    /// so that some parameters move more slowly than others under the same schedule.</param>
    public Adam(IReadOnlyList<Tensor> parameters, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
        IReadOnlyList<float>? rateScales = null)
    {
        this.parameters = [.. parameters];
        this.rateScales = rateScales is null ? [.. this.parameters.Select(_ => 1f)] : [.. rateScales];
        if (this.rateScales.Length != this.parameters.Length || this.rateScales.Any(s => !(s > 0) || !float.IsFinite(s)))
        {
            throw new ArgumentException($"Adam needs one positive rate scale per parameter ({this.parameters.Length}), but got [{string.Join(", ", this.rateScales)}].", nameof(rateScales));
        }

        firstMoments = this.parameters.Select(Tensor.StateFor).ToArray();
        secondMoments = this.parameters.Select(Tensor.StateFor).ToArray();
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>The step size; schedules change it between steps.</summary>
    public float LearningRate { get; set; }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the root of the second moment for stability.</summary>
    public float Epsilon { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>Copies of the moments, parameter by parameter: first moments, then second moments (for checkpoints).</summary>
    public IReadOnlyList<float[]> State => [.. firstMoments.Select(m => m.ToArray()), .. secondMoments.Select(v => v.ToArray())];

    /// <summary>Restores moments and step count saved from <see cref="State"/> and <see cref="StepCount"/>.</summary>
    public void Restore(IReadOnlyList<float[]> state, int stepCount)
    {
        if (state.Count != 2 * parameters.Length)
        {
            throw new ArgumentException($"Adam state has {state.Count} buffers but {2 * parameters.Length} are needed.", nameof(state));
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            CopyChecked(state[i], firstMoments[i]);
            CopyChecked(state[parameters.Length + i], secondMoments[i]);
        }

        StepCount = stepCount;
    }

    /// <summary>One update with the given gradients (same order and shapes as the parameters).</summary>
    public void Step(IReadOnlyList<Tensor> gradients)
    {
        if (gradients.Count != parameters.Length)
        {
            throw new ArgumentException($"{gradients.Count} gradients for {parameters.Length} parameters.", nameof(gradients));
        }

        StepCount++;
        float correction1 = 1f - MathF.Pow(Beta1, StepCount);
        float correction2 = 1f - MathF.Pow(Beta2, StepCount);
        float stepSize = LearningRate / correction1, rootCorrection2 = MathF.Sqrt(correction2);
        for (int i = 0; i < parameters.Length; i++)
        {
            if (gradients[i].Length != parameters[i].Length)
            {
                throw new ArgumentException($"Gradient {i} has {gradients[i].Length} elements but its parameter has {parameters[i].Length}.", nameof(gradients));
            }

            // m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − (s·lr/c₁)·m / (√v/√c₂ + ε), s the parameter's rate scale
            Tensor.AdamUpdate(parameters[i], gradients[i], firstMoments[i], secondMoments[i], Beta1, Beta2, stepSize * rateScales[i], rootCorrection2, Epsilon);
        }
    }

    private static void CopyChecked(float[] source, Tensor target)
    {
        if (source.Length != target.Length)
        {
            throw new ArgumentException($"Adam state buffer has {source.Length} elements but {target.Length} are needed.");
        }

        target.CopyFrom(source);
    }
}
