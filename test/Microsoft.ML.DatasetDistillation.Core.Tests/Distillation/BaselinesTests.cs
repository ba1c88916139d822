using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

[TestClass]
public sealed class BaselinesTests
{
    private static readonly int[] Features = [8];

    [TestMethod]
    [DataRow(BaselineKind.RandomReal)]
    [DataRow(BaselineKind.OptimizedReal)]
    [DataRow(BaselineKind.KMeans)]
    [DataRow(BaselineKind.AverageReal)]
    public void EveryBaselineIsLaidOutStepByStepThenClassByClass(BaselineKind kind)
    {
        LabeledExamples train = TestData.Blobs(90, Features, 3, seed: 1);
        var options = new BaselineOptions { ExamplesPerClassPerStep = 2, Steps = 3, Epochs = 2, LearningRate = 0.05f, Candidates = 3, Seed = 5 };

        DistilledDataset dataset = Create(kind, train, options);

        Assert.AreEqual((3, 2), (dataset.Steps, dataset.Epochs));
        Assert.AreEqual(3 * 3 * 2, dataset.Examples.Count);
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2 }, dataset.Examples.Labels);
        CollectionAssert.AreEqual(Features, dataset.Examples.ExampleShape);
        CollectionAssert.AreEqual(Enumerable.Repeat(0.05f, 6).ToArray(), dataset.LearningRates);
        Assert.IsTrue(dataset.Examples.Features.All(float.IsFinite));
    }

    [TestMethod]
    public void AverageRealIsTheClassMeanInEverySlot()
    {
        LabeledExamples train = TestData.Blobs(61, Features, 3, seed: 2);
        var options = new BaselineOptions { ExamplesPerClassPerStep = 2, Steps = 2, Epochs = 1, LearningRate = 0.1f };

        DistilledDataset dataset = Create(BaselineKind.AverageReal, train, options);

        for (int c = 0; c < 3; c++)
        {
            int[] members = Enumerable.Range(0, train.Count).Where(i => train.Labels[i] == c).ToArray();
            float[] mean = Enumerable.Range(0, 8).Select(e => (float)members.Average(i => (double)train.Example(i)[e])).ToArray();
            for (int i = 0; i < dataset.Examples.Count; i++)
            {
                if (dataset.Examples.Labels[i] == c)
                {
                    AssertClose(mean, dataset.Examples.Example(i), 1e-6f);
                }
            }
        }
    }

    [TestMethod]
    public void KMeansRecoversWellSeparatedClusterCentresAndIsDeterministic()
    {
        // Each class is three tight clusters far apart; k = 1 per step × 3 steps = 3 centroids per class.
        (LabeledExamples train, float[][][] centres) = Clusters(classes: 2, clustersPerClass: 3, perCluster: 40, dimension: 6, seed: 3);
        var options = new BaselineOptions { ExamplesPerClassPerStep = 1, Steps = 3, Epochs = 1, LearningRate = 0.1f, Seed = 7 };

        DistilledDataset first = Create(BaselineKind.KMeans, train, options);
        DistilledDataset again = Create(BaselineKind.KMeans, train, options);

        CollectionAssert.AreEqual(first.Examples.Features, again.Examples.Features);
        for (int c = 0; c < 2; c++)
        {
            float[][] centroids = Enumerable.Range(0, first.Examples.Count).Where(i => first.Examples.Labels[i] == c)
                .Select(i => first.Examples.Example(i).ToArray()).ToArray();
            Assert.HasCount(3, centroids);
            foreach (float[] centre in centres[c])
            {
                double nearest = centroids.Min(x => Distance(x, centre));
                Assert.IsLessThan(0.1, nearest, $"class {c}: no centroid near the true centre [{string.Join(", ", centre)}]");
            }
        }
    }

    [TestMethod]
    public void KMeansStopsWhenAssignmentsSettleAndFillsEveryCluster()
    {
        (LabeledExamples train, _) = Clusters(classes: 2, clustersPerClass: 4, perCluster: 25, dimension: 5, seed: 4);
        int[] rows = Enumerable.Range(0, train.Count).Where(i => train.Labels[i] == 0).ToArray();

        KMeansResult result = KMeans.Cluster(train.Features, train.ExampleSize, rows, 4, 50, new Random(1));

        Assert.IsTrue(result.Converged);
        Assert.IsLessThan(50, result.Iterations);
        CollectionAssert.AreEquivalent(new[] { 25, 25, 25, 25 }, result.Assignments.GroupBy(a => a).Select(g => g.Count()).ToArray());
    }

    [TestMethod]
    public void KMeansEndsAtAFixedPointOfLloydsIteration()
    {
        // Overlapping data takes many iterations, so the bounds that skip distances are exercised.
        LabeledExamples data = Noisy(TestData.Blobs(400, [10], 2, seed: 11), seed: 11);
        int[] rows = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == 1).ToArray();
        const int k = 7;

        KMeansResult result = KMeans.Cluster(data.Features, 10, rows, k, 200, new Random(3));

        Assert.IsTrue(result.Converged);
        Assert.IsGreaterThan(3, result.Iterations);
        float[][] centroids = Enumerable.Range(0, k).Select(j => result.Centroids[(j * 10)..((j + 1) * 10)]).ToArray();
        for (int j = 0; j < k; j++)
        {
            int[] members = Enumerable.Range(0, rows.Length).Where(i => result.Assignments[i] == j).Select(i => rows[i]).ToArray();
            Assert.IsNotEmpty(members, $"cluster {j} is empty");
            float[] mean = Enumerable.Range(0, 10).Select(e => (float)members.Average(r => (double)data.Example(r)[e])).ToArray();
            AssertClose(mean, centroids[j], 1e-5f);
        }

        for (int i = 0; i < rows.Length; i++)
        {
            float[] x = data.Example(rows[i]).ToArray();
            double own = Distance(x, centroids[result.Assignments[i]]);
            Assert.IsLessThanOrEqualTo(1e-5, own - centroids.Min(c => Distance(x, c)), $"row {rows[i]} is not with its nearest centroid");
        }
    }

    [TestMethod]
    public void RandomRealExamplesAreDistinctRowsOfTheirClass()
    {
        LabeledExamples train = TestData.Blobs(60, Features, 3, seed: 5);
        var options = new BaselineOptions { ExamplesPerClassPerStep = 2, Steps = 4, Epochs = 1, LearningRate = 0.1f, Seed = 9 };

        DistilledDataset dataset = Create(BaselineKind.RandomReal, train, options);

        var used = new HashSet<int>();
        for (int i = 0; i < dataset.Examples.Count; i++)
        {
            int row = Enumerable.Range(0, train.Count).Single(r => train.Example(r).SequenceEqual(dataset.Examples.Example(i)));
            Assert.AreEqual(dataset.Examples.Labels[i], train.Labels[row], $"example {i} is row {row}, of another class");
            Assert.IsTrue(used.Add(row), $"row {row} is used twice");
        }

        DistilledDataset otherSeed = Create(BaselineKind.RandomReal, train, new BaselineOptions { ExamplesPerClassPerStep = 2, Steps = 4, Epochs = 1, LearningRate = 0.1f, Seed = 10 });
        CollectionAssert.AreNotEqual(dataset.Examples.Features, otherSeed.Examples.Features);
    }

    [TestMethod]
    [DataRow(0.3f)]
    [DataRow(null)]
    public void OptimizedRealScoresAtLeastAsWellAsTheFirstCandidate(float? rate)
    {
        // Noisy, overlapping classes so that which real examples are drawn matters.
        LabeledExamples train = Noisy(TestData.Blobs(300, Features, 3, seed: 6), seed: 6);
        var network = new Mlp(8, 3, 8);
        var options = new BaselineOptions
        {
            Steps = 2, Epochs = 2, LearningRate = rate, Candidates = 6, ScoringNetworks = 2, ScoringSubsetSize = 200, Seed = 3,
            LearningRateGrid = [0.03f, 0.3f, 1f],
        };
        Func<int, float[]> inits = Baselines.RandomInitializations(network, InitScheme.XavierNormal, 3);

        DistilledDataset random = Baselines.Create(BaselineKind.RandomReal, network, train, options, inits);
        DistilledDataset optimized = Baselines.Create(BaselineKind.OptimizedReal, network, train, options, inits);

        double randomScore = Baselines.Score(network, train, options, inits, random);
        double optimizedScore = Baselines.Score(network, train, options, inits, optimized);
        Assert.IsGreaterThanOrEqualTo(randomScore, optimizedScore);
        if (rate is not null)
        {
            Assert.AreEqual(rate.Value, optimized.LearningRates[0]);
        }
    }

    [TestMethod]
    public void ChosenRateIsFromTheGridAndTrainsWellAboveChance()
    {
        LabeledExamples all = TestData.Blobs(600, Features, 3, seed: 7);
        LabeledExamples train = Take(all, i => i % 2 == 0), test = Take(all, i => i % 2 == 1);
        var network = new Mlp(8, 3, 16);
        float[] grid = [0.001f, 0.01f, 0.1f, 1f];
        var options = new BaselineOptions { Steps = 3, Epochs = 2, ScoringNetworks = 2, LearningRateGrid = grid, Seed = 2 };

        DistilledDataset dataset = Baselines.Create(BaselineKind.AverageReal, network, train, options, Baselines.RandomInitializations(network, InitScheme.XavierNormal, 2));

        CollectionAssert.Contains(grid, dataset.LearningRates[0]);
        Assert.IsTrue(dataset.LearningRates.All(r => r == dataset.LearningRates[0]));
        AccuracySummary accuracy = Evaluation.Evaluate(network, dataset, test, Evaluation.RandomInitializations(network, InitScheme.XavierNormal, 1), 5);
        Assert.IsGreaterThan(0.8, accuracy.Mean, accuracy.ToString());
    }

    [TestMethod]
    [DataRow(BaselineKind.RandomReal)]
    [DataRow(BaselineKind.OptimizedReal)]
    [DataRow(BaselineKind.KMeans)]
    public void AskingForMoreExamplesThanAClassHasNamesTheClassAndCounts(BaselineKind kind)
    {
        // 31 examples in 3 classes: classes 0 has 11, classes 1 and 2 have 10.
        LabeledExamples train = TestData.Blobs(31, Features, 3, seed: 8);
        var options = new BaselineOptions { ExamplesPerClassPerStep = 2, Steps = 6, LearningRate = 0.1f };

        var error = Assert.ThrowsExactly<ArgumentException>(() => Create(kind, train, options));

        StringAssert.Contains(error.Message, "12 distinct examples of every class (2 per class per step × 6 steps)");
        StringAssert.Contains(error.Message, "class 1 has only 10");
    }

    [TestMethod]
    public void AverageRealNeedsAnExampleOfEveryClass()
    {
        LabeledExamples blobs = TestData.Blobs(30, Features, 3, seed: 9);
        LabeledExamples train = Take(blobs, i => blobs.Labels[i] != 2);

        var error = Assert.ThrowsExactly<ArgumentException>(() => Create(BaselineKind.AverageReal, train, new BaselineOptions { LearningRate = 0.1f }));

        StringAssert.Contains(error.Message, "class 2 has only 0");
    }

    [TestMethod]
    public void InvalidOptionsAreRejected()
    {
        LabeledExamples train = TestData.Blobs(30, Features, 3, seed: 9);

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Create(BaselineKind.RandomReal, train, new BaselineOptions { Steps = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Create(BaselineKind.RandomReal, train, new BaselineOptions { LearningRate = -1f }));
        Assert.ThrowsExactly<ArgumentException>(() => Create(BaselineKind.RandomReal, train, new BaselineOptions { LearningRateGrid = [] }));
        Assert.ThrowsExactly<ArgumentException>(() => Baselines.Create(BaselineKind.RandomReal, new Mlp(5, 3), train, new BaselineOptions(), _ => []));
    }

    [TestMethod]
    public void TuningInitializationsDifferFromTheEvaluationOnes()
    {
        var network = new Mlp(8, 3, 4);

        float[] tuning = Baselines.RandomInitializations(network, InitScheme.XavierNormal, 1)(0);
        float[] evaluation = Evaluation.RandomInitializations(network, InitScheme.XavierNormal, 1)(0);

        CollectionAssert.AreNotEqual(evaluation, tuning);
        CollectionAssert.AreEqual(tuning, Baselines.RandomInitializations(network, InitScheme.XavierNormal, 1)(0));
    }

    private static DistilledDataset Create(BaselineKind kind, LabeledExamples train, BaselineOptions options)
    {
        var network = new Mlp(train.ExampleSize, train.ClassCount, 4);
        return Baselines.Create(kind, network, train, options, Baselines.RandomInitializations(network, InitScheme.XavierNormal, 0));
    }

    /// <summary>Class c is <paramref name="clustersPerClass"/> clusters, each a centre far from the others with ±0.1 uniform noise.</summary>
    private static (LabeledExamples Data, float[][][] Centres) Clusters(int classes, int clustersPerClass, int perCluster, int dimension, int seed)
    {
        var random = new Random(seed);
        float[][][] centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, clustersPerClass)
            .Select(_ => Enumerable.Range(0, dimension).Select(_ => 20f * random.NextSingle() - 10f).ToArray()).ToArray()).ToArray();
        int count = classes * clustersPerClass * perCluster;
        var features = new float[count * dimension];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            // Interleave classes and clusters so members of a cluster are not contiguous.
            int c = i % classes, cluster = i / classes % clustersPerClass;
            labels[i] = c;
            for (int e = 0; e < dimension; e++)
            {
                features[i * dimension + e] = centres[c][cluster][e] + 0.2f * (random.NextSingle() - 0.5f);
            }
        }

        return (new LabeledExamples(features, labels, [dimension], classes), centres);
    }

    private static LabeledExamples Noisy(LabeledExamples data, int seed)
    {
        var random = new Random(seed);
        float[] features = data.Features.Select(x => x + 1.5f * (random.NextSingle() - 0.5f)).ToArray();
        return new LabeledExamples(features, data.Labels, data.ExampleShape, data.ClassCount);
    }

    private static LabeledExamples Take(LabeledExamples data, Func<int, bool> keep)
    {
        int[] indices = Enumerable.Range(0, data.Count).Where(keep).ToArray();
        var (features, labels) = data.Gather(indices);
        return new LabeledExamples(features, labels, data.ExampleShape, data.ClassCount);
    }

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.AreEqual(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], tolerance, $"element {i}");
        }
    }
}
