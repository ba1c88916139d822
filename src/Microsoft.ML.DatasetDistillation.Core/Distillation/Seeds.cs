namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// Independent random streams derived from one seed: each use (data, batches, initialisations) and each index
/// gets its own generator, so results do not depend on the order in which draws happen and runs can resume.
/// </summary>
internal static class Seeds
{
    public enum Stream
    {
        DistilledData = 1,
        RealBatches = 2,
        Initialization = 3,
        Pretrained = 4,
        Evaluation = 5,
        Baseline = 6,
        KeepBest = 7,
        DistributionMatching = 8,
        MinibatchTraining = 9,
        GradientMatching = 10,
        ExpertInitialization = 11,
        ExpertTraining = 12,
        TrajectoryMatching = 13,
    }

    public static Random Random(int seed, Stream stream, int index)
    {
        // SplitMix64 finaliser over the three parts: nearby inputs give unrelated seeds.
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)stream * 0xBF58476D1CE4E5B9UL + (ulong)(uint)index * 0x94D049BB133111EBUL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }
}
