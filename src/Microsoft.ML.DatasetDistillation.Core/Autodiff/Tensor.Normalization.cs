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
    public static Tensor InstanceNorm(Tensor x, Tensor scale, Tensor shift, float epsilon = 1e-5f) => InstanceNorm(x, scale, shift, epsilon, rectify: false);

    /// <summary>
    /// <see cref="Relu"/> of <see cref="InstanceNorm(Tensor, Tensor, Tensor, float)"/>, as the ConvNet's blocks apply them,
    /// with the affine map and the ReLU in one pass: the same bits, one activation written instead of two.
    /// </summary>
    /// <param name="x">Input [N, C, H, W].</param>
    /// <param name="scale">γ [C].</param>
    /// <param name="shift">β [C].</param>
    /// <param name="epsilon">Added to the variance; PyTorch's default is 1e-5.</param>
    public static Tensor InstanceNormRelu(Tensor x, Tensor scale, Tensor shift, float epsilon = 1e-5f) => InstanceNorm(x, scale, shift, epsilon, rectify: true);

    private static Tensor InstanceNorm(Tensor x, Tensor scale, Tensor shift, float epsilon, bool rectify)
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
        return ScaleShiftChannels(normalised, scale, shift, rectify);
    }

    /// <summary>
    /// Each row of a [rows, columns] matrix normalised: y = (x − mean) / √(var + ε), with the row's mean and biased variance.
    /// </summary>
    /// <remarks>
    /// The forward pass is one fused kernel, and so is the gradient, dx = (g − mean(g) − y · mean(g·y)) / √(var + ε) row by
    /// row. When a graph is being recorded (for gradients of gradients) that gradient is an op of its own,
    /// <see cref="NormalizeRowsGradient"/>, whose derivative is fused too: instance norm's second derivative costs two
    /// kernels where the ten-odd ops it is made of would each pass over every activation, twice.
    /// </remarks>
    public static Tensor NormalizeRows(Tensor x, float epsilon = 1e-5f)
    {
        CheckMatrix(x, "NormalizeRows");
        Tensor y = Uninitialized(x.shape[0], x.shape[1]);
        Tensor inverseDeviations = Uninitialized(x.shape[0]);
        Backend.NormalizeRows(x, y, inverseDeviations, epsilon);
        return Record("NormalizeRows", [y], [x], (g, _) => [NormalizeRowsGradient(x, y, inverseDeviations, g[0]!, epsilon)]);
    }

    /// <summary>
    /// The gradient of <see cref="NormalizeRows"/> at x, whose output was y, for the gradient g at y, as a differentiable
    /// op in x and g (y and its rows' inverse deviations s are read as the functions of x they are). Its own gradient is one
    /// fused kernel in a first-order pass and, when a graph is recorded, made of differentiable ops (the same formulas), so
    /// every order works.
    /// </summary>
    private static Tensor NormalizeRowsGradient(Tensor x, Tensor y, Tensor inverseDeviations, Tensor g, float epsilon)
    {
        Tensor dx = Uninitialized(x.shape[0], x.shape[1]);
        Backend.NormalizeRowsBackward(y, inverseDeviations, g, dx);
        return Record("NormalizeRowsGradient", [dx], [x, g], (gradients, needed) =>
        {
            Tensor h = gradients[0]!;
            if (!Autograd.IsRecording)
            {
                Tensor dxOfDx = Uninitialized(x.shape[0], x.shape[1]), dgOfDx = Uninitialized(x.shape[0], x.shape[1]);
                Backend.NormalizeRowsBackwardGradient(y, inverseDeviations, g, h, dxOfDx, dgOfDx);
                return [needed[0] ? dxOfDx : null, needed[1] ? dgOfDx : null];
            }

            // The same formulas in differentiable ops, y and s = 1/√(var + ε) recomputed from x so that they carry x's graph.
            int columns = x.shape[1];
            Tensor RowMeans(Tensor m) => BroadcastRows(SumRows(m) * (1f / columns), columns);
            Tensor centred = x - RowMeans(x);
            Tensor inverseVariance = BroadcastRows(Pow(SumRows(centred * centred) * (1f / columns) + epsilon, -1f), columns);
            Tensor yOfX = NormalizeRows(x, epsilon);
            Tensor meanG = RowMeans(g), meanH = RowMeans(h), meanGY = RowMeans(g * yOfX), meanHY = RowMeans(h * yOfX);
            Tensor dxOfG = -inverseVariance * (meanHY * (g - meanG) + meanGY * (h - meanH) + yOfX * (RowMeans(h * g) - meanG * meanH - meanGY * meanHY * 3f));
            return [needed[0] ? dxOfG : null, needed[1] ? NormalizeRowsGradient(x, yOfX, inverseDeviations, h, epsilon) : null];
        });
    }
}
