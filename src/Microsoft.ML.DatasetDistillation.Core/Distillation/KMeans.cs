using System.Numerics.Tensors;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>The outcome of <see cref="KMeans.Cluster"/>.</summary>
/// <param name="Centroids">The k centroids, one after another, [k, dimension].</param>
/// <param name="Assignments">For each clustered row, the index of its nearest centroid.</param>
/// <param name="Iterations">Lloyd iterations run (assignment + update each).</param>
/// <param name="Converged">True when the last iteration changed no assignment; false when the cap stopped it.</param>
internal sealed record KMeansResult(float[] Centroids, int[] Assignments, int Iterations, bool Converged);

/// <summary>
/// Lloyd's k-means with k-means++ seeding (Arthur and Vassilvitskii, 2007), for a few thousand rows of a few hundred
/// values. The rows are read in place (no copy of the data) and an iteration allocates nothing. Hamerly's bounds
/// (2010) skip the distances that cannot change an assignment, so the result is Lloyd's while most rows cost O(1)
/// once the clusters settle; the distances that are needed are computed with <see cref="TensorPrimitives"/>.
/// </summary>
internal static class KMeans
{
    /// <summary>
    /// Clusters the rows <paramref name="rows"/> of <paramref name="data"/> (row i is data[i·dimension … (i+1)·dimension))
    /// into <paramref name="k"/> clusters. Every random choice comes from <paramref name="random"/>, so the result is a
    /// function of its state. Iterates until no assignment changes or <paramref name="maxIterations"/> assignment passes.
    /// </summary>
    public static KMeansResult Cluster(ReadOnlySpan<float> data, int dimension, ReadOnlySpan<int> rows, int k, int maxIterations, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        ArgumentNullException.ThrowIfNull(random);
        int n = rows.Length;
        if (n < k)
        {
            throw new ArgumentException($"k-means with {k} clusters needs at least {k} rows, but got {n}.", nameof(rows));
        }

        float[] centroids = SeedPlusPlus(data, dimension, rows, k, random);
        var previous = new float[k * dimension];
        var assignments = new int[n];
        var upper = new float[n];   // ≥ the distance of row i to its centroid
        var lower = new float[n];   // ≤ the distance of row i to every other centroid
        var sums = new double[k * dimension]; // per cluster, the sum of its rows (in double: updated row by row as rows move)
        var counts = new int[k];
        var shifts = new float[k];
        var halfGaps = new float[k]; // half the distance from each centroid to the nearest other one

        // First pass: every distance.
        for (int i = 0; i < n; i++)
        {
            (assignments[i], upper[i], lower[i]) = Nearest(Row(data, dimension, rows[i]), centroids, dimension, k, -1, float.PositiveInfinity);
            Add(sums, counts, Row(data, dimension, rows[i]), assignments[i], dimension, +1);
        }

        for (int iteration = 2; iteration <= maxIterations; iteration++)
        {
            // Update: each centroid moves to the mean of its rows; the bounds loosen by how far the centroids moved.
            centroids.CopyTo(previous, 0);
            FillEmptyClusters(data, dimension, rows, k, centroids, assignments, upper, lower, sums, counts);
            for (int j = 0; j < k; j++)
            {
                Span<float> centroid = centroids.AsSpan(j * dimension, dimension);
                ReadOnlySpan<double> sum = sums.AsSpan(j * dimension, dimension);
                for (int e = 0; e < dimension; e++)
                {
                    centroid[e] = (float)(sum[e] / counts[j]);
                }

                shifts[j] = TensorPrimitives.Distance(previous.AsSpan(j * dimension, dimension), centroid);
            }

            int farthest = TensorPrimitives.IndexOfMax(shifts);
            float largest = shifts[farthest], secondLargest = 0;
            for (int j = 0; j < k; j++)
            {
                secondLargest = j == farthest ? secondLargest : MathF.Max(secondLargest, shifts[j]);
            }

            for (int i = 0; i < n; i++)
            {
                upper[i] += shifts[assignments[i]];
                lower[i] -= assignments[i] == farthest ? secondLargest : largest;
            }

            for (int j = 0; j < k; j++)
            {
                float gap = float.PositiveInfinity;
                for (int other = 0; other < k; other++)
                {
                    gap = other == j ? gap : MathF.Min(gap, TensorPrimitives.Distance(centroids.AsSpan(j * dimension, dimension), centroids.AsSpan(other * dimension, dimension)));
                }

                halfGaps[j] = gap / 2;
            }

            // Assignment: a row whose bounds show that no other centroid can be nearer keeps its cluster unexamined.
            bool changed = false;
            for (int i = 0; i < n; i++)
            {
                int current = assignments[i];
                float bound = MathF.Max(halfGaps[current], lower[i]);
                if (upper[i] <= bound)
                {
                    continue;
                }

                ReadOnlySpan<float> x = Row(data, dimension, rows[i]);
                upper[i] = TensorPrimitives.Distance(x, centroids.AsSpan(current * dimension, dimension));
                if (upper[i] <= bound)
                {
                    continue;
                }

                (int best, upper[i], lower[i]) = Nearest(x, centroids, dimension, k, current, upper[i]);
                if (best != current)
                {
                    Add(sums, counts, x, current, dimension, -1);
                    Add(sums, counts, x, best, dimension, +1);
                    assignments[i] = best;
                    changed = true;
                }
            }

            if (!changed)
            {
                return new KMeansResult(centroids, assignments, iteration, Converged: true);
            }
        }

        return new KMeansResult(centroids, assignments, maxIterations, Converged: false);
    }

