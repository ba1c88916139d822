using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>The paper's baselines: real or simple summary examples trained on with the same number of steps as distilled data.</summary>
public enum BaselineKind
{
    /// <summary>Random real examples of each class for each step.</summary>
    RandomReal,

    /// <summary>The best of <see cref="BaselineOptions.Candidates"/> random real sets, scored by training on them.</summary>
    OptimizedReal,

    /// <summary>Per class, the centroids of k-means with k = examples per class per step × steps.</summary>
    KMeans,

    /// <summary>The mean example of each class, used in every step.</summary>
    AverageReal,
}

/// <summary>The settings of a baseline. Defaults match the distiller's for MNIST (1 example per class per step, 10 steps, 3 epochs).</summary>
public sealed class BaselineOptions
{
    /// <summary>Examples of every class in each step.</summary>
    public int ExamplesPerClassPerStep { get; set; } = 1;

    /// <summary>Distinct steps, each with its own examples.</summary>
    public int Steps { get; set; } = 10;

    /// <summary>Passes over the steps; training takes Steps × Epochs gradient steps.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>The rate of every step, or null to choose it from <see cref="LearningRateGrid"/> on training data.</summary>
    public float? LearningRate { get; set; }

    /// <summary>
    /// The rates tried when <see cref="LearningRate"/> is null, by default 1-2-5 steps from 0.001 to 1 (accuracy after a
    /// few steps changes fast with the rate); the best by accuracy on the scoring subset wins, the first of equals.
    /// </summary>
    public IReadOnlyList<float> LearningRateGrid { get; set; } = [0.001f, 0.002f, 0.005f, 0.01f, 0.02f, 0.05f, 0.1f, 0.2f, 0.5f, 1f];

    /// <summary>Random real sets drawn by <see cref="BaselineKind.OptimizedReal"/> (the paper's R); the first is the one <see cref="BaselineKind.RandomReal"/> gives.</summary>
    public int Candidates { get; set; } = 20;

    /// <summary>
    /// Training examples (a fixed random subset of the training data, never the test set) on which learning rates and
    /// candidate sets are scored; all of them when the data has fewer.
    /// </summary>
    public int ScoringSubsetSize { get; set; } = 5000;

    /// <summary>
    /// Networks trained per score, from initialisations 0 … ScoringNetworks−1 (the same for every rate and candidate, so
    /// differences between them are not drowned by differences between initialisations); their accuracies are averaged.
    /// </summary>
    public int ScoringNetworks { get; set; } = 8;

    /// <summary>Cap on Lloyd iterations of the k-means baseline (it stops earlier once assignments stop changing).</summary>
    public int KMeansMaxIterations { get; set; } = 100;

    /// <summary>Seed of every random choice (examples drawn, scoring subset, k-means seeding).</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Gradient steps in a training run, Steps × Epochs.</summary>
    public int TotalSteps => Steps * Epochs;

    /// <summary>Throws when a setting is out of range, naming it.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ExamplesPerClassPerStep, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Candidates, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ScoringSubsetSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ScoringNetworks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(KMeansMaxIterations, 1);
        if (LearningRate is { } rate && !(float.IsFinite(rate) && rate > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), rate, "The learning rate must be a positive finite number.");
        }

        if (LearningRateGrid is null || LearningRateGrid.Count == 0 || LearningRateGrid.Any(r => !(float.IsFinite(r) && r > 0)))
        {
            throw new ArgumentException("The learning-rate grid must hold at least one positive finite rate.", nameof(LearningRateGrid));
        }
    }
}

/// <summary>
/// The baselines of Dataset Distillation (Wang et al., 2018, section 4): training sets of real examples, or of simple
/// summaries of them, that take exactly as many gradient steps as distilled data, with as many examples per class per
/// step. Each is returned as a <see cref="DistilledDataset"/> laid out as the distiller's (step by step, class by class
/// within a step) with one rate for every step, so <see cref="Evaluation"/> measures it the same way.
/// </summary>
/// <remarks>
/// When <see cref="BaselineOptions.LearningRate"/> is null the rate is chosen on training data: each rate of the grid is
/// scored by the mean accuracy, on a fixed random subset of the training data (never the test set), of networks trained
/// with it from <c>initialWeights</c>(0 … ScoringNetworks−1). The optimised-real baseline chooses the rate on its first candidate,
/// scores every candidate with that rate, keeps the best and chooses the rate again on the winner.
/// </remarks>
public static class Baselines
{
    // Indices within the Baseline random stream: candidate sets use 0, 1, …; the rest use disjoint negative indices.
    private const int SubsetIndex = -1;
    private const int KMeansIndex = -2;                 // class c uses KMeansIndex − c
    private const int InitializationIndex = int.MinValue; // network i uses InitializationIndex + i

