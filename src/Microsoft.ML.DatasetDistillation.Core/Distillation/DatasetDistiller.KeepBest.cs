using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

// Keeping the best snapshot (DistillationOptions.KeepBestEvery): model selection on training data, never on test data.
public sealed partial class DatasetDistiller
{
    private LabeledExamples? scoringExamples;
    private float[][]? scoringNetworks;
    private DistilledDataset? best;
    private double bestAccuracy;
    private int bestIteration;

    /// <summary>
    /// With <see cref="DistillationOptions.KeepBestEvery"/> set: the iteration of the best snapshot so far and its mean
    /// accuracy on the scoring examples, which <see cref="Run"/> returns; null before the first score or when not set.
    /// </summary>
    public (int Iteration, double Accuracy)? Best => best is null ? null : (bestIteration, bestAccuracy);

    /// <summary>
    /// Trains the scoring networks on <paramref name="distilled"/> and returns their mean accuracy on the scoring
    /// examples: the measure <see cref="DistillationOptions.KeepBestEvery"/> keeps the best snapshot by.
    /// </summary>
    public double Score(DistilledDataset distilled)
    {
        scoringExamples ??= ScoringSubset();
        float[][] networks = scoringNetworks ??= options.Initialization switch
        {
            InitializationMode.Fixed => [fixedWeights!],
            InitializationMode.Random => Enumerable.Range(0, options.KeepBestNetworks)
                .Select(i => Initialization.Draw(network, options.InitScheme, Seeds.Random(options.Seed, Seeds.Stream.KeepBest, i))).ToArray(),
            _ => options.PretrainedWeights!.Take(options.KeepBestNetworks).ToArray(),
        };
        return Evaluation.Evaluate(network, distilled, scoringExamples, i => networks[i], networks.Length).Mean;
    }

    private bool ScoresNow => options.KeepBestEvery > 0 && (Iteration % options.KeepBestEvery == 0 || Iteration == options.Iterations);

    private DistilledDataset KeepIfBest()
    {
        DistilledDataset snapshot = Snapshot();
        double accuracy = Score(snapshot);
        if (best is null || accuracy > bestAccuracy)
        {
            (best, bestAccuracy, bestIteration) = (snapshot, accuracy, Iteration);
        }

        return best;
    }

    // The same subset (and networks) for every score, so that scores of different snapshots compare.
    private LabeledExamples ScoringSubset()
    {
        if (options.KeepBestExamples >= real.Count)
        {
            return real;
        }

        int[] order = Enumerable.Range(0, real.Count).ToArray();
        Seeds.Random(options.Seed, Seeds.Stream.KeepBest, -1).Shuffle(order);
        var (features, subsetLabels) = real.Gather(order.AsSpan(0, options.KeepBestExamples));
        return new LabeledExamples(features, subsetLabels, real.ExampleShape, real.ClassCount);
    }
}
