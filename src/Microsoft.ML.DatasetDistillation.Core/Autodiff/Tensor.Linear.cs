namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Matrix products and per-channel bias.
public sealed partial class Tensor
{
    /// <summary>
    /// op(a)·op(b) for 2-D tensors, where op transposes when asked: a is [m, k] (or [k, m] with
    /// <paramref name="transposeA"/>), b is [k, n] (or [n, k] with <paramref name="transposeB"/>); the result is [m, n].
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        if (a.Rank != 2 || b.Rank != 2)
        {
            throw new ArgumentException($"MatMul needs 2-D tensors, but got {ShapeText(a.shape)} and {ShapeText(b.shape)}.");
        }

        int m = transposeA ? a.shape[1] : a.shape[0];
        int k = transposeA ? a.shape[0] : a.shape[1];
        int kb = transposeB ? b.shape[1] : b.shape[0];
        int n = transposeB ? b.shape[0] : b.shape[1];
        if (k != kb)
        {
            throw new ArgumentException(
                $"MatMul inner sizes differ: {ShapeText(a.shape)}{(transposeA ? "ᵀ" : "")} × {ShapeText(b.shape)}{(transposeB ? "ᵀ" : "")} ({k} vs {kb}).");
        }

        Tensor y = Uninitialized(m, n);
        Backend.MatMul(a, b, transposeA, transposeB, m, n, k, y);

        // C = op(A)·op(B): d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G, transposed back to how A and B are stored.
        return Record("MatMul", [y], [a, b], (g, need) =>
        [
            need[0] ? (transposeA ? MatMul(b, g[0]!, transposeB, true) : MatMul(g[0]!, b, false, !transposeB)) : null,
            need[1] ? (transposeB ? MatMul(g[0]!, a, true, transposeA) : MatMul(a, g[0]!, !transposeA, false)) : null,
        ]);
    }

    /// <summary>Adds bias[c] along dimension 1: to rows of [N, F] or to channels of [N, C, H, W].</summary>
    public static Tensor AddBias(Tensor x, Tensor bias)
    {
        var (outer, channels, inner) = BiasLayout(x, bias.Length, bias.Rank == 1, "AddBias");
        Tensor y = Uninitialized(x.shape);
        Backend.AddBias(outer, channels, inner, x, bias, y);
        return Record("AddBias", [y], [x, bias], (g, need) => [g[0], need[1] ? SumToBias(g[0]!) : null]);
    }

    /// <summary>Multiplies x [N, C, …] by scale[c] along dimension 1 (a per-channel gain, as normalisation layers apply), in one pass.</summary>
    public static Tensor ScaleChannels(Tensor x, Tensor scale)
    {
        var (outer, channels, inner) = BiasLayout(x, scale.Length, scale.Rank == 1, "ScaleChannels");
        Tensor y = Uninitialized(x.shape);
        Backend.ScaleChannels(outer, channels, inner, x, scale, y);
        return Record("ScaleChannels", [y], [x, scale], (g, need) =>
            [need[0] ? ScaleChannels(g[0]!, scale) : null, need[1] ? ChannelDot(g[0]!, x) : null]);
    }

    /// <summary>
    /// x·scale[c] + shift[c] along dimension 1, in one pass: the per-channel affine map of a normalisation layer, which
    /// <see cref="ScaleChannels"/> then <see cref="AddBias"/> would write twice.
    /// </summary>
    public static Tensor ScaleShiftChannels(Tensor x, Tensor scale, Tensor shift) => ScaleShiftChannels(x, scale, shift, rectify: false);

    /// <summary>
    /// <see cref="ScaleShiftChannels(Tensor, Tensor, Tensor)"/>, then <see cref="Relu"/> where <paramref name="rectify"/>,
    /// in the same pass: the bits of the two ops, one activation written instead of two.
    /// </summary>
    private static Tensor ScaleShiftChannels(Tensor x, Tensor scale, Tensor shift, bool rectify)
    {
        var (outer, channels, inner) = BiasLayout(x, scale.Length, scale.Rank == 1, "ScaleShiftChannels");
        BiasLayout(x, shift.Length, shift.Rank == 1, "ScaleShiftChannels");
        Tensor y = Uninitialized(x.shape);
        Backend.ScaleShiftChannels(outer, channels, inner, x, scale, shift, rectify, y);
        return Record(rectify ? "ScaleShiftChannelsRelu" : "ScaleShiftChannels", [y], [x, scale, shift], (g, need) =>
        {
            // ReLU's rule first: the output is positive exactly where the affine map's value was.
            Tensor affineGradient = rectify ? WherePositive(y, g[0]!) : g[0]!;
            return [need[0] ? ScaleChannels(affineGradient, scale) : null, need[1] ? ChannelDot(affineGradient, x) : null, need[2] ? SumToBias(affineGradient) : null];
        });
    }

    /// <summary>
    /// Σ over every dimension but dimension 1 of a ⊙ b, in one pass without storing the product: the gradient of a
    /// per-channel scale.
    /// </summary>
    public static Tensor ChannelDot(Tensor a, Tensor b)
    {
        if (!a.shape.AsSpan().SequenceEqual(b.shape))
        {
            throw new ArgumentException($"ChannelDot needs two tensors of one shape, but got {ShapeText(a.shape)} and {ShapeText(b.shape)}.");
        }

        var (outer, channels, inner) = BiasLayout(a, a.Rank > 1 ? a.shape[1] : -1, true, "ChannelDot");
        Tensor y = Uninitialized(channels);
        Backend.ChannelDot(outer, channels, inner, a, b, y);
        return Record("ChannelDot", [y], [a, b], (g, need) =>
            [need[0] ? ScaleChannels(b, g[0]!) : null, need[1] ? ScaleChannels(a, g[0]!) : null]);
    }

    /// <summary>Sums over every dimension but dimension 1: the bias gradient of <see cref="AddBias"/>.</summary>
    public static Tensor SumToBias(Tensor x)
    {
        var (outer, channels, inner) = BiasLayout(x, x.Rank > 1 ? x.shape[1] : -1, true, "SumToBias");
        Tensor y = Uninitialized(channels);
        Backend.SumToBias(outer, channels, inner, x, y);
        int[] inputShape = x.shape;
        return Record("SumToBias", [y], [x], (g, _) => [BroadcastBias(g[0]!, inputShape)]);
    }

    /// <summary>A tensor of <paramref name="shape"/> holding bias[c] along dimension 1: the adjoint of <see cref="SumToBias"/>.</summary>
    public static Tensor BroadcastBias(Tensor bias, params ReadOnlySpan<int> shape)
    {
        Tensor y = Uninitialized(shape);
        var (outer, channels, inner) = BiasLayout(y, bias.Length, bias.Rank == 1, "BroadcastBias");
        Backend.BroadcastBias(outer, channels, inner, bias, y);
        return Record("BroadcastBias", [y], [bias], (g, _) => [SumToBias(g[0]!)]);
    }

    private static (int Outer, int Channels, int Inner) BiasLayout(Tensor x, int biasLength, bool biasIsVector, string op)
    {
        if (x.Rank < 2 || !biasIsVector || x.shape[1] != biasLength)
        {
            throw new ArgumentException(
                $"{op} needs data of rank ≥ 2 whose dimension 1 matches a bias vector, but got data {ShapeText(x.shape)} and a bias of {biasLength} elements.");
        }

        return (x.shape[0], x.shape[1], x.Length / Math.Max(1, x.shape[0] * x.shape[1]));
    }
}
