using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.DatasetDistillation.Optimizers;

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

    /// <summary>"91.20 ± 0.50 % over 10 networks", or "91.20 %" for one network, whose deviation means nothing.</summary>
    public override string ToString() => Accuracies.Count == 1
        ? $"{100 * Mean:F2} %"
        : $"{100 * Mean:F2} ± {100 * StandardDeviation:F2} % over {Accuracies.Count} networks";
}

/// <summary>
/// How the successor papers (gradient matching, DSA, distribution matching) train a fresh network on a synthetic set, as
/// their reference's evaluate_synset does: shuffled mini-batches, SGD with momentum and weight decay, and with DSA the
/// images of every batch augmented (one transformation per batch, its values drawn per image). The epochs and their rates
/// come from the distilled dataset (one step, an epoch per rate; see <see cref="StepDecay"/>).
/// </summary>
public sealed record MinibatchTraining
{
    /// <summary>Examples per mini-batch (the papers' 256: one batch per epoch up to 25 images per class of 10 classes).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>SGD's momentum (the papers' 0.9).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>SGD's weight decay, on every parameter (the papers' 5e-4).</summary>
    public float WeightDecay { get; init; } = 5e-4f;

    /// <summary>Augmentation of every training batch, values drawn per image; null for none.</summary>
    public DsaOptions? Augmentation { get; init; }

    /// <summary>
    /// The papers' schedule: <paramref name="rate"/> for the first half of <paramref name="epochs"/>, a tenth of it after
    /// (their reference runs one epoch more and decays one epoch later).
    /// </summary>
    public static float[] StepDecay(int epochs, float rate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        return [.. Enumerable.Range(0, epochs).Select(e => e < epochs / 2 ? rate : rate * 0.1f)];
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!(Momentum >= 0 && Momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be at least 0 and below 1.");
        }

        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be a finite number of at least 0.");
        }

