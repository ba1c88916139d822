namespace Microsoft.ML.DatasetDistillation.Autodiff;

/// <summary>
/// Reverse-mode automatic differentiation over the graphs that tensor ops record as they run (define-by-run).
/// </summary>
public static class Autograd
{
    [ThreadStatic]
    private static int pausedDepth;

    /// <summary>True when ops record graph nodes on this thread (the default).</summary>
    public static bool IsRecording => pausedDepth == 0;

    /// <summary>
    /// Stops recording on this thread until the returned scope is disposed: ops then run without building a graph,
    /// which is what inference and optimiser steps want.
    /// </summary>
    public static RecordingScope NoGrad() => new(pause: true);

    /// <summary>
    /// Gradients of the scalar <paramref name="output"/> with respect to <paramref name="inputs"/>.
    /// See <see cref="Grad(IReadOnlyList{Tensor}, IReadOnlyList{Tensor?}, IReadOnlyList{Tensor}, bool)"/>.
    /// </summary>
    public static Tensor[] Grad(Tensor output, IReadOnlyList<Tensor> inputs, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Length != 1)
        {
            throw new ArgumentException(
                $"Grad without an output gradient needs a scalar output, but the output has shape {Tensor.ShapeText(output.Shape)}.",
                nameof(output));
        }

