using Microsoft.ML.DatasetDistillation.Kernels;
using Primitives = System.Numerics.Tensors.TensorPrimitives;

namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// The CPU backend: storage is a managed float array (large ones recycled through the <see cref="TensorArena"/> in scope),
/// and the kernels are this library's SIMD kernels and <see cref="Primitives"/>, run on spans of those arrays.
/// </summary>
internal sealed class ManagedBackend : ITensorBackend
{
    /// <summary>The one instance.</summary>
    public static readonly ManagedBackend Instance = new();

    private ManagedBackend()
    {
    }

    /// <summary>A tensor's elements as a span of its managed array.</summary>
    public static Span<float> Span(Tensor t) => ((float[])t.Storage).AsSpan(t.Offset, t.Length);

    public object Allocate(int length, bool clear) =>
        length >= TensorArena.MinimumLength && TensorArena.Current is { } arena ? arena.Rent(length, clear)
        : clear ? new float[length] : GC.AllocateUninitializedArray<float>(length);

    public object Adopt(float[] values) => values;

    public void Write(ReadOnlySpan<float> values, Tensor target) => values.CopyTo(Span(target));

    public void Read(Tensor source, Span<float> values) => Span(source).CopyTo(values);

    public void Copy(Tensor source, Tensor target, int targetStart) => Span(source).CopyTo(Span(target)[targetStart..]);

    public void Fill(Tensor scalar, Tensor y) => Span(y).Fill(Span(scalar)[0]);

    public void Add(Tensor a, Tensor b, Tensor y) => Primitives.Add(Span(a), Span(b), Span(y));

    public void Subtract(Tensor a, Tensor b, Tensor y) => Primitives.Subtract(Span(a), Span(b), Span(y));

    public void Multiply(Tensor a, Tensor b, Tensor y) => Primitives.Multiply(Span(a), Span(b), Span(y));

    public void Scale(Tensor a, float factor, Tensor y) => Primitives.Multiply(Span(a), factor, Span(y));

    public void Scale(Tensor a, Tensor scalar, Tensor y) => Primitives.Multiply(Span(a), Span(scalar)[0], Span(y));

    public void AddConstant(Tensor a, float constant, Tensor y) => Primitives.Add(Span(a), constant, Span(y));

    public void Sum(Tensor a, Tensor y) => Span(y)[0] = Primitives.Sum(Span(a));

    public void Relu(Tensor x, Tensor y) => Activation.Relu(Span(x), Span(y));

    public void WherePositive(Tensor condition, Tensor values, Tensor y) => Activation.WherePositive(Span(condition), Span(values), Span(y));

    public void Tanh(Tensor x, Tensor y) => Primitives.Tanh(Span(x), Span(y));

    public void Sigmoid(Tensor x, Tensor y) => Primitives.Sigmoid(Span(x), Span(y));

    public void Softplus(Tensor x, Tensor y) => Activation.Softplus(Span(x), Span(y));

    public void Exp(Tensor x, Tensor y) => Primitives.Exp(Span(x), Span(y));

    public void Pow(Tensor x, float exponent, Tensor y) => Primitives.Pow(Span(x), exponent, Span(y));

    // IsFiniteAll says false for an empty span.
    public bool IsAllFinite(Tensor x) => x.Length == 0 || Primitives.IsFiniteAll<float>(Span(x));

    public void MatMul(Tensor a, Tensor b, bool transposeA, bool transposeB, int m, int n, int k, Tensor y) =>
        Gemm.Multiply(transposeA, transposeB, m, n, k, 1f, Span(a), a.Dim(1), Span(b), b.Dim(1), 0f, Span(y), n);

    public void AddBias(int outer, int channels, int inner, Tensor x, Tensor bias, Tensor y) => Bias.Add(outer, channels, inner, Span(x), Span(bias), Span(y));

    public void ScaleChannels(int outer, int channels, int inner, Tensor x, Tensor scale, Tensor y) =>
        Bias.Scale(outer, channels, inner, Span(x), Span(scale), Span(y));

