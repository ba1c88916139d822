using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// The storage and kernels under <see cref="Tensor"/>: every op of the tensor layer computes through one of these methods,
/// so a second backend (a GPU's, or libtorch's) implements this interface and nothing above it changes. The differentiable
/// layer keeps the graph, the shapes and the backward rules; a backend only allocates, moves values and runs forward kernels.
/// </summary>
/// <remarks>
/// Arguments are tensors, read through <see cref="Tensor.Storage"/> (the backend's own object for the memory, such as a managed
/// array or a device pointer), <see cref="Tensor.Offset"/>, <see cref="Tensor.Length"/> and <see cref="Tensor.Shape"/>. Outputs
/// are tensors the caller has just allocated with <see cref="Allocate"/>; no kernel writes into its inputs, except the
/// optimiser updates, which write into leaves and state. Every kernel must give the same bits whatever the thread count
/// (<see cref="TensorThreads"/>). See docs/backend.md for what a CUDA backend would cost per op.
/// </remarks>
internal interface ITensorBackend
{
    // ---- storage and host transfers ----

    /// <summary>Storage for <paramref name="length"/> elements, zeroed when <paramref name="clear"/> is set.</summary>
    object Allocate(int length, bool clear);

    /// <summary>Storage holding <paramref name="values"/>, which the caller hands over (adopted as is, or uploaded).</summary>
    object Adopt(float[] values);

    /// <summary>Copies host values into <paramref name="target"/>'s elements.</summary>
    void Write(ReadOnlySpan<float> values, Tensor target);

    /// <summary>Copies <paramref name="source"/>'s elements into host memory.</summary>
    void Read(Tensor source, Span<float> values);

    /// <summary>Copies <paramref name="source"/>'s elements into <paramref name="target"/> from element <paramref name="targetStart"/> on.</summary>
    void Copy(Tensor source, Tensor target, int targetStart);

    /// <summary>Every element of <paramref name="y"/> set to the one element of <paramref name="scalar"/>.</summary>
    void Fill(Tensor scalar, Tensor y);

    // ---- element-wise ----

    /// <summary>y = a + b.</summary>
    void Add(Tensor a, Tensor b, Tensor y);

    /// <summary>y = a − b.</summary>
    void Subtract(Tensor a, Tensor b, Tensor y);

    /// <summary>y = a ⊙ b.</summary>
    void Multiply(Tensor a, Tensor b, Tensor y);

    /// <summary>y = a · factor.</summary>
    void Scale(Tensor a, float factor, Tensor y);

    /// <summary>y = a · s, s the one element of <paramref name="scalar"/>.</summary>
    void Scale(Tensor a, Tensor scalar, Tensor y);

    /// <summary>y = a + constant.</summary>
    void AddConstant(Tensor a, float constant, Tensor y);

    /// <summary>The one element of <paramref name="y"/> = Σ a.</summary>
    void Sum(Tensor a, Tensor y);

    /// <summary>y = max(x, 0).</summary>
    void Relu(Tensor x, Tensor y);

    /// <summary>y = values where condition &gt; 0, else 0.</summary>
    void WherePositive(Tensor condition, Tensor values, Tensor y);

    /// <summary>y = tanh x.</summary>
    void Tanh(Tensor x, Tensor y);

    /// <summary>y = 1 / (1 + e^−x).</summary>
    void Sigmoid(Tensor x, Tensor y);

    /// <summary>y = log(1 + e^x).</summary>
    void Softplus(Tensor x, Tensor y);

    /// <summary>y = e^x.</summary>
    void Exp(Tensor x, Tensor y);

    /// <summary>y = x^exponent.</summary>
    void Pow(Tensor x, float exponent, Tensor y);

    /// <summary>True when every element is finite.</summary>
    bool IsAllFinite(Tensor x);

    // ---- matrices, rows and bias ----

    /// <summary>y [m, n] = op(a)·op(b), op transposing when asked; a and b are stored row-major as their shapes say.</summary>
    void MatMul(Tensor a, Tensor b, bool transposeA, bool transposeB, int m, int n, int k, Tensor y);

    /// <summary>y = x + bias[c] along dimension 1 of an [outer, channels, inner] layout.</summary>
    void AddBias(int outer, int channels, int inner, Tensor x, Tensor bias, Tensor y);

    /// <summary>y[·, c, ·] = x[·, c, ·] · scale[c].</summary>
    void ScaleChannels(int outer, int channels, int inner, Tensor x, Tensor scale, Tensor y);

    /// <summary>y[·, c, ·] = x[·, c, ·] · scale[c] + shift[c], then max(y, 0) where <paramref name="rectify"/> (a ReLU after the affine map).</summary>
    void ScaleShiftChannels(int outer, int channels, int inner, Tensor x, Tensor scale, Tensor shift, bool rectify, Tensor y);

