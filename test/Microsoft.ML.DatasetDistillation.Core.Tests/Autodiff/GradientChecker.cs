using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

/// <summary>
/// Compares analytic gradients with central finite differences, to first and second order.
/// </summary>
/// <remarks>
/// The op's output is reduced to s = Σ out·r with fixed random weights r, so every output element matters.
/// First order compares ∂s/∂x element by element. Second order takes h = Σ ⟨∂s/∂x_i, u_i⟩ with fixed random u,
/// built with a recorded backward pass, and compares ∂h/∂x (a Hessian-vector product) with finite differences
/// of h. Float32 forward passes carry about 1e-7 relative noise, so a step of 1e-2 keeps the difference quotient's
/// noise near 1e-4 while its truncation error (ε²·f'''/6) stays near 1e-5; the tolerance sits between that and
/// the size of any real mistake in a rule (see the tests that break a rule on purpose).
/// </remarks>
internal static class GradientChecker
{
    public const float Step = 1e-2f;
    public const double AbsoluteTolerance = 2e-3;
    public const double RelativeTolerance = 1e-2;

    /// <summary>Returns the mismatches found, one line each; empty when the op's rule is right.</summary>
    public static List<string> Check(Func<Tensor[], Tensor> op, float[][] inputValues, int[][] inputShapes, bool secondOrder, int seed = 7)
    {
        var random = new Random(seed);
        Tensor[] probe = MakeLeaves(inputValues, inputShapes);
        Tensor outputProbe = op(probe);
        float[] outputWeights = RandomValues(random, outputProbe.Length);
        float[][] directions = inputShapes.Select(s => RandomValues(random, Tensor.Zeros(s).Length)).ToArray();

        var mismatches = new List<string>();
        Compare("first order", inputValues, inputShapes,
            leaves => Autograd.Grad(Reduce(op(leaves), outputWeights), leaves),
            values => ReduceValue(op(MakeLeaves(values, inputShapes)), outputWeights),
            mismatches);

        if (secondOrder)
        {
            Compare("second order", inputValues, inputShapes,
                leaves => Autograd.Grad(Directional(leaves, op, outputWeights, directions, createGraph: true), leaves),
                values =>
                {
                    Tensor[] leaves = MakeLeaves(values, inputShapes);
                    return Directional(leaves, op, outputWeights, directions, createGraph: false).Item();
                },
                mismatches);
        }

        return mismatches;
    }

    private static Tensor Directional(Tensor[] leaves, Func<Tensor[], Tensor> op, float[] outputWeights, float[][] directions, bool createGraph)
    {
        Tensor[] grads = Autograd.Grad(Reduce(op(leaves), outputWeights), leaves, createGraph);
        Tensor h = Tensor.Scalar(0f);
        for (int i = 0; i < grads.Length; i++)
        {
            h += Tensor.Sum(grads[i] * Tensor.FromValues(directions[i], grads[i].Shape));
        }

        return h;
    }

    /// <summary>
    /// Compares the gradients <paramref name="analytic"/> gives at <paramref name="inputValues"/> with central differences
    /// of <paramref name="numericFunction"/>, element by element, and adds a line per mismatch.
    /// </summary>
    public static void Compare(
        string order, float[][] inputValues, int[][] inputShapes,
        Func<Tensor[], Tensor[]> analytic, Func<float[][], double> numericFunction, List<string> mismatches)
    {
        Tensor[] gradients = analytic(MakeLeaves(inputValues, inputShapes));
        for (int i = 0; i < inputValues.Length; i++)
        {
            float[] g = gradients[i].ToArray();
            for (int j = 0; j < inputValues[i].Length; j++)
            {
                float[][] plus = Copy(inputValues), minus = Copy(inputValues);
                plus[i][j] += Step;
                minus[i][j] -= Step;
                double numeric = (numericFunction(plus) - numericFunction(minus)) / ((double)plus[i][j] - minus[i][j]);
                double error = Math.Abs(numeric - g[j]);
                if (error > AbsoluteTolerance + RelativeTolerance * Math.Max(Math.Abs(numeric), Math.Abs(g[j])))
                {
                    mismatches.Add($"{order}: input {i} element {j}: analytic {g[j]:G6}, numeric {numeric:G6}");
                }
            }
        }
    }

    private static Tensor Reduce(Tensor output, float[] weights) => Tensor.Sum(output * Tensor.FromValues(weights, output.Shape));

    private static double ReduceValue(Tensor output, float[] weights)
    {
        double sum = 0;
        ReadOnlySpan<float> values = output.Data;
        for (int i = 0; i < values.Length; i++)
        {
            sum += (double)values[i] * weights[i];
        }

        return sum;
    }

    private static Tensor[] MakeLeaves(float[][] values, int[][] shapes) =>
        values.Select((v, i) => Tensor.FromValues(v, shapes[i]).RequireGrad()).ToArray();

    private static float[][] Copy(float[][] values) => values.Select(v => (float[])v.Clone()).ToArray();

    public static float[] RandomValues(Random random, int count, float low = -1f, float high = 1f) =>
        Enumerable.Range(0, count).Select(_ => low + (high - low) * random.NextSingle()).ToArray();
}