    /// <summary>Builds the baseline <paramref name="kind"/> from the training data <paramref name="train"/>.</summary>
    /// <param name="kind">Which baseline.</param>
    /// <param name="network">The network the rate is chosen for (and the optimised sets are scored with).</param>
    /// <param name="train">The training data; the examples come from it and so does the scoring subset.</param>
    /// <param name="options">Sizes, rate and seed.</param>
    /// <param name="initialWeights">
    /// The initialisations of the scoring networks, by index; unused when nothing is scored (a fixed rate and a baseline other
    /// than <see cref="BaselineKind.OptimizedReal"/>). <see cref="RandomInitializations"/> gives fresh draws that are
    /// independent of the ones <see cref="Evaluation.RandomInitializations"/> gives for testing.
    /// </param>
    /// <param name="cancellationToken">Checked between training runs and between classes.</param>
    /// <exception cref="ArgumentException">The network does not fit the data, or a class has fewer examples than the baseline needs.</exception>
    public static DistilledDataset Create(
        BaselineKind kind, Network network, LabeledExamples train, BaselineOptions options, Func<int, float[]> initialWeights,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(initialWeights);
        options.Validate();
        CheckRequest(kind, network, train, options);
        var scorer = new Scorer(network, train, options, initialWeights, cancellationToken);

        if (kind == BaselineKind.OptimizedReal)
        {
            return OptimizedReal(train, options, scorer, cancellationToken);
        }

        float[] features = kind switch
        {
            BaselineKind.RandomReal => RandomRealFeatures(train, options, candidate: 0),
            BaselineKind.KMeans => KMeansFeatures(train, options, cancellationToken),
            BaselineKind.AverageReal => AverageFeatures(train, options),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown baseline."),
        };

        float rate = options.LearningRate ?? scorer.ChooseRate(features).Rate;
        return Dataset(features, train, options, rate);
    }

    /// <summary>
    /// Fresh initialisations for scoring, from the baselines' own random stream: independent of the ones used for
    /// distilling and of <see cref="Evaluation.RandomInitializations"/>, so rates are not tuned on the test networks.
    /// </summary>
    public static Func<int, float[]> RandomInitializations(Network network, InitScheme scheme, int seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        return i => Initialization.Draw(network, scheme, Seeds.Random(seed, Seeds.Stream.Baseline, InitializationIndex + i));
    }

    /// <summary>
    /// Lays out examples given class by class (class c's j-th at c·perClass + j, perClass = ExamplesPerClassPerStep × Steps)
    /// as a distilled dataset's steps, with one constant rate chosen as for the baselines: how condensations that learn
    /// no schedule of their own (distribution matching) are trained on.
    /// </summary>
    internal static DistilledDataset FromExamplesByClass(
        LabeledExamples examples, Network network, LabeledExamples train, BaselineOptions options, Func<int, float[]> initialWeights, CancellationToken cancellationToken)
    {
        int perClass = ExamplesNeededPerClass(BaselineKind.KMeans, options);
        if (examples.Count != train.ClassCount * perClass || examples.ExampleSize != train.ExampleSize)
        {
            throw new ArgumentException($"Expected {perClass} examples of {train.ExampleSize} values for each of {train.ClassCount} classes, but got {examples.Count} of {examples.ExampleSize}.", nameof(examples));
        }

        var features = new float[examples.Features.Length];
        for (int c = 0; c < train.ClassCount; c++)
        {
            for (int j = 0; j < perClass; j++)
            {
                examples.Example(c * perClass + j).CopyTo(Slot(features, train, options.ExamplesPerClassPerStep, c, j));
            }
        }

        float rate = options.LearningRate ?? new Scorer(network, train, options, initialWeights, cancellationToken).ChooseRate(features).Rate;
        return Dataset(features, train, options, rate);
    }

    /// <summary>The examples per class a baseline needs: distinct real examples or centroids for every step, or just one to average.</summary>
    internal static int ExamplesNeededPerClass(BaselineKind kind, BaselineOptions options) =>
        kind == BaselineKind.AverageReal ? 1 : options.ExamplesPerClassPerStep * options.Steps;

    /// <summary>The mean training-subset accuracy of networks trained on <paramref name="dataset"/> (as the baselines score).</summary>
    internal static double Score(Network network, LabeledExamples train, BaselineOptions options, Func<int, float[]> initialWeights, DistilledDataset dataset) =>
        new Scorer(network, train, options, initialWeights, CancellationToken.None).Score(dataset.Examples.Features, dataset.LearningRates[0]);

