using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// Ordinary training on real data, to make the pretrained networks of <see cref="InitializationMode.Pretrained"/>
/// (the paper's adaptation setting distils data that adapts networks trained elsewhere).
/// </summary>
public static class Pretraining
{
    /// <summary>
    /// Trains one network from a fresh <paramref name="scheme"/> draw with Adam on shuffled mini-batches of
    /// <paramref name="data"/> for <paramref name="epochs"/> passes, and returns its flat parameters.
    /// </summary>
    public static float[] Train(
        Network network, LabeledExamples data, int epochs, int seed, float learningRate = 1e-3f, int batchSize = 128,
        InitScheme scheme = InitScheme.XavierNormal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Tensor weights = Tensor.FromArray(Initialization.Draw(network, scheme, Seeds.Random(seed, Seeds.Stream.Initialization, int.MaxValue)), network.ParameterCount).RequireGrad();
        var adam = new Adam([weights], learningRate);
        var batches = new RealBatches(data.Count, Math.Min(batchSize, data.Count), seed);
        for (int iteration = 0; iteration < epochs * batches.PerEpoch; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (_, indices) = batches.Batch(iteration);
            var (features, labels) = data.Gather(indices);
            Tensor loss = Tensor.CrossEntropy(network.Forward(weights, Tensor.FromArray(features, [indices.Length, .. data.ExampleShape])), labels);
            Tensor gradient = Autograd.Grad(loss, [weights])[0];
            using (Autograd.NoGrad())
            {
                adam.Step([gradient]);
            }
        }

        return weights.ToArray();
    }

    /// <summary>A pool of <paramref name="count"/> networks pretrained from different seeds.</summary>
    public static IReadOnlyList<float[]> TrainPool(
        Network network, LabeledExamples data, int count, int epochs, int seed, float learningRate = 1e-3f, CancellationToken cancellationToken = default) =>
        Enumerable.Range(0, count).Select(i => Train(network, data, epochs, seed + i, learningRate, cancellationToken: cancellationToken)).ToArray();
}
