namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Normalisation layers, composed from differentiable row and bias ops so that their gradients of gradients come for free.
public sealed partial class Tensor
{
    /// <summary>
    /// Instance normalisation with a per-channel affine map, as PyTorch's GroupNorm(C, C, affine: true) (the ConvNet of
    /// gradient matching, DSA and distribution matching): each sample's channel is normalised over its H×W values,
    /// y = (x − mean) / √(var + ε) · scale[c] + shift[c], with the biased variance.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="scale">γ [C].</param>
    /// <param name="shift">β [C].</param>
    /// <param name="epsilon">Added to the variance; PyTorch's default is 1e-5.</param>
    public static Tensor InstanceNorm(Tensor x, Tensor scale, Tensor shift, float epsilon = 1e-5f)
    {
        if (x.Rank != 4 || scale.Rank != 1 || shift.Rank != 1 || scale.Length != x.shape[1] || shift.Length != x.shape[1])
        {
            throw new ArgumentException(
                $"InstanceNorm needs input [N, C, H, W] and scale and shift of C elements, but got input {ShapeText(x.shape)}, " +
                $"scale {ShapeText(scale.shape)}, shift {ShapeText(shift.shape)}.");
        }

        if (!(epsilon > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "InstanceNorm's epsilon must be positive.");
        }

        // Each (sample, channel) pair is one row of H·W values.
        int rows = x.shape[0] * x.shape[1], pixels = x.shape[2] * x.shape[3];
        Tensor flat = x.Reshape(rows, pixels);
        Tensor centred = flat - BroadcastRows(SumRows(flat) * (1f / pixels), pixels);
        Tensor inverseDeviation = Pow(SumRows(centred * centred) * (1f / pixels) + epsilon, -0.5f);
        Tensor normalised = (centred * BroadcastRows(inverseDeviation, pixels)).Reshape(x.shape);
        return AddBias(normalised * BroadcastBias(scale, x.shape), shift);
    }
}
