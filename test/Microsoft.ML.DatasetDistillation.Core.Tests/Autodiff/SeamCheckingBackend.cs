using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

/// <summary>
/// A backend that passes every call on to another one and checks the seam as it goes: each tensor a call is given must
/// live in storage this backend made (so nothing reached storage around it), and each method called is counted.
/// </summary>
internal sealed class SeamCheckingBackend(ITensorBackend next) : ITensorBackend
{
    private readonly HashSet<object> madeHere = new(ReferenceEqualityComparer.Instance);
    private readonly Lock gate = new();

    /// <summary>How often each method was called, by name.</summary>
    public Dictionary<string, int> Calls { get; } = [];

    public object Allocate(int length, bool clear) => Made(nameof(Allocate), next.Allocate(length, clear));

    public object Adopt(float[] values) => Made(nameof(Adopt), next.Adopt(values));

    public void Write(ReadOnlySpan<float> values, Tensor target)
    {
        Check(nameof(Write), target);
        next.Write(values, target);
    }

    public void Read(Tensor source, Span<float> values)
    {
        Check(nameof(Read), source);
        next.Read(source, values);
    }

    public void Copy(Tensor source, Tensor target, int targetStart) => Run(nameof(Copy), () => next.Copy(source, target, targetStart), source, target);

    public void Fill(Tensor scalar, Tensor y) => Run(nameof(Fill), () => next.Fill(scalar, y), scalar, y);

    public void Add(Tensor a, Tensor b, Tensor y) => Run(nameof(Add), () => next.Add(a, b, y), a, b, y);

    public void Subtract(Tensor a, Tensor b, Tensor y) => Run(nameof(Subtract), () => next.Subtract(a, b, y), a, b, y);

    public void Multiply(Tensor a, Tensor b, Tensor y) => Run(nameof(Multiply), () => next.Multiply(a, b, y), a, b, y);

    public void Scale(Tensor a, float factor, Tensor y) => Run(nameof(Scale), () => next.Scale(a, factor, y), a, y);

    public void Scale(Tensor a, Tensor scalar, Tensor y) => Run(nameof(Scale), () => next.Scale(a, scalar, y), a, scalar, y);

    public void AddConstant(Tensor a, float constant, Tensor y) => Run(nameof(AddConstant), () => next.AddConstant(a, constant, y), a, y);

    public void Sum(Tensor a, Tensor y) => Run(nameof(Sum), () => next.Sum(a, y), a, y);

    public void Relu(Tensor x, Tensor y) => Run(nameof(Relu), () => next.Relu(x, y), x, y);

    public void WherePositive(Tensor condition, Tensor values, Tensor y) => Run(nameof(WherePositive), () => next.WherePositive(condition, values, y), condition, values, y);

    public void Tanh(Tensor x, Tensor y) => Run(nameof(Tanh), () => next.Tanh(x, y), x, y);

    public void Sigmoid(Tensor x, Tensor y) => Run(nameof(Sigmoid), () => next.Sigmoid(x, y), x, y);

    public void Softplus(Tensor x, Tensor y) => Run(nameof(Softplus), () => next.Softplus(x, y), x, y);

    public void Exp(Tensor x, Tensor y) => Run(nameof(Exp), () => next.Exp(x, y), x, y);

    public void Pow(Tensor x, float exponent, Tensor y) => Run(nameof(Pow), () => next.Pow(x, exponent, y), x, y);

    public bool IsAllFinite(Tensor x)
    {
        Check(nameof(IsAllFinite), x);
        return next.IsAllFinite(x);
    }

    public void MatMul(Tensor a, Tensor b, bool transposeA, bool transposeB, int m, int n, int k, Tensor y) =>
        Run(nameof(MatMul), () => next.MatMul(a, b, transposeA, transposeB, m, n, k, y), a, b, y);

    public void AddBias(int outer, int channels, int inner, Tensor x, Tensor bias, Tensor y) =>
        Run(nameof(AddBias), () => next.AddBias(outer, channels, inner, x, bias, y), x, bias, y);

    public void ScaleChannels(int outer, int channels, int inner, Tensor x, Tensor scale, Tensor y) =>
        Run(nameof(ScaleChannels), () => next.ScaleChannels(outer, channels, inner, x, scale, y), x, scale, y);

    public void ScaleShiftChannels(int outer, int channels, int inner, Tensor x, Tensor scale, Tensor shift, bool rectify, Tensor y) =>
        Run(nameof(ScaleShiftChannels), () => next.ScaleShiftChannels(outer, channels, inner, x, scale, shift, rectify, y), x, scale, shift, y);

    public void ChannelDot(int outer, int channels, int inner, Tensor a, Tensor b, Tensor y) =>
        Run(nameof(ChannelDot), () => next.ChannelDot(outer, channels, inner, a, b, y), a, b, y);

    public void SumToBias(int outer, int channels, int inner, Tensor x, Tensor y) =>
        Run(nameof(SumToBias), () => next.SumToBias(outer, channels, inner, x, y), x, y);

    public void BroadcastBias(int outer, int channels, int inner, Tensor bias, Tensor y) =>
        Run(nameof(BroadcastBias), () => next.BroadcastBias(outer, channels, inner, bias, y), bias, y);

    public void LogSoftmax(Tensor x, Tensor y) => Run(nameof(LogSoftmax), () => next.LogSoftmax(x, y), x, y);

