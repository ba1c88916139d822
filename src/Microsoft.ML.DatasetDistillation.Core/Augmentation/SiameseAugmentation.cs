using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Augmentation;

/// <summary>The transformations of differentiable siamese augmentation (Zhao &amp; Bilen, ICML 2021).</summary>
public enum DsaTransform
{
    /// <summary>Brightness, then saturation, then contrast.</summary>
    Color,

    /// <summary>Translation by whole pixels with zeros where the image is uncovered (the reference's "crop").</summary>
    Crop,

    /// <summary>A square of zeros.</summary>
    Cutout,

    /// <summary>A left-right mirror, drawn per image with <see cref="DsaOptions.FlipProbability"/>.</summary>
    Flip,

    /// <summary>Bilinear scaling about the centre, independently along x and y.</summary>
    Scale,

    /// <summary>Bilinear rotation about the centre.</summary>
    Rotate,
}

/// <summary>
/// The ranges of differentiable siamese augmentation, with the reference implementation's defaults (its ParamDiffAug).
/// </summary>
public sealed record DsaOptions
{
    /// <summary>
    /// The transformations to choose among, joined by '_'. Each application picks one of them uniformly (the reference's
    /// single mode, its default); "color" applies brightness, saturation and contrast together.
    /// </summary>
    public string Strategy { get; init; } = "color_crop_cutout_flip_scale_rotate";

    /// <summary>Brightness adds (u − ½)·this to every pixel, u ~ U[0, 1).</summary>
    public float Brightness { get; init; } = 1f;

    /// <summary>Saturation scales each pixel's deviation from its channel mean by u·this.</summary>
    public float Saturation { get; init; } = 2f;

    /// <summary>Contrast scales each image's deviation from its mean by u + this.</summary>
    public float Contrast { get; init; } = 0.5f;

    /// <summary>Crop shifts by up to round(side·this) pixels each way.</summary>
    public float CropPadRatio { get; init; } = 0.125f;

    /// <summary>Cutout zeroes a box of round(side·this) pixels a side.</summary>
    public float CutoutRatio { get; init; } = 0.5f;

    /// <summary>Probability that an image is mirrored.</summary>
    public float FlipProbability { get; init; } = 0.5f;

    /// <summary>Scale factors are drawn uniformly in [1/this, this].</summary>
    public float ScaleRatio { get; init; } = 1.2f;

    /// <summary>Rotation angles are drawn uniformly in [−this, this] degrees.</summary>
    public float RotateDegrees { get; init; } = 15f;

    /// <summary>The transformations named by <see cref="Strategy"/>, in its order.</summary>
    /// <exception cref="ArgumentException">The strategy is empty or names an unknown transformation.</exception>
    public IReadOnlyList<DsaTransform> Transforms()
    {
        string[] names = (Strategy ?? string.Empty).Split('_', StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0)
        {
            throw new ArgumentException($"The DSA strategy '{Strategy}' names no transformation; use names among color, crop, cutout, flip, scale, rotate joined by '_'.");
        }

        return names.Select(name => Enum.TryParse(name, ignoreCase: true, out DsaTransform transform) && name.All(char.IsAsciiLetterLower)
            ? transform
            : throw new ArgumentException($"The DSA strategy '{Strategy}' names '{name}', which is not one of color, crop, cutout, flip, scale, rotate.")).ToList();
    }
}

/// <summary>
/// One draw of differentiable siamese augmentation: the transformation chosen and its random values, either one set per
/// image or (<see cref="Samples"/> = 1) one set shared by every image of any batch. Applying the same parameters to the
/// real and the synthetic batch is what makes the augmentation siamese.
/// </summary>
/// <param name="Transform">The transformation.</param>
/// <param name="Samples">1 for values shared by all images, else the batch size they were drawn for.</param>
/// <param name="Values">Per sample: Color (brightness shift, saturation factor, contrast factor); Crop (row shift,
/// column shift); Cutout (first row, first column, last row, last column, inclusive); Flip (1 to mirror, 0 not); Scale
/// (x factor, y factor); Rotate (angle in radians).</param>
internal sealed record DsaParameters(DsaTransform Transform, int Samples, float[] Values)
{
    /// <summary>How many values each sample holds for <paramref name="transform"/>.</summary>
    public static int ValuesPerSample(DsaTransform transform) => transform switch
    {
        DsaTransform.Color => 3,
        DsaTransform.Crop or DsaTransform.Scale => 2,
        DsaTransform.Cutout => 4,
        DsaTransform.Flip or DsaTransform.Rotate => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(transform), transform, "Unknown DSA transformation."),
    };
}