    public void ScaleShiftChannels(int outer, int channels, int inner, Tensor x, Tensor scale, Tensor shift, bool rectify, Tensor y) =>
        Bias.ScaleAdd(outer, channels, inner, Span(x), Span(scale), Span(shift), rectify, Span(y));

    public void ChannelDot(int outer, int channels, int inner, Tensor a, Tensor b, Tensor y) =>
        Bias.SumProductTo(outer, channels, inner, Span(a), Span(b), Span(y));

    public void SumToBias(int outer, int channels, int inner, Tensor x, Tensor y) => Bias.SumTo(outer, channels, inner, Span(x), Span(y));

    public void BroadcastBias(int outer, int channels, int inner, Tensor bias, Tensor y) => Bias.Broadcast(outer, channels, inner, Span(bias), Span(y));

    public void LogSoftmax(Tensor x, Tensor y) => Rows.LogSoftmax(x.Dim(0), x.Dim(1), Span(x), Span(y));

    public void SumRows(Tensor x, Tensor y) => Rows.Sum(x.Dim(0), x.Dim(1), Span(x), Span(y));

    public void NormalizeRows(Tensor x, Tensor y, Tensor inverseDeviations, float epsilon)
    {
        int columns = x.Dim(1);
        float[] input = (float[])x.Storage, output = (float[])y.Storage, inverses = (float[])inverseDeviations.Storage;
        int inputOffset = x.Offset, outputOffset = y.Offset, inverseOffset = inverseDeviations.Offset;
        // Rows are independent: split them across the run's threads in chunks of about 64 K values.
        KernelParallel.For(x.Dim(0), Math.Max(1, 65536 / columns), (start, end) => Rows.Normalize(
            end - start, columns, input.AsSpan(inputOffset + start * columns, (end - start) * columns), output.AsSpan(outputOffset + start * columns, (end - start) * columns),
            inverses.AsSpan(inverseOffset + start, end - start), epsilon));
    }

    public void NormalizeRowsBackward(Tensor y, Tensor inverseDeviations, Tensor g, Tensor dx)
    {
        int columns = y.Dim(1);
        float[] normalized = (float[])y.Storage, inverses = (float[])inverseDeviations.Storage, gradient = (float[])g.Storage, output = (float[])dx.Storage;
        int yOffset = y.Offset, inverseOffset = inverseDeviations.Offset, gOffset = g.Offset, dxOffset = dx.Offset;
        KernelParallel.For(y.Dim(0), Math.Max(1, 65536 / columns), (start, end) =>
        {
            int count = (end - start) * columns;
            Rows.NormalizeBackward(end - start, columns, normalized.AsSpan(yOffset + start * columns, count), inverses.AsSpan(inverseOffset + start, end - start),
                gradient.AsSpan(gOffset + start * columns, count), output.AsSpan(dxOffset + start * columns, count));
        });
    }

    public void NormalizeRowsBackwardGradient(Tensor y, Tensor inverseDeviations, Tensor g, Tensor h, Tensor dx, Tensor dg)
    {
        int columns = y.Dim(1);
        float[] normalized = (float[])y.Storage, inverses = (float[])inverseDeviations.Storage, gradient = (float[])g.Storage, outer = (float[])h.Storage;
        float[] inputGradient = (float[])dx.Storage, gradientGradient = (float[])dg.Storage;
        int yOffset = y.Offset, inverseOffset = inverseDeviations.Offset, gOffset = g.Offset, hOffset = h.Offset, dxOffset = dx.Offset, dgOffset = dg.Offset;
        KernelParallel.For(y.Dim(0), Math.Max(1, 65536 / columns), (start, end) =>
        {
            int count = (end - start) * columns, first = start * columns;
            Rows.NormalizeBackwardGradient(end - start, columns, normalized.AsSpan(yOffset + first, count), inverses.AsSpan(inverseOffset + start, end - start),
                gradient.AsSpan(gOffset + first, count), outer.AsSpan(hOffset + first, count),
                inputGradient.AsSpan(dxOffset + first, count), gradientGradient.AsSpan(dgOffset + first, count));
        });
    }

