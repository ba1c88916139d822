namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Optimiser updates: the only ops that write into existing tensors, leaves and optimiser state between gradient
// computations (see the class remarks). Not recorded: an update is not part of any graph.
public sealed partial class Tensor
{
    /// <summary>
    /// Zeros shaped like <paramref name="parameter"/> for an optimiser's state, in storage of their own: never a tensor
    /// arena's, whose buffers are lent for one pass only, even when the optimiser is made inside an arena's scope.
    /// </summary>
    internal static Tensor StateFor(Tensor parameter) => FromArray(new float[parameter.Length], parameter.shape);

    /// <summary>Adam's update of one parameter and its moments (see <see cref="ITensorBackend.AdamUpdate"/>).</summary>
    internal static void AdamUpdate(
        Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, float beta1, float beta2, float step, float rootCorrection2, float epsilon) =>
        Backend.AdamUpdate(parameter, gradient, firstMoment, secondMoment, beta1, beta2, step, rootCorrection2, epsilon);

    /// <summary>SGD with momentum's update of one parameter and its velocity (see <see cref="ITensorBackend.MomentumUpdate"/>).</summary>
    internal static void MomentumUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float momentum, float weightDecay, float rate) =>
        Backend.MomentumUpdate(parameter, gradient, velocity, momentum, weightDecay, rate);
}