/// <summary>
/// Differentiable siamese augmentation (Zhao &amp; Bilen, ICML 2021): random transformations that are linear in the images
/// for fixed parameters, so gradients flow through them to synthetic images, drawn once and applied alike to a real and
/// a synthetic batch.
/// </summary>
internal static class SiameseAugmentation
{
    /// <summary>
    /// Draws a transformation among <paramref name="options"/>' strategy and its values for images of
    /// <paramref name="height"/>×<paramref name="width"/>: <paramref name="samples"/> = 1 draws one set for whole batches
    /// (the siamese use), more draws one set per image (augmenting while training a network).
    /// </summary>
    public static DsaParameters Draw(DsaOptions options, Random random, int samples, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"DSA needs images of at least 1×1 pixel, but got {height}×{width}.");
        }

        IReadOnlyList<DsaTransform> transforms = options.Transforms();
        DsaTransform transform = transforms[random.Next(transforms.Count)];
        int count = DsaParameters.ValuesPerSample(transform);
        var values = new float[samples * count];
        for (int n = 0; n < samples; n++)
        {
            Span<float> v = values.AsSpan(n * count, count);
            switch (transform)
            {
                case DsaTransform.Color:
                    v[0] = (Uniform(random) - 0.5f) * options.Brightness;
                    v[1] = Uniform(random) * options.Saturation;
                    v[2] = Uniform(random) + options.Contrast;
                    break;
                case DsaTransform.Crop:
                    int rowReach = (int)(height * options.CropPadRatio + 0.5f), columnReach = (int)(width * options.CropPadRatio + 0.5f);
                    v[0] = random.Next(-rowReach, rowReach + 1);
                    v[1] = random.Next(-columnReach, columnReach + 1);
                    break;
                case DsaTransform.Cutout:
                    int boxHeight = (int)(height * options.CutoutRatio + 0.5f), boxWidth = (int)(width * options.CutoutRatio + 0.5f);
                    int top = random.Next(0, height + 1 - boxHeight % 2) - boxHeight / 2, left = random.Next(0, width + 1 - boxWidth % 2) - boxWidth / 2;
                    (v[0], v[1]) = (Math.Max(top, 0), Math.Max(left, 0));
                    (v[2], v[3]) = (Math.Min(top + boxHeight, height) - 1, Math.Min(left + boxWidth, width) - 1);
                    break;
                case DsaTransform.Flip:
                    v[0] = Uniform(random) < options.FlipProbability ? 1f : 0f;
                    break;
                case DsaTransform.Scale:
                    float low = 1f / options.ScaleRatio;
                    v[0] = Uniform(random) * (options.ScaleRatio - low) + low;
                    v[1] = Uniform(random) * (options.ScaleRatio - low) + low;
                    break;
                case DsaTransform.Rotate:
                    v[0] = (Uniform(random) - 0.5f) * 2f * options.RotateDegrees / 180f * MathF.PI;
                    break;
            }
        }

        return new DsaParameters(transform, samples, values);
    }

    /// <summary>
    /// Applies <paramref name="parameters"/> to <paramref name="images"/> [N, C, H, W]; differentiable in the images.
    /// </summary>
    public static Tensor Apply(Tensor images, DsaParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(parameters);
        int count = DsaParameters.ValuesPerSample(parameters.Transform);
        if (images.Rank != 4 || (parameters.Samples != 1 && parameters.Samples != images.Dim(0)) || parameters.Values.Length != parameters.Samples * count)
        {
            throw new ArgumentException(
                $"DSA needs images [N, C, H, W] and parameters drawn for N or shared by all images, but got images {Tensor.ShapeText(images.Shape)} " +
                $"and {parameters.Transform} parameters for {parameters.Samples} sample(s) with {parameters.Values.Length} values.");
        }

        int height = images.Dim(2), width = images.Dim(3);
        return parameters.Transform switch
        {
            DsaTransform.Color => Color(images, parameters),
            DsaTransform.Crop => Tensor.Resample(images, ResamplingMap.Translation(height, width,
                Column(parameters, 0).Select(v => (int)v).ToArray(), Column(parameters, 1).Select(v => (int)v).ToArray())),
            DsaTransform.Cutout => images * CutoutMask(images.Shape, parameters),
            DsaTransform.Flip => Tensor.Resample(images, ResamplingMap.HorizontalFlip(height, width, Column(parameters, 0).Select(v => v != 0f).ToArray())),
            DsaTransform.Scale => Tensor.Resample(images, ResamplingMap.Affine(height, width,
                Enumerable.Range(0, parameters.Samples).SelectMany(n => new[] { parameters.Values[2 * n], 0f, 0f, 0f, parameters.Values[2 * n + 1], 0f }).ToArray())),
            DsaTransform.Rotate => Tensor.Resample(images, ResamplingMap.Affine(height, width,
                parameters.Values.SelectMany(a => new[] { MathF.Cos(a), -MathF.Sin(a), 0f, MathF.Sin(a), MathF.Cos(a), 0f }).ToArray())),
            _ => throw new ArgumentOutOfRangeException(nameof(parameters), parameters.Transform, "Unknown DSA transformation."),
        };
    }

    private static Tensor Color(Tensor x, DsaParameters parameters)
    {
        int channels = x.Dim(1), perSample = x.Length / x.Dim(0);

        // Brightness: x + b.
        x += PerSampleConstant(x.Shape, Column(parameters, 0));

        // Saturation: (x − m)·s + m with m the mean over channels at each pixel, computed by a 1×1 convolution of 1/C
        // weights so that it stays differentiable.
        Tensor channelMean = Tensor.Conv2d(x, Tensor.FromValues(Enumerable.Repeat(1f / channels, channels * channels).ToArray(), channels, channels, 1, 1));
        x = (x - channelMean) * PerSampleConstant(x.Shape, Column(parameters, 1)) + channelMean;

        // Contrast: (x − m)·c + m with m the mean of each whole image.
        Tensor rows = x.Reshape(x.Dim(0), perSample);
        Tensor imageMean = Tensor.BroadcastRows(Tensor.SumRows(rows) * (1f / perSample), perSample).Reshape(x.Shape);
        return (x - imageMean) * PerSampleConstant(x.Shape, Column(parameters, 2)) + imageMean;
    }

    private static Tensor CutoutMask(ReadOnlySpan<int> shape, DsaParameters parameters)
    {
        var data = new float[Tensor.ElementCount(shape)];
        data.AsSpan().Fill(1f);
        int samples = shape[0], channels = shape[1], height = shape[2], width = shape[3];
        for (int n = 0; n < samples; n++)
        {
            ReadOnlySpan<float> box = parameters.Values.AsSpan((parameters.Samples == 1 ? 0 : n) * 4, 4);
            for (int c = 0; c < channels; c++)
            {
                for (int i = (int)box[0]; i <= (int)box[2]; i++)
                {
                    data.AsSpan(((n * channels + c) * height + i) * width + (int)box[1], (int)box[3] - (int)box[1] + 1).Clear();
                }
            }
        }

        return Tensor.FromArray(data, shape);
    }

    /// <summary>A constant tensor of <paramref name="shape"/> holding each sample's value (or the shared one) throughout that sample.</summary>
    private static Tensor PerSampleConstant(ReadOnlySpan<int> shape, float[] values)
    {
        int perSample = Tensor.ElementCount(shape[1..]);
        var data = new float[Tensor.ElementCount(shape)];
        for (int n = 0; n < shape[0]; n++)
        {
            data.AsSpan(n * perSample, perSample).Fill(values[values.Length == 1 ? 0 : n]);
        }

        return Tensor.FromArray(data, shape);
    }

    /// <summary>Value <paramref name="index"/> of every sample's set.</summary>
    private static float[] Column(DsaParameters parameters, int index)
    {
        int count = DsaParameters.ValuesPerSample(parameters.Transform);
        return Enumerable.Range(0, parameters.Samples).Select(n => parameters.Values[n * count + index]).ToArray();
    }

    private static float Uniform(Random random) => (float)random.NextDouble();
}
