using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Networks;

/// <summary>One parameter tensor of a network: its name, shape and how initialisers treat it.</summary>
/// <param name="Name">Layer-qualified name, e.g. "conv1.weight".</param>
/// <param name="Shape">Shape of the tensor.</param>
/// <param name="IsBias">Biases start at zero (or, under <see cref="InitScheme.PyTorchDefault"/>, are drawn from the fan-in of the
/// weight before them); weights are drawn from the initialisation scheme.</param>
/// <param name="InitialValue">When set, every scheme fills the tensor with this constant instead (a normalisation's
/// scale starts at 1 and its shift at 0).</param>
public sealed record ParameterSpec(string Name, int[] Shape, bool IsBias, float? InitialValue = null)
{
    /// <summary>Number of elements.</summary>
    public int Length => Tensor.ElementCount(Shape);

    /// <summary>Inputs feeding one output unit: dimension 1 times the receptive field (PyTorch's convention).</summary>
    public int FanIn => Shape.Length < 2 ? Shape[0] : Shape[1] * ReceptiveField;

    /// <summary>Output units times the receptive field.</summary>
    public int FanOut => Shape[0] * ReceptiveField;

    private int ReceptiveField => Shape.Skip(2).Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// A classifier written as a pure function of one flat parameter vector, f(w, x) → logits. Because the weights
/// are an input rather than hidden state, an unrolled training run can treat every w_t as a value and
/// differentiate through it.
/// </summary>
public abstract class Network
{
    private readonly int[][] shapes;

    /// <summary>Creates a network whose parameters are laid out in the given order in the flat vector.</summary>
    protected Network(int[] exampleShape, int classCount, IReadOnlyList<ParameterSpec> parameters)
    {
        if (classCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), $"A classifier needs at least 2 classes, but got {classCount}.");
        }

        ExampleShape = exampleShape;
        ClassCount = classCount;
        Parameters = parameters;
        shapes = parameters.Select(p => p.Shape).ToArray();
        ParameterCount = parameters.Sum(p => p.Length);
    }

    /// <summary>The shape of one input example, e.g. [1, 28, 28] for MNIST or [features] for tabular data.</summary>
    public int[] ExampleShape { get; }

    /// <summary>Number of classes (width of the logits).</summary>
    public int ClassCount { get; }

    /// <summary>The parameter tensors, in their order within the flat vector.</summary>
    public IReadOnlyList<ParameterSpec> Parameters { get; }

    /// <summary>Length of the flat parameter vector.</summary>
    public int ParameterCount { get; }

    /// <summary>Logits [N, classes] for a batch [N, ..ExampleShape] under the flat parameters <paramref name="weights"/>.</summary>
    public Tensor Forward(Tensor weights, Tensor batch) => Forward(SplitChecked(weights, batch), batch);

    /// <summary>
    /// The embedding [N, <see cref="EmbeddingSize"/>] of a batch: every layer but the last, fully connected classifier,
    /// whose input it is. Distribution matching compares the mean embeddings of real and synthetic examples.
    /// </summary>
    public Tensor Embed(Tensor weights, Tensor batch) => Features(SplitChecked(weights, batch), batch);

    /// <summary>Checks the flat parameters and the batch against this network and cuts the parameters into its tensors.</summary>
    protected Tensor[] SplitChecked(Tensor weights, Tensor batch)
    {
        if (weights.Rank != 1 || weights.Length != ParameterCount)
        {
            throw new ArgumentException($"{GetType().Name} needs a flat parameter vector of {ParameterCount} elements, but got {Tensor.ShapeText(weights.Shape)}.", nameof(weights));
        }

        if (batch.Rank != ExampleShape.Length + 1 || !batch.Shape[1..].SequenceEqual(ExampleShape))
        {
            throw new ArgumentException($"{GetType().Name} expects a batch of shape [N, {string.Join(", ", ExampleShape)}], but got {Tensor.ShapeText(batch.Shape)}.", nameof(batch));
        }

        return Tensor.Split(weights, shapes);
    }

    /// <summary>Width of <see cref="Embed"/>'s output: the input width of the classifier, the last two parameters.</summary>
    public int EmbeddingSize => Parameters[^2].Shape[1];

    /// <summary>The forward pass given the parameter tensors: the classifier, the last two parameters, on the features.</summary>
    protected Tensor Forward(Tensor[] p, Tensor batch) => Linear(Features(p, batch), p[^2], p[^1]);

    /// <summary>
    /// Every layer but the classifier, given the parameter tensors in the order of <see cref="Parameters"/>: the input of
    /// the last, fully connected layer (whose weight and bias are the last two parameters).
    /// </summary>
    protected abstract Tensor Features(Tensor[] p, Tensor batch);

    /// <summary>A fully connected layer: x·Wᵀ + b with W stored [out, in] as PyTorch does.</summary>
    protected static Tensor Linear(Tensor x, Tensor weight, Tensor bias) => Tensor.AddBias(Tensor.MatMul(x, weight, transposeB: true), bias);

    /// <summary>Specs for a fully connected layer's weight [out, in] and bias [out].</summary>
    protected static IEnumerable<ParameterSpec> LinearSpecs(string name, int inputs, int outputs) =>
        [new($"{name}.weight", [outputs, inputs], false), new($"{name}.bias", [outputs], true)];

    /// <summary>Specs for a convolution's weight [out, in, k, k] and bias [out].</summary>
    protected static IEnumerable<ParameterSpec> ConvSpecs(string name, int inputs, int outputs, int kernel) =>
        [new($"{name}.weight", [outputs, inputs, kernel, kernel], false), new($"{name}.bias", [outputs], true)];
}
