using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Convolution, pooling and local response normalisation over NCHW tensors. The ops come in families that are
// closed under differentiation: a convolution's input gradient is a transposed convolution, whose own gradients
// are again a convolution and a weight gradient, and so on.
public sealed partial class Tensor
{
    /// <summary>2-D convolution (cross-correlation, no bias) of x [N, C, H, W] with weights [O, C, KH, KW].</summary>
    public static Tensor Conv2d(Tensor x, Tensor weights, int stride = 1, int padding = 0) =>
        Conv2d(x, weights, null, ConvGeometry(x.shape, weights.shape, stride, padding));

    /// <summary>
    /// 2-D convolution of x [N, C, H, W] with weights [O, C, KH, KW] plus bias [O] on each output channel: the bits of
    /// <see cref="AddBias"/> after <see cref="Conv2d(Tensor, Tensor, int, int)"/>, with the output written once instead of twice.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weights, Tensor bias, int stride = 1, int padding = 0)
    {
        Conv2dGeometry geometry = ConvGeometry(x.shape, weights.shape, stride, padding);
        if (bias.Rank != 1 || bias.Length != geometry.OutChannels)
        {
            throw new ArgumentException($"Conv2d needs a bias of shape [{geometry.OutChannels}] for weights {ShapeText(weights.shape)}, but got {ShapeText(bias.shape)}.");
        }

        return Conv2d(x, weights, bias, geometry);
    }

    /// <summary>The gradient of a convolution with respect to its input: a transposed convolution of dy with the weights.</summary>
    internal static Tensor Conv2dInputGradient(Tensor outputGradient, Tensor weights, Conv2dGeometry geometry)
    {
        Tensor dx = Uninitialized(geometry.Batch, geometry.InChannels, geometry.Height, geometry.Width);
        Backend.Conv2dInputGradient(geometry, outputGradient, weights, dx);

        // Bilinear in (dy, w): its gradients are a forward convolution and a weight gradient.
        return Record("Conv2dInputGradient", [dx], [outputGradient, weights], (g, need) =>
        [
            need[0] ? Conv2d(g[0]!, weights, null, geometry) : null,
            need[1] ? Conv2dWeightGradient(g[0]!, outputGradient, geometry) : null,
        ]);
    }

    /// <summary>The gradient of a convolution with respect to its weights, summed over the batch.</summary>
    internal static Tensor Conv2dWeightGradient(Tensor x, Tensor outputGradient, Conv2dGeometry geometry)
    {
        Tensor dw = Uninitialized(geometry.OutChannels, geometry.InChannels, geometry.KernelHeight, geometry.KernelWidth);
        Backend.Conv2dWeightGradient(geometry, x, outputGradient, dw);
        return Record("Conv2dWeightGradient", [dw], [x, outputGradient], (g, need) =>
        [
            need[0] ? Conv2dInputGradient(outputGradient, g[0]!, geometry) : null,
            need[1] ? Conv2d(x, g[0]!, null, geometry) : null,
        ]);
    }

    /// <summary>Both public convolutions, recorded as one op: with a bias its gradient gains the bias's, the output gradient summed per channel.</summary>
    private static Tensor Conv2d(Tensor x, Tensor weights, Tensor? bias, Conv2dGeometry geometry)
    {
        Tensor y = Uninitialized(geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth);
        Backend.Conv2d(geometry, x, weights, bias, y);
        return Record(bias is null ? "Conv2d" : "Conv2dBias", [y], bias is null ? [x, weights] : [x, weights, bias], (g, need) =>
        [
            need[0] ? Conv2dInputGradient(g[0]!, weights, geometry) : null,
            need[1] ? Conv2dWeightGradient(x, g[0]!, geometry) : null,
            .. bias is null ? Array.Empty<Tensor?>() : [need[2] ? SumToBias(g[0]!) : null],
        ]);
    }

    /// <summary>Max pooling over NCHW windows; padding never wins. The chosen positions are kept for the backward pass.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride = -1, int padding = 0)
    {
        Pool2dGeometry geometry = PoolGeometry(x, kernel, stride < 0 ? kernel : stride, padding);
        Tensor y = Uninitialized(geometry.Batch, geometry.Channels, geometry.OutHeight, geometry.OutWidth);
        object positions = Backend.MaxPool(geometry, x, y);

        // Max pooling is piecewise linear: its gradient routes dy to the chosen positions, and that routing is linear.
        return Record("MaxPool2d", [y], [x], (g, _) => [MaxPool2dAdjoint(g[0]!, positions, geometry)]);
    }