    /// <summary>y[c] = Σ over outer and inner of a[·, c, ·] · b[·, c, ·].</summary>
    void ChannelDot(int outer, int channels, int inner, Tensor a, Tensor b, Tensor y);

    /// <summary>y[c] = Σ over outer and inner of x[·, c, ·].</summary>
    void SumToBias(int outer, int channels, int inner, Tensor x, Tensor y);

    /// <summary>y[·, c, ·] = bias[c].</summary>
    void BroadcastBias(int outer, int channels, int inner, Tensor bias, Tensor y);

    /// <summary>Row-wise log-softmax of a [rows, columns] matrix.</summary>
    void LogSoftmax(Tensor x, Tensor y);

    /// <summary>y[r] = Σ_c x[r, c].</summary>
    void SumRows(Tensor x, Tensor y);

    /// <summary>
    /// Each row of a [rows, columns] matrix minus its mean, divided by √(its biased variance + epsilon); that row's
    /// 1/√(variance + epsilon) into <paramref name="inverseDeviations"/> [rows], for the two gradients below.
    /// </summary>
    void NormalizeRows(Tensor x, Tensor y, Tensor inverseDeviations, float epsilon);

    /// <summary>The gradient dx of <see cref="NormalizeRows"/>, given its output y, its inverse deviations and the gradient g at y.</summary>
    void NormalizeRowsBackward(Tensor y, Tensor inverseDeviations, Tensor g, Tensor dx);

    /// <summary>The gradients dx and dg of <see cref="NormalizeRowsBackward"/>'s output in x and g, given the gradient h at that output.</summary>
    void NormalizeRowsBackwardGradient(Tensor y, Tensor inverseDeviations, Tensor g, Tensor h, Tensor dx, Tensor dg);

    /// <summary>y[r, c] = v[r].</summary>
    void BroadcastRows(Tensor v, Tensor y);

    /// <summary>result[r] = the first index of the largest value in row r of a [rows, columns] matrix.</summary>
    void ArgMaxRows(Tensor x, Span<int> result);

    /// <summary>y [rows, classes] = 1 at (r, labels[r]), 0 elsewhere.</summary>
    void OneHot(ReadOnlySpan<int> labels, Tensor y);

    // ---- images ----

    /// <summary>2-D convolution (cross-correlation) of x with weights into y, plus bias[o] on output channel o when a bias is given.</summary>
    void Conv2d(Conv2dGeometry geometry, Tensor x, Tensor weights, Tensor? bias, Tensor y);

    /// <summary>The input gradient of a convolution: a transposed convolution of dy with the weights.</summary>
    void Conv2dInputGradient(Conv2dGeometry geometry, Tensor outputGradient, Tensor weights, Tensor dx);

    /// <summary>The weight gradient of a convolution, summed over the batch.</summary>
    void Conv2dWeightGradient(Conv2dGeometry geometry, Tensor x, Tensor outputGradient, Tensor dw);

    /// <summary>Max pooling; returns the backend's record of the chosen positions, for the two ops below.</summary>
    object MaxPool(Pool2dGeometry geometry, Tensor x, Tensor y);

    /// <summary>dx = every output gradient added into the input position its window chose.</summary>
    void MaxPoolAdjoint(Pool2dGeometry geometry, Tensor outputGradient, object positions, Tensor dx);

    /// <summary>y[i] = source[chosen position of output i].</summary>
    void GatherByPositions(Tensor source, object positions, Tensor y);

    /// <summary>Average pooling (padding counts as zeros).</summary>
    void AvgPool(Pool2dGeometry geometry, Tensor x, Tensor y);

    /// <summary>The adjoint of average pooling.</summary>
    void AvgPoolAdjoint(Pool2dGeometry geometry, Tensor outputGradient, Tensor dx);

    /// <summary>y[·, c, ·] = Σ of x over channels c − before … c + after (clipped).</summary>
    void ChannelWindowSum(int before, int after, Tensor x, Tensor y);

    /// <summary>y = x resampled by a fixed linear map (every output pixel a weighted sum of input pixels).</summary>
    void Resample(ResamplingMap map, Tensor x, Tensor y);

    /// <summary>dx = the transposed map applied to dy.</summary>
    void ResampleTranspose(ResamplingMap map, Tensor outputGradient, Tensor dx);

    // ---- optimiser updates (in place) ----

    /// <summary>Adam's update of a parameter and its moments (see <see cref="ParameterUpdates.Adam"/>).</summary>
    void AdamUpdate(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, float beta1, float beta2, float step, float rootCorrection2, float epsilon);

    /// <summary>SGD with momentum's update of a parameter and its velocity (see <see cref="ParameterUpdates.Momentum"/>).</summary>
    void MomentumUpdate(Tensor parameter, Tensor gradient, Tensor velocity, float momentum, float weightDecay, float rate);
}
