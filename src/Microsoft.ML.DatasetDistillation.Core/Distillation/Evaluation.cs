using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>Test accuracy over several trained networks.</summary>
/// <param name="Mean">Mean accuracy in [0, 1].</param>
/// <param name="StandardDeviation">Sample standard deviation (0 for one network).</param>
/// <param name="Accuracies">Each network's accuracy.</param>
public sealed record AccuracySummary(double Mean, double StandardDeviation, IReadOnlyList<double> Accuracies)
{
    /// <summary>Summarises a list of accuracies.</summary>
    public static AccuracySummary Of(IReadOnlyList<double> accuracies)
    {
        double mean = accuracies.Average();
        double variance = accuracies.Count > 1 ? accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Count - 1) : 0;
        return new AccuracySummary(mean, Math.Sqrt(variance), accuracies);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{100 * Mean:F2} ± {100 * StandardDeviation:F2} % over {Accuracies.Count} networks";
}

/// <summary>Training networks on distilled data with its learned schedule, and measuring them, as the paper evaluates.</summary>
public static class Evaluation
{
    /// <summary>
    /// Trains from <paramref name="initialWeights"/> with the distilled schedule: w_{t+1} = w_t − η_t ∇ℓ(x̃_{t mod S}; w_t),
    /// ℓ the cross-entropy against the classes or, when present, the soft labels.
    /// </summary>
    public static float[] Train(Network network, DistilledDataset distilled, float[] initialWeights)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(distilled);
        Tensor w = Tensor.FromValues(initialWeights, network.ParameterCount);
        int[] stepShape = [distilled.ExamplesPerStep, .. distilled.Examples.ExampleShape];
        var arena = new TensorArena(); // each step's activations die with it: reuse their buffers
        for (int t = 0; t < distilled.LearningRates.Length; t++)
        {
            int s = t % distilled.Steps;
            using (arena.Enter())
            {
                Tensor leaf = w.RequireGrad();
                Tensor x = Tensor.FromValues(distilled.StepFeatures(s), stepShape);
                Tensor g = Autograd.Grad(Tensor.CrossEntropy(network.Forward(leaf, x), distilled.StepTargets(s)), [leaf])[0];
                using (Autograd.NoGrad())
                {
                    w = TensorArena.Keep(leaf.Detach() - g * distilled.LearningRates[t]);
                }
            }
        }

        return w.ToArray();
    }

    /// <summary>The fraction of <paramref name="test"/> that the network with <paramref name="weights"/> classifies correctly.</summary>
    public static double Accuracy(Network network, float[] weights, LabeledExamples test, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(test);
        using var _ = Autograd.NoGrad();
        Tensor w = Tensor.Wrap(weights, network.ParameterCount);
        int correct = 0;
        var arena = new TensorArena(); // a batch's activations die with it: reuse their buffers
        for (int start = 0; start < test.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, test.Count - start);
            int[] predicted;
            using (arena.Enter())
            {
                Tensor batch = Tensor.FromValues(test.Features.AsSpan(start * test.ExampleSize, count * test.ExampleSize), [count, .. test.ExampleShape]);
                predicted = ArgMaxRows(network.Forward(w, batch));
            }

            for (int i = 0; i < count; i++)
            {
                correct += predicted[i] == test.Labels[start + i] ? 1 : 0;
            }
        }

        return (double)correct / test.Count;
    }

    /// <summary>
    /// Trains <paramref name="networks"/> networks on the distilled data, each from weights given by
    /// <paramref name="initialWeights"/>(index), and reports their test accuracy.
    /// </summary>
    public static AccuracySummary Evaluate(
        Network network, DistilledDataset distilled, LabeledExamples test, Func<int, float[]> initialWeights, int networks,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(networks, 1);
        var accuracies = new double[networks];
        for (int i = 0; i < networks; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            accuracies[i] = Accuracy(network, Train(network, distilled, initialWeights(i)), test);
        }

        return AccuracySummary.Of(accuracies);
    }

    /// <summary>Held-out random initialisations for evaluation: independent of the ones used while distilling.</summary>
    public static Func<int, float[]> RandomInitializations(Network network, InitScheme scheme, int seed) =>
        i => Initialization.Draw(network, scheme, Seeds.Random(seed, Seeds.Stream.Evaluation, i));

    /// <summary>The index of the largest value in each row of a [rows, columns] tensor.</summary>
    public static int[] ArgMaxRows(Tensor logits)
    {
        int rows = logits.Dim(0), columns = logits.Dim(1);
        var result = new int[rows];
        ReadOnlySpan<float> values = logits.Data;
        for (int r = 0; r < rows; r++)
        {
            result[r] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values.Slice(r * columns, columns));
        }

        return result;
    }
}