    /// <summary>
    /// The nearest centroid, its distance and the distance to the second nearest. The row's current cluster
    /// <paramref name="current"/> (−1 for none), at <paramref name="currentDistance"/>, wins ties, then the lowest index.
    /// </summary>
    private static (int Best, float Distance, float Second) Nearest(ReadOnlySpan<float> x, float[] centroids, int dimension, int k, int current, float currentDistance)
    {
        int best = Math.Max(current, 0);
        float bestDistance = current >= 0 ? currentDistance : float.PositiveInfinity, second = float.PositiveInfinity;
        for (int j = 0; j < k; j++)
        {
            if (j == current)
            {
                continue;
            }

            float distance = TensorPrimitives.Distance(x, centroids.AsSpan(j * dimension, dimension));
            if (distance < bestDistance)
            {
                (second, bestDistance, best) = (bestDistance, distance, j);
            }
            else if (distance < second)
            {
                second = distance;
            }
        }

        return (best, bestDistance, second);
    }

    /// <summary>An empty cluster restarts at the row farthest from its centroid, which leaves its old cluster for it.</summary>
    private static void FillEmptyClusters(
        ReadOnlySpan<float> data, int dimension, ReadOnlySpan<int> rows, int k, float[] centroids, int[] assignments, float[] upper, float[] lower, double[] sums, int[] counts)
    {
        for (int j = 0; j < k; j++)
        {
            if (counts[j] > 0)
            {
                continue;
            }

            int farthest = -1;
            float farthestDistance = -1;
            for (int i = 0; i < rows.Length; i++)
            {
                upper[i] = TensorPrimitives.Distance(Row(data, dimension, rows[i]), centroids.AsSpan(assignments[i] * dimension, dimension));
                if (upper[i] > farthestDistance && counts[assignments[i]] > 1)
                {
                    (farthest, farthestDistance) = (i, upper[i]);
                }
            }

            ReadOnlySpan<float> x = Row(data, dimension, rows[farthest]);
            Add(sums, counts, x, assignments[farthest], dimension, -1);
            Add(sums, counts, x, j, dimension, +1);
            assignments[farthest] = j;
            upper[farthest] = 0; // the row is its new cluster's only member, so will be its centroid
            lower[farthest] = 0;
        }
    }

    private static void Add(double[] sums, int[] counts, ReadOnlySpan<float> x, int cluster, int dimension, int sign)
    {
        Span<double> sum = sums.AsSpan(cluster * dimension, dimension);
        for (int e = 0; e < dimension; e++)
        {
            sum[e] += sign * (double)x[e];
        }

        counts[cluster] += sign;
    }

    /// <summary>k-means++: the first centre uniformly, each next one a row drawn with probability ∝ D(x)², its squared distance to the nearest centre so far.</summary>
    private static float[] SeedPlusPlus(ReadOnlySpan<float> data, int dimension, ReadOnlySpan<int> rows, int k, Random random)
    {
        int n = rows.Length;
        var centroids = new float[k * dimension];
        var nearest = new double[n];
        Array.Fill(nearest, double.PositiveInfinity);
        int chosen = random.Next(n);
        for (int j = 0; ; j++)
        {
            ReadOnlySpan<float> centre = Row(data, dimension, rows[chosen]);
            centre.CopyTo(centroids.AsSpan(j * dimension));
            if (j == k - 1)
            {
                return centroids;
            }

            double total = 0;
            for (int i = 0; i < n; i++)
            {
                float distance = TensorPrimitives.Distance(Row(data, dimension, rows[i]), centre);
                nearest[i] = Math.Min(nearest[i], (double)distance * distance);
                total += nearest[i];
            }

            chosen = total > 0 ? Draw(nearest, total, random) : DistinctFallback(j, n);
        }
    }

    /// <summary>An index drawn with probability proportional to <paramref name="weights"/>.</summary>
    private static int Draw(double[] weights, double total, Random random)
    {
        double target = random.NextDouble() * total;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                last = i;
                target -= weights[i];
                if (target < 0)
                {
                    return i;
                }
            }
        }

        return last; // rounding left a sliver: the last row with weight
    }

    /// <summary>When every row already coincides with a centre (fewer distinct rows than k), duplicates are unavoidable: take rows in turn.</summary>
    private static int DistinctFallback(int centresSoFar, int n) => (centresSoFar + 1) % n;

    private static ReadOnlySpan<float> Row(ReadOnlySpan<float> data, int dimension, int row) => data.Slice(row * dimension, dimension);
}
