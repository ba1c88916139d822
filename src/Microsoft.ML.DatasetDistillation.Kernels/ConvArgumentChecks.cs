namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// Argument checks shared by the convolution, pooling and channel-window kernels. Every message names the
/// shapes involved, because a wrong length is almost always a wrong shape upstream.
/// </summary>
internal static class ConvArgumentChecks
{
    /// <summary>Throws unless <paramref name="value"/> is at least 1.</summary>
    public static void Positive(int value, string name, string owner)
    {
        if (value < 1)
        {
            throw new ArgumentException($"{owner} needs {name} ≥ 1 but it is {value}.");
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is at least 0.</summary>
    public static void NonNegative(int value, string name, string owner)
    {
        if (value < 0)
        {
            throw new ArgumentException($"{owner} needs {name} ≥ 0 but it is {value}.");
        }
    }

    /// <summary>Throws when the kernel does not fit in the padded input along one axis.</summary>
    public static void KernelFits(int kernel, int size, int pad, string axis, string owner)
    {
        if (kernel > size + 2L * pad)
        {
            throw new ArgumentException(
                $"{owner} kernel {axis} {kernel} is larger than the padded input {axis} {size} + 2·{pad} = {size + 2L * pad}.");
        }
    }

    /// <summary>
    /// Throws unless <paramref name="length"/> equals the product of <paramref name="dims"/>, e.g.
    /// "input has 700 elements but geometry [N=1, C=1, H=28, W=28] needs 784".
    /// </summary>
    public static void Length(int length, string what, params ReadOnlySpan<(string Name, int Size)> dims)
    {
        long needed = 1;
        foreach (var (_, size) in dims)
        {
            needed *= size;
        }

        if (needed > Array.MaxLength)
        {
            throw new ArgumentException($"geometry {Describe(dims)} needs {needed} elements for {what}, more than a span can hold.");
        }

        if (length != needed)
        {
            throw new ArgumentException($"{what} has {length} elements but geometry {Describe(dims)} needs {needed}.");
        }
    }

    private static string Describe(ReadOnlySpan<(string Name, int Size)> dims)
    {
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            parts[i] = $"{dims[i].Name}={dims[i].Size}";
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
