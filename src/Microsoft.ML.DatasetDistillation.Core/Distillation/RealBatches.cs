namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// The real batches of an outer loop: the data is reshuffled every epoch and cut into batches, the short last
/// batch kept. Batch i is a pure function of (seed, i), so a resumed run sees the same batches.
/// </summary>
internal sealed class RealBatches(int count, int batchSize, int seed)
{
    private int cachedEpoch = -1;
    private int[] permutation = [];

    public int PerEpoch { get; } = (count + batchSize - 1) / batchSize;

    /// <summary>The epoch of batch <paramref name="iteration"/> and the indices of its examples.</summary>
    public (int Epoch, int[] Indices) Batch(int iteration)
    {
        int epoch = iteration / PerEpoch, position = iteration % PerEpoch;
        if (epoch != cachedEpoch)
        {
            permutation = Enumerable.Range(0, count).ToArray();
            Seeds.Random(seed, Seeds.Stream.RealBatches, epoch).Shuffle(permutation);
            cachedEpoch = epoch;
        }

        int start = position * batchSize;
        return (epoch, permutation[start..Math.Min(count, start + batchSize)]);
    }
}
