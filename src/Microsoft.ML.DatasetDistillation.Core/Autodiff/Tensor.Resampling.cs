namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Fixed linear resampling of image planes (translations, flips, affine warps) and its transpose.
public sealed partial class Tensor
{
    /// <summary>
    /// Applies <paramref name="map"/> to every channel of every sample of <paramref name="x"/> [N, C, H, W], giving
    /// [N, C, OH, OW]. The map is a constant, so the op is linear in <paramref name="x"/>: its backward rule is the
    /// transposed map, whose own backward rule is the map again.
    /// </summary>
    internal static Tensor Resample(Tensor x, ResamplingMap map)
    {
        CheckResampling(x.shape, map, map.InHeight, map.InWidth, "input");
        Tensor y = Uninitialized(x.shape[0], x.shape[1], map.OutHeight, map.OutWidth);
        Backend.Resample(map, x, y);
        return Record("Resample", [y], [x], (g, _) => [ResampleTranspose(g[0]!, map)]);
    }

    private static Tensor ResampleTranspose(Tensor outputGradient, ResamplingMap map)
    {
        CheckResampling(outputGradient.shape, map, map.OutHeight, map.OutWidth, "gradient");
        Tensor dx = Uninitialized(outputGradient.shape[0], outputGradient.shape[1], map.InHeight, map.InWidth);
        Backend.ResampleTranspose(map, outputGradient, dx);
        return Record("ResampleTranspose", [dx], [outputGradient], (g, _) => [Resample(g[0]!, map)]);
    }

    private static void CheckResampling(int[] shape, ResamplingMap map, int height, int width, string what)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (shape.Length != 4 || shape[2] != height || shape[3] != width || (map.Samples != 1 && map.Samples != shape[0]))
        {
            throw new ArgumentException(
                $"Resample needs {what} [N, C, {height}, {width}] with N = {map.Samples} or a map shared by all samples, but got {ShapeText(shape)}.");
        }
    }
}
