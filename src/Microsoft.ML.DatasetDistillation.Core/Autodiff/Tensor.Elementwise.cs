namespace Microsoft.ML.DatasetDistillation.Autodiff;

// Element-wise ops. Each forward sits beside its backward rule; the rules use only differentiable ops,
// so they can be recorded and differentiated again.
public sealed partial class Tensor
{
    /// <summary>Element-wise sum of two tensors of the same shape.</summary>
    public static Tensor operator +(Tensor a, Tensor b)
    {
        CheckSameShape(a, b, "+");
        Tensor y = Uninitialized(a.shape);
        Backend.Add(a, b, y);
        return Record("Add", [y], [a, b], (g, _) => [g[0], g[0]]);
    }

    /// <summary>Element-wise difference of two tensors of the same shape.</summary>
    public static Tensor operator -(Tensor a, Tensor b)
    {
        CheckSameShape(a, b, "-");
        Tensor y = Uninitialized(a.shape);
        Backend.Subtract(a, b, y);
        return Record("Subtract", [y], [a, b], (g, need) => [g[0], need[1] ? -g[0]! : null]);
    }

    /// <summary>Element-wise (Hadamard) product of two tensors of the same shape.</summary>
    public static Tensor operator *(Tensor a, Tensor b)
    {
        CheckSameShape(a, b, "*");
        Tensor y = Uninitialized(a.shape);
        Backend.Multiply(a, b, y);
        return Record("Multiply", [y], [a, b], (g, need) => [need[0] ? g[0]! * b : null, need[1] ? g[0]! * a : null]);
    }

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a * -1f;

    /// <summary>Multiplies every element by a constant.</summary>
    public static Tensor operator *(Tensor a, float factor)
    {
        Tensor y = Uninitialized(a.shape);
        Backend.Scale(a, factor, y);
        return Record("Scale", [y], [a], (g, _) => [g[0]! * factor]);
    }

    /// <summary>Multiplies every element by a constant.</summary>
    public static Tensor operator *(float factor, Tensor a) => a * factor;

    /// <summary>Adds a constant to every element.</summary>
    public static Tensor operator +(Tensor a, float constant)
    {
        Tensor y = Uninitialized(a.shape);
        Backend.AddConstant(a, constant, y);
        return Record("AddConstant", [y], [a], (g, _) => [g[0]]);
    }

    /// <summary>Multiplies every element of <paramref name="a"/> by the one-element tensor <paramref name="scalar"/>.</summary>
    public static Tensor MultiplyByScalar(Tensor a, Tensor scalar)
    {
        if (scalar.Length != 1)
        {
            throw new ArgumentException($"The scalar factor must have one element, but its shape is {ShapeText(scalar.shape)}.", nameof(scalar));
        }

        Tensor y = Uninitialized(a.shape);
        Backend.Scale(a, scalar, y);
        return Record("MultiplyByScalar", [y], [a, scalar], (g, need) =>
            [need[0] ? MultiplyByScalar(g[0]!, scalar) : null, need[1] ? Sum(g[0]! * a).Reshape(scalar.shape) : null]);
    }

    /// <summary>The sum of all elements, as a scalar.</summary>
    public static Tensor Sum(Tensor a)
    {
        Tensor y = Uninitialized();
        Backend.Sum(a, y);
        int[] inputShape = a.shape;
        return Record("Sum", [y], [a], (g, _) => [Expand(g[0]!, inputShape)]);
    }

    /// <summary>The mean of all elements, as a scalar.</summary>
    public static Tensor Mean(Tensor a) => Sum(a) * (1f / a.Length);

    /// <summary>A tensor of <paramref name="shape"/> whose every element is the scalar <paramref name="scalar"/>.</summary>
    public static Tensor Expand(Tensor scalar, params ReadOnlySpan<int> shape)
    {
        if (scalar.Length != 1)
        {
            throw new ArgumentException($"Expand needs a one-element tensor, but its shape is {ShapeText(scalar.shape)}.", nameof(scalar));
        }

        Tensor y = Uninitialized(shape);
        Backend.Fill(scalar, y);
        int[] scalarShape = scalar.shape;
        return Record("Expand", [y], [scalar], (g, _) => [Sum(g[0]!).Reshape(scalarShape)]);
    }

    /// <summary>max(x, 0). Its derivative is a constant mask, so ReLU's second derivative is zero.</summary>
    public static Tensor Relu(Tensor x)
    {
        Tensor y = Uninitialized(x.shape);
        Backend.Relu(x, y);
        return Record("Relu", [y], [x], (g, _) => [WherePositive(x, g[0]!)]);
    }

    /// <summary>
    /// values where <paramref name="condition"/> &gt; 0, else 0: ReLU's backward rule. It is linear in the values and
    /// constant in the condition almost everywhere, so its own rule masks again and gives the condition nothing.
    /// </summary>
    private static Tensor WherePositive(Tensor condition, Tensor values)
    {
        Tensor y = Uninitialized(values.shape);
        Backend.WherePositive(condition, values, y);
        return Record("WherePositive", [y], [values], (g, _) => [WherePositive(condition, g[0]!)]);
    }

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x)
    {
        Tensor y = Uninitialized(x.shape);
        Backend.Tanh(x, y);
        return Record("Tanh", [y], [x], (g, _) => [g[0]! * ((y * y) * -1f + 1f)]);
    }

    /// <summary>Logistic sigmoid 1 / (1 + e^−x).</summary>
    public static Tensor Sigmoid(Tensor x)
    {
        Tensor y = Uninitialized(x.shape);
        Backend.Sigmoid(x, y);
        return Record("Sigmoid", [y], [x], (g, _) => [g[0]! * (y * (y * -1f + 1f))]);
    }

    /// <summary>log(1 + e^x), whose derivative is the sigmoid.</summary>
    public static Tensor Softplus(Tensor x)
    {
        Tensor y = Uninitialized(x.shape);
        Backend.Softplus(x, y);
        return Record("Softplus", [y], [x], (g, _) => [g[0]! * Sigmoid(x)]);
    }

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor x)
    {
        Tensor y = Uninitialized(x.shape);
        Backend.Exp(x, y);
        return Record("Exp", [y], [x], (g, _) => [g[0]! * y]);
    }

    /// <summary>x^p for a constant exponent p (x must be positive where p is not an integer).</summary>
    public static Tensor Pow(Tensor x, float exponent)
    {
        Tensor y = Uninitialized(x.shape);
        Backend.Pow(x, exponent, y);
        return Record("Pow", [y], [x], (g, _) => [g[0]! * (Pow(x, exponent - 1f) * exponent)]);
    }

    private static void CheckSameShape(Tensor a, Tensor b, string op)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
        {
            throw new ArgumentException($"Operator {op} needs equal shapes, but got {ShapeText(a.shape)} and {ShapeText(b.shape)}.");
        }
    }
}
