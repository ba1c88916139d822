namespace Microsoft.ML.DatasetDistillation.Networks;

/// <summary>How weights are drawn; biases start at zero except under <see cref="PyTorchDefault"/>.</summary>
public enum InitScheme
{
    /// <summary>Glorot normal: std = √(2 / (fanIn + fanOut)). The reference's default.</summary>
    XavierNormal,

    /// <summary>Glorot uniform: bound = √(6 / (fanIn + fanOut)).</summary>
    XavierUniform,

    /// <summary>He normal for ReLU: std = √(2 / fanIn).</summary>
    KaimingNormal,

    /// <summary>He uniform for ReLU: bound = √(6 / fanIn).</summary>
    KaimingUniform,

    /// <summary>
    /// PyTorch's default for Linear and Conv2d, used by gradient matching, DSA and distribution matching: weights are
    /// Kaiming-uniform with a = √5, i.e. bound = 1/√fanIn, and each bias is uniform within ±1/√fanIn of the weight before it.
    /// </summary>
    PyTorchDefault,
}

/// <summary>Draws flat parameter vectors for a <see cref="Network"/>.</summary>
public static class Initialization
{
    /// <summary>A fresh flat parameter vector drawn with <paramref name="scheme"/> from <paramref name="random"/>.</summary>
    public static float[] Draw(Network network, InitScheme scheme, Random random)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(random);
        var weights = new float[network.ParameterCount];
        int offset = 0;
        int lastWeightFanIn = 1;
        foreach (ParameterSpec spec in network.Parameters)
        {
            Span<float> part = weights.AsSpan(offset, spec.Length);
            offset += spec.Length;
            if (spec.InitialValue is float constant)
            {
                part.Fill(constant);
                continue;
            }

            if (spec.IsBias)
            {
                // Networks list each bias right after its weight, so the last weight's fan-in is the bias's.
                if (scheme == InitScheme.PyTorchDefault)
                {
                    FillUniform(part, 1f / MathF.Sqrt(lastWeightFanIn), random);
                }

                continue;
            }

            lastWeightFanIn = spec.FanIn;

            switch (scheme)
            {
                case InitScheme.XavierNormal:
                    FillNormal(part, MathF.Sqrt(2f / (spec.FanIn + spec.FanOut)), random);
                    break;
                case InitScheme.XavierUniform:
                    FillUniform(part, MathF.Sqrt(6f / (spec.FanIn + spec.FanOut)), random);
                    break;
                case InitScheme.KaimingNormal:
                    FillNormal(part, MathF.Sqrt(2f / spec.FanIn), random);
                    break;
                case InitScheme.KaimingUniform:
                    FillUniform(part, MathF.Sqrt(6f / spec.FanIn), random);
                    break;
                case InitScheme.PyTorchDefault:
                    FillUniform(part, 1f / MathF.Sqrt(spec.FanIn), random);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown initialisation scheme.");
            }
        }

        return weights;
    }

    /// <summary>Fills <paramref name="values"/> with N(0, std²) draws (Box–Muller, both outputs used).</summary>
    public static void FillNormal(Span<float> values, float std, Random random)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = (float)(std * radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(std * radius * Math.Sin(2 * Math.PI * u2));
            }
        }
    }

    private static void FillUniform(Span<float> values, float bound, Random random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((2 * random.NextDouble() - 1) * bound);
        }
    }
}