    public void BroadcastRows(Tensor v, Tensor y) => Rows.Broadcast(y.Dim(0), y.Dim(1), Span(v), Span(y));

    public void ArgMaxRows(Tensor x, Span<int> result) => Rows.ArgMax(x.Dim(0), x.Dim(1), Span(x), result);

    public void OneHot(ReadOnlySpan<int> labels, Tensor y)
    {
        Span<float> values = Span(y);
        values.Clear();
        int classes = y.Dim(1);
        for (int r = 0; r < labels.Length; r++)
        {
            values[r * classes + labels[r]] = 1f;
        }
    }

    public void Conv2d(Conv2dGeometry geometry, Tensor x, Tensor weights, Tensor? bias, Tensor y) =>
        Convolution.Forward(geometry, Span(x), Span(weights), bias is null ? [] : Span(bias), Span(y));

    public void Conv2dInputGradient(Conv2dGeometry geometry, Tensor outputGradient, Tensor weights, Tensor dx) =>
        Convolution.BackwardInput(geometry, Span(outputGradient), Span(weights), Span(dx));

    public void Conv2dWeightGradient(Conv2dGeometry geometry, Tensor x, Tensor outputGradient, Tensor dw) =>
        Convolution.BackwardWeights(geometry, Span(x), Span(outputGradient), Span(dw));

    public object MaxPool(Pool2dGeometry geometry, Tensor x, Tensor y)
    {
        int[] argmax = GC.AllocateUninitializedArray<int>(y.Length);
        Pooling.MaxForward(geometry, Span(x), Span(y), argmax);
        return argmax;
    }

    public void MaxPoolAdjoint(Pool2dGeometry geometry, Tensor outputGradient, object positions, Tensor dx) =>
        Pooling.MaxBackward(geometry, Span(outputGradient), (int[])positions, Span(dx));

    public void GatherByPositions(Tensor source, object positions, Tensor y) => Pooling.GatherByArgmax(Span(source), (int[])positions, Span(y));

    public void AvgPool(Pool2dGeometry geometry, Tensor x, Tensor y) => Pooling.AverageForward(geometry, Span(x), Span(y));

    public void AvgPoolAdjoint(Pool2dGeometry geometry, Tensor outputGradient, Tensor dx) => Pooling.AverageBackward(geometry, Span(outputGradient), Span(dx));

    public void ChannelWindowSum(int before, int after, Tensor x, Tensor y) =>
        ChannelWindow.Sum(x.Dim(0), x.Dim(1), x.Length / (x.Dim(0) * x.Dim(1)), before, after, Span(x), Span(y));

    public void Resample(ResamplingMap map, Tensor x, Tensor y) =>
        Resampling.Gather(x.Dim(0), x.Dim(1), map.InHeight * map.InWidth, map.OutHeight * map.OutWidth, map.Taps, map.Sources, map.Weights, Span(x), Span(y));

    public void ResampleTranspose(ResamplingMap map, Tensor outputGradient, Tensor dx) =>
        Resampling.Scatter(dx.Dim(0), dx.Dim(1), map.InHeight * map.InWidth, map.OutHeight * map.OutWidth, map.Taps, map.Sources, map.Weights, Span(outputGradient), Span(dx));

    public void AdamUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, float beta1, float beta2, float step, float rootCorrection2, float epsilon) =>
        ParameterUpdates.Adam(Span(parameter), Span(gradient), Span(firstMoment), Span(secondMoment), beta1, beta2, step, rootCorrection2, epsilon);

    public void MomentumUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float momentum, float weightDecay, float rate) =>
        ParameterUpdates.Momentum(Span(parameter), Span(gradient), Span(velocity), momentum, weightDecay, rate);
}