    private static DistilledDataset OptimizedReal(LabeledExamples train, BaselineOptions options, Scorer scorer, CancellationToken cancellationToken)
    {
        float[] best = RandomRealFeatures(train, options, candidate: 0);
        (float rate, double bestScore) = options.LearningRate is { } fixedRate ? (fixedRate, scorer.Score(best, fixedRate)) : scorer.ChooseRate(best);
        for (int candidate = 1; candidate < options.Candidates; candidate++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            float[] features = RandomRealFeatures(train, options, candidate);
            double score = scorer.Score(features, rate);
            if (score > bestScore)
            {
                (best, bestScore) = (features, score);
            }
        }

        // The winner may train better at another rate; its score at the rate above is one of those compared.
        if (options.LearningRate is null)
        {
            rate = scorer.ChooseRate(best).Rate;
        }

        return Dataset(best, train, options, rate);
    }

    /// <summary>The random real set of candidate r, drawn from that candidate's own random stream.</summary>
    private static float[] RandomRealFeatures(LabeledExamples train, BaselineOptions options, int candidate) =>
        DistinctRealExamples(train, options.Steps, options.ExamplesPerClassPerStep, Seeds.Random(options.Seed, Seeds.Stream.Baseline, candidate));

    /// <summary>
    /// Steps × <paramref name="examplesPerClassPerStep"/> distinct real examples of each class, drawn uniformly without
    /// replacement from the class, laid out as a distilled dataset's features (step by step, classes in order).
    /// Every class must have that many examples.
    /// </summary>
    internal static float[] DistinctRealExamples(LabeledExamples train, int steps, int examplesPerClassPerStep, Random random)
    {
        int perClass = examplesPerClassPerStep * steps;
        var features = new float[train.ClassCount * perClass * train.ExampleSize];
        int[][] byClass = IndicesByClass(train);
        for (int c = 0; c < train.ClassCount; c++)
        {
            int[] picks = DistinctPicks(byClass[c], perClass, random);
            for (int j = 0; j < perClass; j++)
            {
                train.Example(picks[j]).CopyTo(Slot(features, train, examplesPerClassPerStep, c, j));
            }
        }

        return features;
    }

    /// <summary><paramref name="count"/> distinct entries of <paramref name="pool"/>, by a partial Fisher–Yates shuffle of a copy.</summary>
    internal static int[] DistinctPicks(int[] pool, int count, Random random)
    {
        int[] copy = (int[])pool.Clone();
        for (int j = 0; j < count; j++)
        {
            int pick = random.Next(j, copy.Length);
            (copy[j], copy[pick]) = (copy[pick], copy[j]);
        }

        return copy[..count];
    }

    /// <summary>Per class, k-means++ seeded k-means with k = ExamplesPerClassPerStep × Steps; centroid j goes to step j / ExamplesPerClassPerStep.</summary>
    private static float[] KMeansFeatures(LabeledExamples train, BaselineOptions options, CancellationToken cancellationToken)
    {
        int k = ExamplesNeededPerClass(BaselineKind.KMeans, options);
        var features = new float[train.ClassCount * k * train.ExampleSize];
        int[][] byClass = IndicesByClass(train);
        for (int c = 0; c < train.ClassCount; c++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Random random = Seeds.Random(options.Seed, Seeds.Stream.Baseline, KMeansIndex - c);
            KMeansResult result = KMeans.Cluster(train.Features, train.ExampleSize, byClass[c], k, options.KMeansMaxIterations, random);
            for (int j = 0; j < k; j++)
            {
                result.Centroids.AsSpan(j * train.ExampleSize, train.ExampleSize).CopyTo(Slot(features, train, options.ExamplesPerClassPerStep, c, j));
            }
        }

        return features;
    }

    /// <summary>The mean example of each class (summed in double), in every slot of that class.</summary>
    private static float[] AverageFeatures(LabeledExamples train, BaselineOptions options)
    {
        int size = train.ExampleSize;
        var sums = new double[train.ClassCount * size];
        int[] counts = train.ClassCounts();
        for (int i = 0; i < train.Count; i++)
        {
            ReadOnlySpan<float> x = train.Example(i);
            Span<double> sum = sums.AsSpan(train.Labels[i] * size, size);
            for (int e = 0; e < size; e++)
            {
                sum[e] += x[e];
            }
        }

        var mean = new float[size];
        var features = new float[train.ClassCount * options.ExamplesPerClassPerStep * options.Steps * size];
        for (int c = 0; c < train.ClassCount; c++)
        {
            for (int e = 0; e < size; e++)
            {
                mean[e] = (float)(sums[c * size + e] / counts[c]);
            }

            for (int j = 0; j < options.ExamplesPerClassPerStep * options.Steps; j++)
            {
                mean.CopyTo(Slot(features, train, options.ExamplesPerClassPerStep, c, j));
            }
        }

        return features;
    }

