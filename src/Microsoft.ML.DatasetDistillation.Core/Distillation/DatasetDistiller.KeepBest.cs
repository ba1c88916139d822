namespace Microsoft.ML.DatasetDistillation.Distillation;

// Keeping the best snapshot (KeepBestEvery): model selection on training data, never on test data.
public sealed partial class DatasetDistiller
{
    private LabeledExamples? scoringExamples;
    private DistilledDataset? best;
    private double bestAccuracy;
    private int bestIteration;

    /// <summary>
    /// With a keep-best interval (<see cref="DistillationOptions.KeepBestEvery"/>): the iteration of the best snapshot so
    /// far and its mean accuracy on the scoring examples, which <see cref="Run"/> returns; null before the first score or
    /// when not set.
    /// </summary>
    public (int Iteration, double Accuracy)? Best => best is null ? null : (bestIteration, bestAccuracy);

    /// <summary>
    /// Trains the method's scoring networks on <paramref name="distilled"/> (the paper's: with its learned schedule; the
    /// matching methods': by their evaluation protocol) and returns their mean accuracy on the scoring examples: the
    /// measure the keep-best interval keeps the best snapshot by.
    /// </summary>
    public double Score(DistilledDataset distilled)
    {
        ArgumentNullException.ThrowIfNull(distilled);
        scoringExamples ??= ScoringSubset();
        return objective.Score(distilled, scoringExamples);
    }

    private bool ScoresNow => loop.KeepBestEvery > 0 && (Iteration % loop.KeepBestEvery == 0 || Iteration == loop.Iterations);

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
        LabeledExamples real = objective.Real;
        if (loop.KeepBestExamples >= real.Count)
        {
            return real;
        }

        int[] order = Enumerable.Range(0, real.Count).ToArray();
        Seeds.Random(loop.Seed, Seeds.Stream.KeepBest, -1).Shuffle(order);
        var (features, subsetLabels) = real.Gather(order.AsSpan(0, loop.KeepBestExamples));
        return new LabeledExamples(features, subsetLabels, real.ExampleShape, real.ClassCount);
    }
}
