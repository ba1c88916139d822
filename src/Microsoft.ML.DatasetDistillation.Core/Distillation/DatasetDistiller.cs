using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>Progress of a distillation run, reported once per outer iteration.</summary>
/// <param name="Iteration">Iterations finished so far.</param>
/// <param name="TotalIterations">Iterations the run will take.</param>
/// <param name="Loss">The method's loss at this iteration: the paper's outer loss L(w_T) on the real batch, averaged over
/// networks; for the matching methods their loss summed over classes, averaged over the iteration's updates.</param>
/// <param name="LearningRate">The learning rate of the synthetic set's optimiser at this iteration.</param>
public readonly record struct DistillationProgress(int Iteration, int TotalIterations, double Loss, double LearningRate);

/// <summary>
/// The loss or its gradient stopped being a finite number: the run diverged. The distiller is left as it was
/// before the failed iteration, so its snapshot and a checkpoint saved now are still usable.
/// </summary>
public sealed class DistillationDivergedException(int iteration, string message) : InvalidOperationException(message)
{
    /// <summary>The 1-based outer iteration that diverged.</summary>
    public int Iteration { get; } = iteration;
}

/// <summary>
/// Learns a small synthetic training set from real data by one of several methods (<see cref="DistillationAlgorithm"/>).
/// Each method is an objective in its own file that reads like its paper: the paper's unrolled distillation
/// (<see cref="DistillationOptions"/>), gradient matching and DSA (<see cref="GradientMatchingOptions"/>), distribution
/// matching (<see cref="DistributionMatchingOptions"/>), trajectory matching (<see cref="TrajectoryMatchingOptions"/>). This class is the outer loop they share: the optimiser step on
/// the synthetic set, progress, cancellation, the divergence check, checkpoints and keeping the best snapshot.
/// </summary>
public sealed partial class DatasetDistiller
{
    private readonly DistillationObjective objective;
    private readonly IStatefulOptimizer optimizer;
    private readonly LoopSettings loop;

    /// <summary>Prepares a run of the paper's method: checks the request against the data and draws the initial distilled examples.</summary>
    public DatasetDistiller(Network network, LabeledExamples real, DistillationOptions options)
        : this(Checked(network, real, options, () => new UnrolledObjective(network, real, options)))
    {
    }

    /// <summary>
    /// Prepares a run of gradient matching (DC; with <see cref="MatchingOptions.Augmentation"/>, DSA): checks the
    /// request against the data and draws the initial synthetic examples.
    /// </summary>
    public DatasetDistiller(Network network, LabeledExamples real, GradientMatchingOptions options)
        : this(Checked(network, real, options, () => new GradientMatchingObjective(network, real, options)))
    {
    }

    /// <summary>Prepares a run of distribution matching (DM): checks the request against the data and draws the initial synthetic examples.</summary>
    public DatasetDistiller(Network network, LabeledExamples real, DistributionMatchingOptions options)
        : this(Checked(network, real, options, () => new DistributionMatchingObjective(network, real, options)))
    {
    }

    /// <summary>
    /// Prepares a run of matching training trajectories (MTT) against <paramref name="experts"/>, trained on the same
    /// data for the same network (<see cref="ExpertTrajectories.Train"/>): checks the request and draws the initial synthetic examples.
    /// </summary>
    public DatasetDistiller(Network network, LabeledExamples real, TrajectoryMatchingOptions options, ExpertTrajectories experts)
        : this(Checked(network, real, options, () => new TrajectoryMatchingObjective(network, real, options, experts ?? throw new ArgumentNullException(nameof(experts)))))
    {
    }

    private DatasetDistiller(DistillationObjective objective)
    {
        this.objective = objective;
        optimizer = objective.CreateOptimizer();
        loop = objective.Loop;
    }

    /// <summary>The method this distiller runs.</summary>
    public DistillationAlgorithm Algorithm => objective.Algorithm;

    /// <summary>Outer iterations finished so far.</summary>
    public int Iteration { get; private set; }

    /// <summary>The one reused initialisation in the paper's fixed mode, else null.</summary>
    public float[]? FixedWeights => objective.FixedWeights;

    /// <summary>The learning rates of the result: the paper's learned η_t, or the matching methods' training schedule.</summary>
    public float[] LearningRates => objective is UnrolledObjective unrolled ? unrolled.LearningRates : objective.Snapshot().LearningRates;

    /// <summary>The method's objective (tests reach its gradients through it).</summary>
    internal DistillationObjective Objective => objective;

    /// <summary>The learned leaves in the order of the gradients and the checkpoint.</summary>
    internal Tensor[] Parameters => objective.Parameters;