    /// <summary>Where the j-th example of class c goes: step j / E, position c·E + j mod E within the step.</summary>
    private static Span<float> Slot(float[] features, LabeledExamples train, int examplesPerClassPerStep, int c, int j)
    {
        int perClass = examplesPerClassPerStep, step = j / perClass;
        int index = step * train.ClassCount * perClass + c * perClass + j % perClass;
        return features.AsSpan(index * train.ExampleSize, train.ExampleSize);
    }

    private static DistilledDataset Dataset(float[] features, LabeledExamples train, BaselineOptions options, float rate)
    {
        int perStep = train.ClassCount * options.ExamplesPerClassPerStep;
        int[] labels = Enumerable.Range(0, perStep * options.Steps).Select(i => i % perStep / options.ExamplesPerClassPerStep).ToArray();
        float[] rates = Enumerable.Repeat(rate, options.TotalSteps).ToArray();
        return new DistilledDataset(features, labels, train.ExampleShape, train.ClassCount, options.Steps, options.Epochs, rates);
    }

    internal static int[][] IndicesByClass(LabeledExamples train)
    {
        var lists = Enumerable.Range(0, train.ClassCount).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < train.Count; i++)
        {
            lists[train.Labels[i]].Add(i);
        }

        return lists.Select(l => l.ToArray()).ToArray();
    }

    private static void CheckRequest(BaselineKind kind, Network network, LabeledExamples train, BaselineOptions options)
    {
        if (!network.ExampleShape.SequenceEqual(train.ExampleShape) || network.ClassCount != train.ClassCount)
        {
            throw new ArgumentException(
                $"The network expects examples [{string.Join(", ", network.ExampleShape)}] in {network.ClassCount} classes, " +
                $"but the data has [{string.Join(", ", train.ExampleShape)}] in {train.ClassCount}.", nameof(network));
        }

        int needed = ExamplesNeededPerClass(kind, options);
        int[] counts = train.ClassCounts();
        int smallest = Array.IndexOf(counts, counts.Min());
        if (counts[smallest] < needed)
        {
            string why = kind == BaselineKind.AverageReal
                ? "at least one example of every class to average"
                : $"{needed} distinct examples of every class ({options.ExamplesPerClassPerStep} per class per step × {options.Steps} steps)";
            throw new ArgumentException($"The {kind} baseline needs {why}, but class {smallest} has only {counts[smallest]}.", nameof(train));
        }
    }

    /// <summary>Scores example sets by training on them and measuring accuracy on a fixed subset of the training data.</summary>
    private sealed class Scorer
    {
        private readonly Network network;
        private readonly LabeledExamples train;
        private readonly BaselineOptions options;
        private readonly Func<int, float[]> initialWeights;
        private readonly CancellationToken cancellationToken;
        private LabeledExamples? subset;

        public Scorer(Network network, LabeledExamples train, BaselineOptions options, Func<int, float[]> initialWeights, CancellationToken cancellationToken)
        {
            this.network = network;
            this.train = train;
            this.options = options;
            this.initialWeights = initialWeights;
            this.cancellationToken = cancellationToken;
        }

        /// <summary>The scoring subset, drawn on first use: ScoringSubsetSize distinct training examples, in the order drawn.</summary>
        private LabeledExamples Subset => subset ??= DrawSubset();

        /// <summary>The best rate of the grid for these examples (the first of equal scores) and its score.</summary>
        public (float Rate, double Score) ChooseRate(float[] features)
        {
            (float Rate, double Score) best = (options.LearningRateGrid[0], double.NegativeInfinity);
            foreach (float rate in options.LearningRateGrid)
            {
                double score = Score(features, rate);
                if (score > best.Score)
                {
                    best = (rate, score);
                }
            }

            return best;
        }

        /// <summary>Mean subset accuracy of ScoringNetworks networks trained on the examples with <paramref name="rate"/> at every step.</summary>
        public double Score(float[] features, float rate)
        {
            DistilledDataset dataset = Dataset(features, train, options, rate);
            double total = 0;
            for (int i = 0; i < options.ScoringNetworks; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                float[] weights = Evaluation.Train(network, dataset, initialWeights(i));
                total += weights.All(float.IsFinite) ? Evaluation.Accuracy(network, weights, Subset) : 0; // a diverged run counts as wrong everywhere
            }

            return total / options.ScoringNetworks;
        }

        private LabeledExamples DrawSubset()
        {
            if (options.ScoringSubsetSize >= train.Count)
            {
                return train;
            }

            int[] indices = Enumerable.Range(0, train.Count).ToArray();
            Seeds.Random(options.Seed, Seeds.Stream.Baseline, SubsetIndex).Shuffle(indices);
            var (features, labels) = train.Gather(indices.AsSpan(0, options.ScoringSubsetSize));
            return new LabeledExamples(features, labels, train.ExampleShape, train.ClassCount);
        }
    }
}
