namespace Microsoft.ML.DatasetDistillation.Core.Tests.Kernels;

/// <summary>Inputs and reductions shared by the kernel tests.</summary>
internal static class KernelTestData
{
    /// <summary>Uniform values in [−1, 1) from a fixed seed.</summary>
    public static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    /// <summary>⟨a, b⟩ accumulated in double, for adjoint identities.</summary>
    public static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }
}
