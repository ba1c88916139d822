using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Networks;

/// <summary>
/// LeNet as in the dataset-distillation reference: conv 5×5 (padding 2 on 28×28 inputs) → ReLU → max-pool 2;
/// conv 5×5 → ReLU → max-pool 2; fully connected → 120 → 84 → classes with ReLU between.
/// </summary>
public sealed class LeNet : Network
{
    private readonly int firstPadding;

    /// <summary>Creates LeNet for images of the given channels and size (28×28 uses padding 2, as for MNIST; 32×32 none).</summary>
    public LeNet(int channels, int height, int width, int classCount)
        : this(channels, height, width, classCount, height == 28 ? 2 : 0)
    {
    }

    private LeNet(int channels, int height, int width, int classCount, int firstPadding)
        : base([channels, height, width], classCount, Specs(channels, height, width, classCount, firstPadding))
    {
        this.firstPadding = firstPadding;
    }

    /// <inheritdoc/>
    protected override Tensor Features(Tensor[] p, Tensor batch)
    {
        Tensor h = Tensor.MaxPool2d(Tensor.Relu(Tensor.Conv2d(batch, p[0], p[1], padding: firstPadding)), 2);
        h = Tensor.MaxPool2d(Tensor.Relu(Tensor.Conv2d(h, p[2], p[3])), 2);
        h = h.Reshape(h.Dim(0), -1);
        h = Tensor.Relu(Linear(h, p[4], p[5]));
        return Tensor.Relu(Linear(h, p[6], p[7]));
    }

    private static List<ParameterSpec> Specs(int channels, int height, int width, int classes, int padding)
    {
        int h1 = (height + 2 * padding - 4) / 2, w1 = (width + 2 * padding - 4) / 2;
        int h2 = (h1 - 4) / 2, w2 = (w1 - 4) / 2;
        if (channels < 1 || h2 < 1 || w2 < 1)
        {
            throw new ArgumentException($"LeNet needs images of at least 1 channel and about 16×16 pixels, but got [{channels}, {height}, {width}].");
        }

        return
        [
            .. ConvSpecs("conv1", channels, 6, 5), .. ConvSpecs("conv2", 6, 16, 5),
            .. LinearSpecs("fc1", 16 * h2 * w2, 120), .. LinearSpecs("fc2", 120, 84), .. LinearSpecs("fc3", 84, classes),
        ];
    }
}
