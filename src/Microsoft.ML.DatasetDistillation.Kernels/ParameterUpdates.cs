namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>Optimisers' in-place updates of one parameter and its state, fused into one pass with no temporaries.</summary>
internal static class ParameterUpdates
{
    /// <summary>
    /// Adam with PyTorch's bias correction and ε placement: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
    /// p ← p − step·m / (√v/√c₂ + ε), where <paramref name="step"/> is the rate over the first correction c₁ and
    /// <paramref name="rootCorrection2"/> is √c₂.
    /// </summary>
    public static void Adam(
        Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> firstMoment, Span<float> secondMoment,
        float beta1, float beta2, float step, float rootCorrection2, float epsilon)
    {
        Check(parameter.Length, gradient.Length, firstMoment.Length, secondMoment.Length);
        for (int j = 0; j < parameter.Length; j++)
        {
            firstMoment[j] = beta1 * firstMoment[j] + (1f - beta1) * gradient[j];
            secondMoment[j] = beta2 * secondMoment[j] + (1f - beta2) * gradient[j] * gradient[j];
            parameter[j] -= step * firstMoment[j] / (MathF.Sqrt(secondMoment[j]) / rootCorrection2 + epsilon);
        }
    }

    /// <summary>SGD with momentum μ and L2 weight decay λ, as PyTorch's without dampening: d = g + λp; v ← μv + d; p ← p − rate·v.</summary>
    public static void Momentum(Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> velocity, float momentum, float weightDecay, float rate)
    {
        Check(parameter.Length, gradient.Length, velocity.Length, velocity.Length);
        for (int j = 0; j < parameter.Length; j++)
        {
            // Without decay the gradient is taken as it is (not g + 0·p), so the bits do not depend on the decay's presence.
            float d = weightDecay == 0f ? gradient[j] : gradient[j] + weightDecay * parameter[j];
            velocity[j] = momentum * velocity[j] + d;
            parameter[j] -= rate * velocity[j];
        }
    }

    private static void Check(int parameter, int gradient, int state1, int state2)
    {
        if (gradient != parameter || state1 != parameter || state2 != parameter)
        {
            throw new ArgumentException($"An update of a parameter of {parameter} elements got a gradient of {gradient} elements and state of {state1} and {state2}.");
        }
    }
}
