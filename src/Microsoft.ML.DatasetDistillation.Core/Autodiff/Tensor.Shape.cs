namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Splitting a flat parameter vector into layer views, and joining gradients back into one vector.
public sealed partial class Tensor
{
    /// <summary>
    /// Cuts a 1-D tensor into consecutive views with the given shapes (no copy). Their sizes must add up to its
    /// length. This is how a network reads its layers out of one flat parameter vector.
    /// </summary>
    public static Tensor[] Split(Tensor flat, IReadOnlyList<int[]> shapes)
    {
        if (flat.Rank != 1)
        {
            throw new ArgumentException($"Split needs a 1-D tensor, but got {ShapeText(flat.shape)}.", nameof(flat));
        }

        var parts = new Tensor[shapes.Count];
        int start = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            int length = ElementCount(CheckShape(shapes[i]));
            if (start + length > flat.Length)
            {
                break;
            }

            parts[i] = flat.View(start, length, shapes[i]);
            start += length;
        }

        if (start != flat.Length || parts.Any(p => p is null))
        {
            int total = shapes.Sum(s => ElementCount(s));
            throw new ArgumentException($"Split shapes hold {total} elements but the tensor has {flat.Length}.", nameof(shapes));
        }

        RecordMany("Split", parts, [flat], (g, _) =>
        {
            // Outputs that got no gradient contribute zeros.
            var pieces = new Tensor[parts.Length];
            for (int i = 0; i < pieces.Length; i++)
            {
                pieces[i] = g[i] ?? Zeros(parts[i].shape);
            }

            return [Concat(pieces)];
        });
        return parts;
    }

    /// <summary>Joins tensors of any shapes into one 1-D tensor, in order (one copy).</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> parts)
    {
        int total = 0;
        foreach (Tensor part in parts)
        {
            total += part.Length;
        }

        Tensor y = Uninitialized(total);
        int start = 0;
        var shapes = new int[parts.Count][];
        for (int i = 0; i < parts.Count; i++)
        {
            Backend.Copy(parts[i], y, start);
            start += parts[i].Length;
            shapes[i] = parts[i].shape;
        }

        return Record("Concat", [y], [.. parts], (g, _) => Split(g[0]!, shapes));
    }
}
