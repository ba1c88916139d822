using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Optimizers;

/// <summary>An optimiser whose state a checkpoint can hold, so that a run continues exactly (Adam, SGD with momentum).</summary>
internal interface IStatefulOptimizer
{
    /// <summary>The step size; schedules change it between steps.</summary>
    float LearningRate { get; set; }

    /// <summary>Steps taken so far.</summary>
    int StepCount { get; }

    /// <summary>The state buffers, kind after kind (e.g. Adam's first moments, then its second), each kind parameter by parameter.</summary>
    IReadOnlyList<float[]> State { get; }

    /// <summary>Restores buffers read from <see cref="State"/> and the <see cref="StepCount"/>.</summary>
    void Restore(IReadOnlyList<float[]> state, int stepCount);

    /// <summary>One update with the given gradients, in the order of the parameters.</summary>
    void Step(IReadOnlyList<Tensor> gradients);
}
