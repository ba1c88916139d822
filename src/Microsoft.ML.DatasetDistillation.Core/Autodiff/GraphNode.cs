namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// Maps the gradients of an op's outputs (null where no gradient flowed) to the gradients of its inputs.
/// <paramref name="needed"/>[i] says whether input i's gradient is wanted; return null where it is not.
/// </summary>
internal delegate Tensor?[] BackwardRule(Tensor?[] outputGradients, bool[] needed);

/// <summary>One recorded op: its inputs and the rule that carries gradients back to them.</summary>
internal sealed class GraphNode(string name, Tensor[] inputs, int outputCount, BackwardRule backward)
{
    /// <summary>The op's name, for messages.</summary>
    public string Name { get; } = name;

    /// <summary>Every tensor input of the op, whether or not it requires gradients.</summary>
    public Tensor[] Inputs { get; } = inputs;

    /// <summary>How many tensors the op produced.</summary>
    public int OutputCount { get; } = outputCount;

    /// <summary>The vector-Jacobian product of the op.</summary>
    public BackwardRule Backward { get; } = backward;
}
