using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Benchmarks;

/// <summary>One convolution's operands, uniform in [−0.5, 0.5) from a fixed seed, and its three kernels.</summary>
internal sealed class ConvolutionCase
{
    private readonly Conv2dGeometry geometry;
    private readonly float[] x, w, y, dx, dw;

    public ConvolutionCase(Conv2dGeometry geometry)
    {
        this.geometry = geometry;
        var random = new Random(1);
        x = LeNetSizes.RandomValues(random, geometry.Batch * geometry.InChannels * geometry.Height * geometry.Width);
        w = LeNetSizes.RandomValues(random, geometry.OutChannels * geometry.InChannels * geometry.KernelHeight * geometry.KernelWidth);
        y = LeNetSizes.RandomValues(random, geometry.Batch * geometry.OutChannels * geometry.OutHeight * geometry.OutWidth);
        dx = new float[x.Length];
        dw = new float[w.Length];
    }

    public void Forward() => Convolution.Forward(geometry, x, w, [], y);

    public void BackwardInput() => Convolution.BackwardInput(geometry, y, w, dx);

    public void BackwardWeights() => Convolution.BackwardWeights(geometry, x, y, dw);
}