        Augmentation?.Transforms();
    }
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

    /// <summary>
    /// Trains from <paramref name="initialWeights"/> as the successor papers do (<see cref="MinibatchTraining"/>): for each
    /// of the dataset's Steps × Epochs rates one pass over its examples in shuffled mini-batches, with the cross-entropy
    /// against the classes or, when present, the soft labels. <paramref name="random"/> shuffles and draws augmentations.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled (checked before every mini-batch).</exception>
    public static float[] TrainWithMinibatches(
        Network network, DistilledDataset distilled, float[] initialWeights, MinibatchTraining training, Random random, CancellationToken cancellationToken = default) =>
        TrainWithMinibatches(network, distilled, initialWeights, training, random, new TensorArena(), cancellationToken);

    /// <summary>
    /// <see cref="TrainWithMinibatches(Network, DistilledDataset, float[], MinibatchTraining, Random, CancellationToken)"/> with each batch's
    /// activations in <paramref name="arena"/>: a caller that trains again and again (gradient matching's inner loop) keeps
    /// one, so that every call after the first finds its buffers instead of faulting in fresh pages.
    /// </summary>
    internal static float[] TrainWithMinibatches(
        Network network, DistilledDataset distilled, float[] initialWeights, MinibatchTraining training, Random random, TensorArena arena,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(distilled);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(random);
        training.Validate();
        LabeledExamples examples = distilled.Examples;
        if (training.Augmentation is not null && examples.ExampleShape.Length != 3)
        {
            throw new ArgumentException($"Augmentation needs image examples [channels, height, width], but the examples have shape [{string.Join(", ", examples.ExampleShape)}].", nameof(training));
        }

        Tensor w = Tensor.FromValues(initialWeights, network.ParameterCount).RequireGrad();
        var sgd = new MomentumSgd([w], distilled.LearningRates[0], training.Momentum, training.WeightDecay);
        float[]? soft = distilled.SoftLabels;
        int classes = examples.ClassCount;
        int[] order = Enumerable.Range(0, examples.Count).ToArray();
        foreach (float rate in distilled.LearningRates)
        {
            random.Shuffle(order);
            sgd.LearningRate = rate;
            for (int start = 0; start < order.Length; start += training.BatchSize)
            {
                // Per batch, not per pass: one pass over 60,000 real images (an expert's epoch) takes minutes.
                cancellationToken.ThrowIfCancellationRequested();
                int[] batch = order[start..Math.Min(order.Length, start + training.BatchSize)];
                var (features, labels) = examples.Gather(batch);
                using (arena.Enter())
                {
                    Tensor x = Tensor.FromArray(features, [batch.Length, .. examples.ExampleShape]);
                    if (training.Augmentation is { } dsa)
                    {
                        x = SiameseAugmentation.Apply(x, SiameseAugmentation.Draw(dsa, random, batch.Length, x.Dim(2), x.Dim(3)));
                    }

                    Tensor logits = network.Forward(w, x);
                    Tensor loss = soft is null
                        ? Tensor.CrossEntropy(logits, labels)
                        : Tensor.CrossEntropy(logits, Tensor.FromValues([.. batch.SelectMany(i => soft.AsSpan(i * classes, classes).ToArray())], batch.Length, classes));
                    Tensor g = Autograd.Grad(loss, [w])[0];
                    using (Autograd.NoGrad())
                    {
                        sgd.Step([g]);
                    }
                }
            }
        }

        return w.ToArray();
    }

    /// <summary>
    /// Trains <paramref name="networks"/> networks on the distilled data as the successor papers do, each from weights given by
    /// <paramref name="initialWeights"/>(index) with shuffles and augmentations drawn from <paramref name="seed"/>, and
    /// reports their test accuracy.
    /// </summary>
    public static AccuracySummary EvaluateWithMinibatches(
        Network network, DistilledDataset distilled, LabeledExamples test, Func<int, float[]> initialWeights, int networks, MinibatchTraining training, int seed,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(networks, 1);
        var accuracies = new double[networks];
        for (int i = 0; i < networks; i++)
        {
            float[] trained = TrainWithMinibatches(network, distilled, initialWeights(i), training, Seeds.Random(seed, Seeds.Stream.MinibatchTraining, i), cancellationToken);
            accuracies[i] = Accuracy(network, trained, test);
        }

        return AccuracySummary.Of(accuracies);
    }

    /// <summary>The fraction of <paramref name="test"/> that the network with <paramref name="weights"/> classifies correctly.</summary>
    public static double Accuracy(Network network, float[] weights, LabeledExamples test, int batchSize = 1000) =>
        Accuracy(Predict(network, weights, test, batchSize), test);

    /// <summary>The fraction of <paramref name="examples"/> whose label <paramref name="predicted"/> gives, example by example.</summary>
    public static double Accuracy(ReadOnlySpan<int> predicted, LabeledExamples examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (predicted.Length != examples.Count)
        {
            throw new ArgumentException($"{predicted.Length} predictions for {examples.Count} examples.", nameof(predicted));
        }

        int correct = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            correct += predicted[i] == examples.Labels[i] ? 1 : 0;
        }

        return (double)correct / examples.Count;
    }

    /// <summary>The class the network with <paramref name="weights"/> gives each example of <paramref name="examples"/>, in batches of <paramref name="batchSize"/>.</summary>
    public static int[] Predict(Network network, float[] weights, LabeledExamples examples, int batchSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var _ = Autograd.NoGrad();
        Tensor w = Tensor.FromArray(weights, network.ParameterCount);
        var predicted = new int[examples.Count];
        var arena = new TensorArena(); // a batch's activations die with it: reuse their buffers
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, examples.Count - start);
            using (arena.Enter())
            {
                Tensor batch = Tensor.FromValues(examples.Features.AsSpan(start * examples.ExampleSize, count * examples.ExampleSize), [count, .. examples.ExampleShape]);
                network.Forward(w, batch).ArgMaxRows().CopyTo(predicted, start);
            }
        }

        return predicted;
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
}