    /// <summary>
    /// Adds each output gradient into the input position its window chose (the backend's record of them,
    /// <paramref name="positions"/>): the adjoint of gathering by those positions.
    /// </summary>
    private static Tensor MaxPool2dAdjoint(Tensor outputGradient, object positions, Pool2dGeometry geometry)
    {
        Tensor dx = Uninitialized(geometry.Batch, geometry.Channels, geometry.Height, geometry.Width);
        Backend.MaxPoolAdjoint(geometry, outputGradient, positions, dx);
        return Record("MaxPool2dAdjoint", [dx], [outputGradient], (g, _) => [GatherByPositions(g[0]!, positions, geometry)]);
    }

    /// <summary>y[i] = source[the position output i chose], shaped as the pooled output.</summary>
    private static Tensor GatherByPositions(Tensor source, object positions, Pool2dGeometry geometry)
    {
        Tensor y = Uninitialized(geometry.Batch, geometry.Channels, geometry.OutHeight, geometry.OutWidth);
        Backend.GatherByPositions(source, positions, y);
        return Record("GatherByPositions", [y], [source], (g, _) => [MaxPool2dAdjoint(g[0]!, positions, geometry)]);
    }

    /// <summary>Average pooling over NCHW windows; padding counts as zeros and the divisor is the window size.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride = -1, int padding = 0)
    {
        Pool2dGeometry geometry = PoolGeometry(x, kernel, stride < 0 ? kernel : stride, padding);
        return AvgPool2d(x, geometry);
    }

    private static Tensor AvgPool2d(Tensor x, Pool2dGeometry geometry)
    {
        Tensor y = Uninitialized(geometry.Batch, geometry.Channels, geometry.OutHeight, geometry.OutWidth);
        Backend.AvgPool(geometry, x, y);
        return Record("AvgPool2d", [y], [x], (g, _) => [AvgPool2dAdjoint(g[0]!, geometry)]);
    }

    private static Tensor AvgPool2dAdjoint(Tensor outputGradient, Pool2dGeometry geometry)
    {
        Tensor dx = Uninitialized(geometry.Batch, geometry.Channels, geometry.Height, geometry.Width);
        Backend.AvgPoolAdjoint(geometry, outputGradient, dx);
        return Record("AvgPool2dAdjoint", [dx], [outputGradient], (g, _) => [AvgPool2d(g[0]!, geometry)]);
    }

    /// <summary>
    /// For each channel c, the sum of x over channels c − <paramref name="before"/> … c + <paramref name="after"/>
    /// (clipped at the edges). Its adjoint is the same sum with the window mirrored.
    /// </summary>
    public static Tensor ChannelWindowSum(Tensor x, int before, int after)
    {
        if (x.Rank < 2 || before < 0 || after < 0)
        {
            throw new ArgumentException($"ChannelWindowSum needs data of rank ≥ 2 and a window of non-negative reach, but got {ShapeText(x.shape)} with before={before}, after={after}.");
        }

        Tensor y = Uninitialized(x.shape);
        Backend.ChannelWindowSum(before, after, x, y);
        return Record("ChannelWindowSum", [y], [x], (g, _) => [ChannelWindowSum(g[0]!, after, before)]);
    }

    /// <summary>
    /// Local response normalisation across channels, as PyTorch's local_response_norm:
    /// y = x / (k + α/size · Σ_window x²)^β, the window reaching size/2 channels back and (size−1)/2 forward.
    /// </summary>
    public static Tensor LocalResponseNorm(Tensor x, int size, float alpha = 1e-4f, float beta = 0.75f, float k = 1f)
    {
        Tensor windowSum = ChannelWindowSum(x * x, size / 2, (size - 1) / 2);
        return x * Pow(windowSum * (alpha / size) + k, -beta);
    }

    private static Conv2dGeometry ConvGeometry(int[] x, int[] w, int stride, int padding)
    {
        if (x.Length != 4 || w.Length != 4 || x[1] != w[1] || stride < 1 || padding < 0
            || x[2] + 2 * padding < w[2] || x[3] + 2 * padding < w[3])
        {
            throw new ArgumentException(
                $"Conv2d needs input [N, C, H, W] and weights [O, C, KH, KW] with matching C and a kernel that fits the padded input, " +
                $"but got input {ShapeText(x)}, weights {ShapeText(w)}, stride {stride}, padding {padding}.");
        }

        return new Conv2dGeometry(x[0], x[1], x[2], x[3], w[0], w[2], w[3], stride, stride, padding, padding);
    }

    private static Pool2dGeometry PoolGeometry(Tensor x, int kernel, int stride, int padding)
    {
        if (x.Rank != 4 || kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2
            || x.shape[2] + 2 * padding < kernel || x.shape[3] + 2 * padding < kernel)
        {
            throw new ArgumentException(
                $"Pooling needs input [N, C, H, W], a window that fits and padding at most half the window, but got input {ShapeText(x.shape)}, " +
                $"kernel {kernel}, stride {stride}, padding {padding}.");
        }

        return new Pool2dGeometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], kernel, kernel, stride, stride, padding, padding);
    }
}
