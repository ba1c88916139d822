namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Ops along the last axis of a [rows, columns] matrix, and the losses built from them.
public sealed partial class Tensor
{
    /// <summary>Row-wise log-softmax of a [rows, classes] matrix.</summary>
    public static Tensor LogSoftmax(Tensor x)
    {
        CheckMatrix(x, "LogSoftmax");
        Tensor y = Uninitialized(x.shape);
        Backend.LogSoftmax(x, y);

        // dx = g − softmax(x)·Σ_row g, with softmax = exp(y) kept differentiable.
        return Record("LogSoftmax", [y], [x], (g, _) => [g[0]! - Exp(y) * BroadcastRows(SumRows(g[0]!), x.shape[1])]);
    }

    /// <summary>Sums each row of a [rows, columns] matrix into a [rows] vector.</summary>
    public static Tensor SumRows(Tensor x)
    {
        CheckMatrix(x, "SumRows");
        Tensor y = Uninitialized(x.shape[0]);
        Backend.SumRows(x, y);
        int columns = x.shape[1];
        return Record("SumRows", [y], [x], (g, _) => [BroadcastRows(g[0]!, columns)]);
    }

    /// <summary>Repeats each element of a [rows] vector across <paramref name="columns"/> columns.</summary>
    public static Tensor BroadcastRows(Tensor v, int columns)
    {
        if (v.Rank != 1)
        {
            throw new ArgumentException($"BroadcastRows needs a 1-D tensor, but got {ShapeText(v.shape)}.", nameof(v));
        }

        Tensor y = Uninitialized(v.shape[0], columns);
        Backend.BroadcastRows(v, y);
        return Record("BroadcastRows", [y], [v], (g, _) => [SumRows(g[0]!)]);
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> [N, classes] against class indices, −(1/N) Σ log softmax(x)[label].
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> labels)
    {
        CheckMatrix(logits, "CrossEntropy");
        if (labels.Length != logits.shape[0])
        {
            throw new ArgumentException($"CrossEntropy got logits {ShapeText(logits.shape)} but {labels.Length} labels.", nameof(labels));
        }

        return CrossEntropy(logits, OneHot(labels, logits.shape[1]));
    }

    /// <summary>
    /// Mean cross-entropy against target rows [N, classes], −(1/N) Σ y·log softmax(x). Targets are usually probabilities
    /// (one-hot or soft labels); any real rows are accepted, and the targets may themselves require gradients (learned
    /// labels): a row that does not sum to 1 scales and shifts that example's pull on the logits.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets)
    {
        CheckSameShape(logits, targets, "CrossEntropy");
        return Sum(LogSoftmax(logits) * targets) * (-1f / logits.shape[0]);
    }

    /// <summary>A new [labels, classes] matrix with a 1 in each row at that row's label and 0 elsewhere.</summary>
    public static Tensor OneHot(ReadOnlySpan<int> labels, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        for (int r = 0; r < labels.Length; r++)
        {
            if ((uint)labels[r] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), $"Label {labels[r]} at row {r} is outside [0, {classes}).");
            }
        }

        Tensor oneHot = Uninitialized(labels.Length, classes);
        Backend.OneHot(labels, oneHot);
        return oneHot;
    }

    /// <summary>Mean squared error, mean((a − b)²).</summary>
    public static Tensor MeanSquaredError(Tensor a, Tensor b)
    {
        Tensor difference = a - b;
        return Mean(difference * difference);
    }

    /// <summary>
    /// The index of the largest value in each row of a [rows, columns] matrix (the first, on ties), such as the predicted
    /// class of each example from its logits. Not differentiable: it returns indices, not a tensor.
    /// </summary>
    public int[] ArgMaxRows()
    {
        CheckMatrix(this, "ArgMaxRows");
        var result = new int[shape[0]];
        Backend.ArgMaxRows(this, result);
        return result;
    }

    private static void CheckMatrix(Tensor x, string op)
    {
        if (x.Rank != 2)
        {
            throw new ArgumentException($"{op} needs a 2-D [rows, columns] tensor, but got {ShapeText(x.shape)}.");
        }
    }
}