    public void SumRows(Tensor x, Tensor y) => Run(nameof(SumRows), () => next.SumRows(x, y), x, y);

    public void NormalizeRows(Tensor x, Tensor y, Tensor inverseDeviations, float epsilon) =>
        Run(nameof(NormalizeRows), () => next.NormalizeRows(x, y, inverseDeviations, epsilon), x, y, inverseDeviations);

    public void NormalizeRowsBackward(Tensor y, Tensor inverseDeviations, Tensor g, Tensor dx) =>
        Run(nameof(NormalizeRowsBackward), () => next.NormalizeRowsBackward(y, inverseDeviations, g, dx), y, inverseDeviations, g, dx);

    public void NormalizeRowsBackwardGradient(Tensor y, Tensor inverseDeviations, Tensor g, Tensor h, Tensor dx, Tensor dg) =>
        Run(nameof(NormalizeRowsBackwardGradient), () => next.NormalizeRowsBackwardGradient(y, inverseDeviations, g, h, dx, dg), y, inverseDeviations, g, h, dx, dg);

    public void BroadcastRows(Tensor v, Tensor y) => Run(nameof(BroadcastRows), () => next.BroadcastRows(v, y), v, y);

    public void ArgMaxRows(Tensor x, Span<int> result)
    {
        Check(nameof(ArgMaxRows), x);
        next.ArgMaxRows(x, result);
    }

    public void OneHot(ReadOnlySpan<int> labels, Tensor y)
    {
        Check(nameof(OneHot), y);
        next.OneHot(labels, y);
    }

    public void Conv2d(Conv2dGeometry geometry, Tensor x, Tensor weights, Tensor? bias, Tensor y) =>
        Run(nameof(Conv2d), () => next.Conv2d(geometry, x, weights, bias, y), bias is null ? [x, weights, y] : [x, weights, bias, y]);

    public void Conv2dInputGradient(Conv2dGeometry geometry, Tensor outputGradient, Tensor weights, Tensor dx) =>
        Run(nameof(Conv2dInputGradient), () => next.Conv2dInputGradient(geometry, outputGradient, weights, dx), outputGradient, weights, dx);

    public void Conv2dWeightGradient(Conv2dGeometry geometry, Tensor x, Tensor outputGradient, Tensor dw) =>
        Run(nameof(Conv2dWeightGradient), () => next.Conv2dWeightGradient(geometry, x, outputGradient, dw), x, outputGradient, dw);

    public object MaxPool(Pool2dGeometry geometry, Tensor x, Tensor y)
    {
        Check(nameof(MaxPool), x, y);
        return next.MaxPool(geometry, x, y);
    }

    public void MaxPoolAdjoint(Pool2dGeometry geometry, Tensor outputGradient, object positions, Tensor dx) =>
        Run(nameof(MaxPoolAdjoint), () => next.MaxPoolAdjoint(geometry, outputGradient, positions, dx), outputGradient, dx);

    public void GatherByPositions(Tensor source, object positions, Tensor y) => Run(nameof(GatherByPositions), () => next.GatherByPositions(source, positions, y), source, y);

    public void AvgPool(Pool2dGeometry geometry, Tensor x, Tensor y) => Run(nameof(AvgPool), () => next.AvgPool(geometry, x, y), x, y);

    public void AvgPoolAdjoint(Pool2dGeometry geometry, Tensor outputGradient, Tensor dx) =>
        Run(nameof(AvgPoolAdjoint), () => next.AvgPoolAdjoint(geometry, outputGradient, dx), outputGradient, dx);

    public void ChannelWindowSum(int before, int after, Tensor x, Tensor y) => Run(nameof(ChannelWindowSum), () => next.ChannelWindowSum(before, after, x, y), x, y);

    public void Resample(ResamplingMap map, Tensor x, Tensor y) => Run(nameof(Resample), () => next.Resample(map, x, y), x, y);

    public void ResampleTranspose(ResamplingMap map, Tensor outputGradient, Tensor dx) =>
        Run(nameof(ResampleTranspose), () => next.ResampleTranspose(map, outputGradient, dx), outputGradient, dx);

    public void AdamUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, float beta1, float beta2, float step, float rootCorrection2, float epsilon) =>
        Run(nameof(AdamUpdate), () => next.AdamUpdate(parameter, gradient, firstMoment, secondMoment, beta1, beta2, step, rootCorrection2, epsilon), parameter, gradient, firstMoment, secondMoment);

    public void MomentumUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float momentum, float weightDecay, float rate) =>
        Run(nameof(MomentumUpdate), () => next.MomentumUpdate(parameter, gradient, velocity, momentum, weightDecay, rate), parameter, gradient, velocity);

    private object Made(string method, object storage)
    {
        lock (gate)
        {
            madeHere.Add(storage);
            Count(method);
        }

        return storage;
    }

    private void Run(string method, Action call, params Tensor[] tensors)
    {
        Check(method, tensors);
        call();
    }

    private void Check(string method, params Tensor[] tensors)
    {
        lock (gate)
        {
            Count(method);
            foreach (Tensor t in tensors)
            {
                if (!madeHere.Contains(t.Storage))
                {
                    throw new InvalidOperationException($"{method} was given a tensor {t} whose storage did not come from the backend.");
                }
            }
        }
    }

    private void Count(string method) => Calls[method] = Calls.GetValueOrDefault(method) + 1;
}