    /// <summary>
    /// Runs the remaining iterations and returns the distilled data: the last snapshot, or with a keep-best interval
    /// (<see cref="DistillationOptions.KeepBestEvery"/>) the best-scoring one. On cancellation it stops between iterations,
    /// or within one at its next update of the synthetic set (see <see cref="Step"/>), and throws.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="DistillationDivergedException">An iteration's loss or gradient was not finite.</exception>
    public DistilledDataset Run(IProgress<DistillationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using TensorThreads.Scope threads = TensorThreads.Limit(loop.Threads);
        while (Iteration < loop.Iterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double loss = Step(cancellationToken);
            if (ScoresNow)
            {
                KeepIfBest();
            }

            progress?.Report(new DistillationProgress(Iteration, loop.Iterations, loss, optimizer.LearningRate));
        }

        return loop.KeepBestEvery == 0 ? Snapshot() : best ?? KeepIfBest();
    }

    /// <summary>
    /// One outer iteration of the method: its updates of the synthetic set. Returns the iteration's loss. An iteration of
    /// several updates (DC and DSA: one per outer-loop step, minutes apart on a CPU at 10 examples per class) stops at the
    /// next update once <paramref name="cancellationToken"/> is cancelled; an iteration of one update finishes.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token was cancelled during the iteration; the synthetic set and the
    /// optimiser are left as they were before it, and the same iteration runs again from the start (its random draws are
    /// its own), so a run resumed from a checkpoint saved now gives the result of an uninterrupted one.</exception>
    /// <exception cref="DistillationDivergedException">A loss or a gradient is not finite; the synthetic set and the
    /// optimiser are left as they were before the iteration.</exception>
    public double Step(CancellationToken cancellationToken = default)
    {
        using TensorThreads.Scope threads = TensorThreads.Limit(loop.Threads);
        // A method may update the synthetic set several times per iteration; a divergence undoes the earlier updates.
        float[][] values = objective.Parameters.Select(p => p.ToArray()).ToArray();
        IReadOnlyList<float[]> state = optimizer.State;
        int steps = optimizer.StepCount;
        double total = 0;
        int updates = 0;
        try
        {
            objective.Iterate(Iteration, (loss, gradients) =>
            {
                if (updates > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                CheckFinite(loss, gradients);
                using (Autograd.NoGrad())
                {
                    optimizer.LearningRate = objective.LearningRateAt(Iteration);
                    optimizer.Step(gradients);
                }

                total += loss;
                updates++;
            });
        }
        catch (Exception e) when (e is DistillationDivergedException or OperationCanceledException)
        {
            Tensor[] leaves = objective.Parameters;
            for (int i = 0; i < leaves.Length; i++)
            {
                leaves[i].CopyFrom(values[i]);
            }

            optimizer.Restore(state, steps);
            throw;
        }

        Iteration++;
        return updates == 1 ? total : total / updates;
    }

    /// <summary>The distilled data as it stands now.</summary>
    public DistilledDataset Snapshot() => objective.Snapshot();

    /// <summary>Refuses a network that does not fit the data, or data with fewer than two classes.</summary>
    internal static void CheckNetworkFitsData(Network network, LabeledExamples real)
    {
        if (real.Count == 0)
        {
            throw new ArgumentException("The real data is empty: there is nothing to distil.", nameof(real));
        }

        if (real.ClassCount < 2 || real.ClassCounts().Count(c => c > 0) < 2)
        {
            throw new ArgumentException($"Distillation needs examples of at least 2 classes, but the data has {real.ClassCounts().Count(c => c > 0)}.", nameof(real));
        }

        if (!network.ExampleShape.SequenceEqual(real.ExampleShape) || network.ClassCount != real.ClassCount)
        {
            throw new ArgumentException(
                $"The network expects examples [{string.Join(", ", network.ExampleShape)}] in {network.ClassCount} classes, " +
                $"but the data has [{string.Join(", ", real.ExampleShape)}] in {real.ClassCount}.", nameof(network));
        }
    }

    private void CheckFinite(double loss, Tensor[] gradients)
    {
        if (double.IsFinite(loss) && gradients.All(g => g.IsAllFinite()))
        {
            return;
        }

        string what = double.IsFinite(loss) ? $"the {objective.GradientName} is not finite" : $"the {(objective is UnrolledObjective ? "outer loss" : "loss")} is {loss}";
        throw new DistillationDivergedException(Iteration + 1,
            $"Distillation diverged at iteration {Iteration + 1}: {what}. The distilled data is left as it was after iteration {Iteration}; {objective.DivergenceAdvice}.");
    }

    private static DistillationObjective Checked(Network network, LabeledExamples real, object options, Func<DistillationObjective> create)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(options);
        return create();
    }
}
