using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Networks;

/// <summary>The normalisation after each convolution of a <see cref="ConvNet"/>.</summary>
public enum ConvNetNorm
{
    /// <summary>Instance normalisation with a per-channel scale and shift (PyTorch's GroupNorm(C, C)): the papers' default.</summary>
    Instance,

    /// <summary>No normalisation.</summary>
    None,
}

/// <summary>
/// The ConvNet of gradient matching (Zhao et al. 2021), DSA and distribution matching: <c>depth</c> blocks of
/// [conv 3×3, <c>width</c> channels → normalisation → ReLU → average pool 2×2, stride 2], then one linear classifier on the
/// flattened features. Every convolution pads by 1 except, as in the papers' code, the first one on single-channel images,
/// which pads by 3: MNIST's 28×28 digits become 32×32 maps, so the defaults (width 128, depth 3) give 4×4×128 = 2048 features.
/// </summary>
public sealed class ConvNet : Network
{
    private readonly int depth;
    private readonly ConvNetNorm norm;
    private readonly int firstPadding;

    /// <summary>Creates a ConvNet for images [channels, height, width] and <paramref name="classCount"/> classes.</summary>
    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="netWidth">Channels of every convolution (the papers' net_width, 128).</param>
    /// <param name="depth">Number of conv blocks (the papers' net_depth, 3); each halves the image, rounding down.</param>
    /// <param name="norm">The normalisation after each convolution.</param>
    /// <param name="firstPadding">
    /// Zero padding of the first convolution; null for the papers' choice: 3 on single-channel images (28×28 → 32×32), else 1.
    /// </param>
    public ConvNet(
        int channels, int height, int width, int classCount, int netWidth = 128, int depth = 3, ConvNetNorm norm = ConvNetNorm.Instance, int? firstPadding = null)
        : base([channels, height, width], classCount, Specs(channels, height, width, classCount, netWidth, depth, norm, FirstPadding(channels, firstPadding)))
    {
        this.depth = depth;
        this.norm = norm;
        this.firstPadding = FirstPadding(channels, firstPadding);
    }

    /// <inheritdoc/>
    protected override Tensor Features(Tensor[] p, Tensor batch)
    {
        Tensor h = batch;
        int next = 0;
        for (int block = 0; block < depth; block++)
        {
            h = Tensor.Conv2d(h, p[next], p[next + 1], padding: block == 0 ? firstPadding : 1);
            next += 2;
            if (norm == ConvNetNorm.Instance)
            {
                h = Tensor.InstanceNormRelu(h, p[next], p[next + 1]);
                next += 2;
            }
            else
            {
                h = Tensor.Relu(h);
            }

            h = Tensor.AvgPool2d(h, 2);
        }

        return h.Reshape(h.Dim(0), -1);
    }

    private static int FirstPadding(int channels, int? firstPadding) => firstPadding switch
    {
        null => channels == 1 ? 3 : 1,
        < 0 => throw new ArgumentOutOfRangeException(nameof(firstPadding), firstPadding, "The first convolution's padding must be 0 or more."),
        int padding => padding,
    };

    /// <summary>The side of the features: the first 3×3 convolution changes the side by 2·padding − 2, each block's pooling halves it.</summary>
    private static int FeatureSide(int side, int depth, int firstPadding)
    {
        side += 2 * firstPadding - 2;
        for (int block = 0; block < depth; block++)
        {
            side /= 2;
        }

        return side;
    }

    private static List<ParameterSpec> Specs(int channels, int height, int width, int classes, int netWidth, int depth, ConvNetNorm norm, int firstPadding)
    {
        int featureHeight = FeatureSide(height, depth, firstPadding), featureWidth = FeatureSide(width, depth, firstPadding);
        if (channels < 1 || netWidth < 1 || depth < 1 || featureHeight < 1 || featureWidth < 1)
        {
            throw new ArgumentException(
                $"ConvNet needs at least 1 input channel, width ≥ 1, depth ≥ 1 and a first convolution's output of at least 2^depth pixels a side, " +
                $"but got image [{channels}, {height}, {width}], first padding {firstPadding}, width {netWidth}, depth {depth}.");
        }

        if (!Enum.IsDefined(norm))
        {
            throw new ArgumentOutOfRangeException(nameof(norm), norm, "Unknown ConvNet normalisation.");
        }

        var specs = new List<ParameterSpec>();
        for (int block = 0; block < depth; block++)
        {
            specs.AddRange(ConvSpecs($"conv{block + 1}", block == 0 ? channels : netWidth, netWidth, 3));
            if (norm == ConvNetNorm.Instance)
            {
                specs.Add(new($"norm{block + 1}.weight", [netWidth], false, InitialValue: 1f));
                specs.Add(new($"norm{block + 1}.bias", [netWidth], true, InitialValue: 0f));
            }
        }

        specs.AddRange(LinearSpecs("fc", netWidth * featureHeight * featureWidth, classes));
        return specs;
    }
}
