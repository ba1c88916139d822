using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>The distillation methods <see cref="DatasetDistiller"/> runs, one objective each.</summary>
public enum DistillationAlgorithm
{
    /// <summary>Wang et al. 2018: unrolled training steps on the synthetic set, scored on real data (<see cref="DistillationOptions"/>).</summary>
    Unrolled,

    /// <summary>
    /// Zhao, Mopuri and Bilen 2021 (DC): the synthetic set's weight gradients match the real data's, class by class
    /// (<see cref="GradientMatchingOptions"/>); with <see cref="MatchingOptions.Augmentation"/> it is DSA (Zhao and Bilen 2021).
    /// </summary>
    GradientMatching,

    /// <summary>Zhao and Bilen 2023 (DM): the synthetic set's mean embeddings match the real data's under random networks (<see cref="DistributionMatchingOptions"/>).</summary>
    DistributionMatching,

    /// <summary>
    /// Cazenavette et al. 2022 (MTT): steps on the synthetic set follow the parameter trajectories of experts trained on
    /// the real data (<see cref="TrajectoryMatchingOptions"/>, <see cref="ExpertTrajectories"/>).
    /// </summary>
    TrajectoryMatching,
}

/// <summary>
/// What one distillation method optimises, written once per method in its own file. <see cref="DatasetDistiller"/> owns
/// everything the methods share: the outer loop, the optimiser step, progress, cancellation, the divergence check,
/// checkpoints and keeping the best snapshot.
/// </summary>
internal abstract class DistillationObjective(Network network, LabeledExamples real)
{
    /// <summary>The network the synthetic set is distilled for.</summary>
    public Network Network { get; } = network;

    /// <summary>The real training examples.</summary>
    public LabeledExamples Real { get; } = real;

    /// <summary>Which method this is (checkpoints record it).</summary>
    public abstract DistillationAlgorithm Algorithm { get; }

    /// <summary>
    /// The learned leaves (synthetic examples, and whatever else the method learns) in a fixed order: the order of the
    /// gradients passed to the optimiser and of the values in a checkpoint.
    /// </summary>
    public abstract Tensor[] Parameters { get; }

    /// <summary>The settings of the shared loop.</summary>
    public abstract LoopSettings Loop { get; }

    /// <summary>Creates the optimiser of <see cref="Parameters"/>: the method's own (Adam for the paper, SGD with momentum for the matching methods).</summary>
    public abstract IStatefulOptimizer CreateOptimizer();

    /// <summary>The optimiser's step size at outer iteration <paramref name="iteration"/> (0-based).</summary>
    public abstract float LearningRateAt(int iteration);

    /// <summary>
    /// Outer iteration <paramref name="iteration"/> (0-based): draws what the method draws for it (from random streams
    /// indexed by the iteration, so a resumed run draws the same) and calls <paramref name="update"/> with the loss and
    /// its gradient with respect to <see cref="Parameters"/> for every update of the synthetic set it makes (most
    /// methods once; gradient matching once per outer step of the network).
    /// </summary>
    public abstract void Iterate(int iteration, Action<double, Tensor[]> update);

    /// <summary>The distilled data as it stands.</summary>
    public abstract DistilledDataset Snapshot();

    /// <summary>A snapshot with the given values, shaped as <see cref="Snapshot"/> shapes it (a kept snapshot read from a checkpoint).</summary>
    public abstract DistilledDataset SnapshotOf(float[] features, float[] learningRates, float[]? softLabels);

    /// <summary>
    /// The mean accuracy on <paramref name="examples"/> of the method's scoring networks trained on
    /// <paramref name="distilled"/> (how <see cref="LoopSettings.KeepBestEvery"/> ranks snapshots).
    /// </summary>
    public abstract double Score(DistilledDataset distilled, LabeledExamples examples);

    /// <summary>What the divergence message calls the gradient ("hypergradient", "gradient").</summary>
    public virtual string GradientName => "gradient";

    /// <summary>The settings to suggest when a run diverges, e.g. "try a lower LearningRate (now 0.01)".</summary>
    public abstract string DivergenceAdvice { get; }

    /// <summary>Everything a checkpoint is only valid for, by name (the iteration count may grow on resume).</summary>
    public abstract (string Name, double Value)[] Fingerprint();

    /// <summary>Inputs beyond the network's layout and the real examples that a checkpoint must match (pretrained weights).</summary>
    public virtual IEnumerable<float[]> CheckedInputs => [];

    /// <summary>The initialisation reused at every iteration in the paper's fixed mode, else null.</summary>
    public virtual float[]? FixedWeights => null;
}

/// <summary>The settings of <see cref="DatasetDistiller"/>'s loop that every method has.</summary>
/// <param name="Iterations">Outer iterations.</param>
/// <param name="KeepBestEvery">Iterations between scores of the snapshot (0: return the last).</param>
/// <param name="KeepBestExamples">Real training examples that snapshots are scored on.</param>
/// <param name="Seed">Seed of every random choice.</param>
/// <param name="Threads">Threads the run's ops may use (null: one per processor).</param>
internal readonly record struct LoopSettings(int Iterations, int KeepBestEvery, int KeepBestExamples, int Seed, int? Threads);
