using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>The architecture the data is distilled for, resolved (never Auto), with what is needed to rebuild it.</summary>
internal sealed record NetworkSpec(DistillationNetworkKind Kind, int FeatureCount, ImageShape? Image, int[] HiddenSizes, int ClassCount)
{
    public int[] ExampleShape => Image is null ? [FeatureCount] : [Image.Channels, Image.Height, Image.Width];

    public Network Create() => Kind switch
    {
        DistillationNetworkKind.LeNet => new LeNet(Image!.Channels, Image.Height, Image.Width, ClassCount),
        DistillationNetworkKind.AlexCifarNet => new AlexCifarNet(Image!.Channels, Image.Height, Image.Width, ClassCount),
        DistillationNetworkKind.ConvNet => new ConvNet(Image!.Channels, Image.Height, Image.Width, ClassCount),
        _ => new Mlp(FeatureCount, ClassCount, HiddenSizes),
    };

    /// <summary>Resolves Auto and checks the image shape against the feature vector, naming the column.</summary>
    public static NetworkSpec Resolve(DatasetDistillationOptions options, int featureCount, int classCount)
    {
        DistillationNetworkKind kind = options.NetworkKind == DistillationNetworkKind.Auto
            ? (options.ImageShape is null ? DistillationNetworkKind.Mlp : DistillationNetworkKind.LeNet)
            : options.NetworkKind;
        if (options.ImageShape is { } image && image.Size != featureCount)
        {
            throw new ArgumentException(
                $"The image shape {image} has {image.Size} values, but the feature column '{options.FeatureColumnName}' holds vectors of {featureCount}.",
                nameof(options));
        }

        if (kind is DistillationNetworkKind.LeNet or DistillationNetworkKind.AlexCifarNet or DistillationNetworkKind.ConvNet && options.ImageShape is null)
        {
            throw new ArgumentException($"{kind} needs the image layout of the feature column '{options.FeatureColumnName}': set ImageShape.", nameof(options));
        }

        int[] hidden = options.MlpHiddenSizes ?? [];
        if (hidden.Any(h => h < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Every MLP hidden layer needs at least 1 unit.");
        }

        return new NetworkSpec(kind, featureCount, kind == DistillationNetworkKind.Mlp ? null : options.ImageShape, (int[])hidden.Clone(), classCount);
    }

    public static InitScheme ToCore(DistillationInitScheme scheme) => (InitScheme)(int)scheme;

    public static InitializationMode ToCore(DistillationInitializationMode mode) => mode switch
    {
        DistillationInitializationMode.Fixed => InitializationMode.Fixed,
        DistillationInitializationMode.Random => InitializationMode.Random,
        _ => InitializationMode.Pretrained,
    };

    public void Write(BinaryWriter writer)
    {
        writer.Write((int)Kind);
        writer.Write(FeatureCount);
        writer.Write(ClassCount);
        writer.Write(Image is null ? 0 : 1);
        writer.Write(Image?.Channels ?? 0);
        writer.Write(Image?.Height ?? 0);
        writer.Write(Image?.Width ?? 0);
        writer.Write(HiddenSizes.Length);
        foreach (int h in HiddenSizes)
        {
            writer.Write(h);
        }
    }

    public static NetworkSpec Read(BinaryReader reader)
    {
        var kind = (DistillationNetworkKind)reader.ReadInt32();
        int features = reader.ReadInt32(), classes = reader.ReadInt32();
        bool hasImage = reader.ReadInt32() != 0;
        int c = reader.ReadInt32(), h = reader.ReadInt32(), w = reader.ReadInt32();
        int hiddenCount = reader.ReadInt32();
        // Caps far beyond any real network keep a damaged description from sizing huge networks.
        const int MaxWidth = 1 << 24, MaxSide = 1 << 14;
        if (!Enum.IsDefined(kind) || kind == DistillationNetworkKind.Auto || hiddenCount is < 0 or > 64 || features is < 1 or > MaxWidth
            || classes is < 2 or > MaxWidth || (hasImage && (c is < 1 or > MaxSide || h is < 1 or > MaxSide || w is < 1 or > MaxSide || (long)c * h * w != features)))
        {
            throw new InvalidDataException("The network description is invalid.");
        }

        int[] hidden = new int[hiddenCount];
        for (int i = 0; i < hiddenCount; i++)
        {
            hidden[i] = reader.ReadInt32();
            if (hidden[i] is < 1 or > MaxWidth)
            {
                throw new InvalidDataException($"The network description is invalid: hidden layer {i} has {hidden[i]} units.");
            }
        }

        return new NetworkSpec(kind, features, hasImage ? new ImageShape(c, h, w) : null, hidden, classes);
    }
}
