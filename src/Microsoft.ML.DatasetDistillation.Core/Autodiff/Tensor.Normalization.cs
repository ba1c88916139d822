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
        Tensor normalised = NormalizeRows(x.Reshape(x.shape[0] * x.shape[1], x.shape[2] * x.shape[3]), epsilon).Reshape(x.shape);
        return AddBias(ScaleChannels(normalised, scale), shift);
    }

    /// <summary>
    /// Each row of a [rows, columns] matrix normalised: y = (x − mean) / √(var + ε), with the row's mean and biased variance.
    /// </summary>
    /// <remarks>
    /// The forward pass is one fused kernel. The gradient, dx = (g − mean(g) − y · mean(g·y)) / √(var + ε) row by row,
    /// is a fused kernel too when no graph is being recorded (a first-order backward pass, the common case); when one is,
    /// it is built from differentiable ops, so gradients of gradients work.
    /// </remarks>
    public static Tensor NormalizeRows(Tensor x, float epsilon = 1e-5f)
    {
        CheckMatrix(x, "NormalizeRows");
        Tensor y = Uninitialized(x.shape[0], x.shape[1]);
        Backend.NormalizeRows(x, y, epsilon);
        return Record("NormalizeRows", [y], [x], (g, _) =>
        {
            if (!Autograd.IsRecording)
            {
                Tensor dx = Uninitialized(x.shape[0], x.shape[1]);
                Backend.NormalizeRowsBackward(x, y, g[0]!, dx, epsilon);
                return [dx];
            }

            int columns = x.shape[1];
            Tensor RowMeans(Tensor m) => BroadcastRows(SumRows(m) * (1f / columns), columns);
            Tensor centred = x - RowMeans(x);
            Tensor inverseDeviation = BroadcastRows(Pow(SumRows(centred * centred) * (1f / columns) + epsilon, -0.5f), columns);
            return [inverseDeviation * (g[0]! - RowMeans(g[0]!) - y * RowMeans(g[0]! * y))];
        });
    }
}