        return Grad([output], [null], inputs, createGraph);
    }

    /// <summary>
    /// The vector-Jacobian product: Σ_k ⟨outputGradients[k], ∂outputs[k]/∂input⟩ for each input. A null output
    /// gradient stands for ones (allowed only for a single-element output). Inputs the outputs do not depend on get
    /// zeros. With <paramref name="createGraph"/> the backward pass is itself recorded, so its results can be
    /// differentiated again (Hessian-vector products and higher orders).
    /// </summary>
    public static Tensor[] Grad(
        IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?> outputGradients, IReadOnlyList<Tensor> inputs, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(outputGradients);
        ArgumentNullException.ThrowIfNull(inputs);
        if (outputs.Count != outputGradients.Count)
        {
            throw new ArgumentException($"{outputs.Count} outputs but {outputGradients.Count} output gradients.", nameof(outputGradients));
        }

        var targets = new Dictionary<Tensor, Tensor?>(ReferenceEqualityComparer.Instance);
        foreach (Tensor input in inputs)
        {
            if (!input.RequiresGrad)
            {
                throw new ArgumentException($"An input {input} does not require gradients; call RequireGrad() on it first.", nameof(inputs));
            }

            targets[input] = null;
        }

        using var scope = new RecordingScope(pause: !createGraph);
        List<GraphNode> order = TopologicalOrder(outputs, targets);
        var nodeGradients = new Dictionary<GraphNode, Tensor?[]>(ReferenceEqualityComparer.Instance);
        var leadsToTarget = new HashSet<GraphNode>(order, ReferenceEqualityComparer.Instance);

        for (int k = 0; k < outputs.Count; k++)
        {
            Tensor output = outputs[k];
            Tensor seed = outputGradients[k] ?? OnesFor(output);
            CheckSameShape(seed, output, "the output gradient");
            Deliver(output, seed, targets, nodeGradients, leadsToTarget);
        }

        // Reverse topological order: every node's output gradients are complete before its rule runs.
        for (int n = order.Count - 1; n >= 0; n--)
        {
            GraphNode node = order[n];
            if (!nodeGradients.Remove(node, out Tensor?[]? gradients))
            {
                continue;
            }

            var needed = new bool[node.Inputs.Length];
            for (int i = 0; i < needed.Length; i++)
            {
                Tensor input = node.Inputs[i];
                needed[i] = input.RequiresGrad
                    && (targets.ContainsKey(input) || (input.Producer is { } p && leadsToTarget.Contains(p)));
            }

            Tensor?[] inputGradients = node.Backward(gradients, needed);
            for (int i = 0; i < needed.Length; i++)
            {
                if (needed[i] && inputGradients[i] is { } g)
                {
                    CheckSameShape(g, node.Inputs[i], $"the gradient that {node.Name} gives input {i}");
                    Deliver(node.Inputs[i], g, targets, nodeGradients, leadsToTarget);
                }
            }
        }

        var result = new Tensor[inputs.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = targets[inputs[i]] ?? Tensor.Zeros(inputs[i].Shape);
        }

        return result;
    }

    private static void Deliver(
        Tensor tensor, Tensor gradient, Dictionary<Tensor, Tensor?> targets,
        Dictionary<GraphNode, Tensor?[]> nodeGradients, HashSet<GraphNode> leadsToTarget)
    {
        if (targets.TryGetValue(tensor, out Tensor? sum))
        {
            targets[tensor] = sum is null ? gradient : sum + gradient;
        }

        if (tensor.Producer is { } producer && leadsToTarget.Contains(producer))
        {
            if (!nodeGradients.TryGetValue(producer, out Tensor?[]? slots))
            {
                slots = new Tensor?[producer.OutputCount];
                nodeGradients[producer] = slots;
            }

            ref Tensor? slot = ref slots[tensor.ProducerOutput];
            slot = slot is null ? gradient : slot + gradient;
        }
    }

    /// <summary>
    /// The nodes reachable from the outputs that lead to a target, inputs before consumers. Iterative, because
    /// an unrolled optimisation can be thousands of ops deep.
    /// </summary>
    private static List<GraphNode> TopologicalOrder(IReadOnlyList<Tensor> outputs, Dictionary<Tensor, Tensor?> targets)
    {
        var order = new List<GraphNode>();
        var leads = new Dictionary<GraphNode, bool>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(GraphNode Node, int NextInput)>();
        foreach (Tensor output in outputs)
        {
            if (output.Producer is { } root && !leads.ContainsKey(root))
            {
                leads[root] = false;
                stack.Push((root, 0));
            }

            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Inputs.Length)
                {
                    stack.Push((node, next + 1));
                    Tensor input = node.Inputs[next];
                    if (input.RequiresGrad && input.Producer is { } child && !leads.ContainsKey(child))
                    {
                        leads[child] = false;
                        stack.Push((child, 0));
                    }

                    continue;
                }

                // All inputs are finished: the node leads to a target if any input is one or leads to one.
                bool leadsHere = false;
                foreach (Tensor input in node.Inputs)
                {
                    leadsHere |= input.RequiresGrad
                        && (targets.ContainsKey(input) || (input.Producer is { } p && leads[p]));
                }

                leads[node] = leadsHere;
                if (leadsHere)
                {
                    order.Add(node);
                }
            }
        }

        return order;
    }

    private static Tensor OnesFor(Tensor output)
    {
        if (output.Length != 1)
        {
            throw new ArgumentException(
                $"An output of shape {Tensor.ShapeText(output.Shape)} needs an explicit output gradient.", nameof(output));
        }

        return Tensor.Scalar(1f).Reshape(output.Shape);
    }

    private static void CheckSameShape(Tensor gradient, Tensor tensor, string what)
    {
        if (!gradient.Shape.SequenceEqual(tensor.Shape))
        {
            throw new InvalidOperationException(
                $"Shape mismatch: {what} has shape {Tensor.ShapeText(gradient.Shape)} but the tensor has shape {Tensor.ShapeText(tensor.Shape)}.");
        }
    }

    /// <summary>Pauses or resumes graph recording on this thread until disposed.</summary>
    public readonly struct RecordingScope : IDisposable
    {
        private readonly int savedDepth;

        internal RecordingScope(bool pause)
        {
            savedDepth = pausedDepth;
            pausedDepth = pause ? savedDepth + 1 : 0;
        }

        /// <summary>Restores the recording state from before the scope.</summary>
        public void Dispose() => pausedDepth = savedDepth;
    }
}
