using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Networks;

/// <summary>
/// The reference's AlexCifarNet: conv 5×5 → 64 (padding 2) → ReLU → max-pool 3/2/1 → LRN(4, 0.001/9, 0.75, 1);
/// conv 5×5 → 64 (padding 2) → ReLU → LRN → max-pool 3/2/1; fully connected → 384 → 192 → classes.
/// </summary>
public sealed class AlexCifarNet : Network
{
    private const int LrnSize = 4;
    private const float LrnAlpha = 0.001f / 9f, LrnBeta = 0.75f, LrnK = 1f;

    /// <summary>Creates the network for images of the given channels and size (32×32×3 for CIFAR-10).</summary>
    public AlexCifarNet(int channels, int height, int width, int classCount)
        : base([channels, height, width], classCount, Specs(channels, height, width, classCount))
    {
    }

    /// <inheritdoc/>
    protected override Tensor Features(Tensor[] p, Tensor batch)
    {
        Tensor h = Tensor.Relu(Tensor.Conv2d(batch, p[0], p[1], padding: 2));
        h = Tensor.LocalResponseNorm(Tensor.MaxPool2d(h, 3, 2, 1), LrnSize, LrnAlpha, LrnBeta, LrnK);
        h = Tensor.Relu(Tensor.Conv2d(h, p[2], p[3], padding: 2));
        h = Tensor.MaxPool2d(Tensor.LocalResponseNorm(h, LrnSize, LrnAlpha, LrnBeta, LrnK), 3, 2, 1);
        h = h.Reshape(h.Dim(0), -1);
        h = Tensor.Relu(Linear(h, p[4], p[5]));
        return Tensor.Relu(Linear(h, p[6], p[7]));
    }

    private static List<ParameterSpec> Specs(int channels, int height, int width, int classes)
    {
        static int Pooled(int size) => (size + 2 - 3) / 2 + 1;
        int h = Pooled(Pooled(height)), w = Pooled(Pooled(width));
        if (channels < 1 || height < 5 || width < 5)
        {
            throw new ArgumentException($"AlexCifarNet needs images of at least 1 channel and 5×5 pixels, but got [{channels}, {height}, {width}].");
        }

        return
        [
            .. ConvSpecs("conv1", channels, 64, 5), .. ConvSpecs("conv2", 64, 64, 5),
            .. LinearSpecs("fc1", 64 * h * w, 384), .. LinearSpecs("fc2", 384, 192), .. LinearSpecs("fc3", 192, classes),
        ];
    }
}
