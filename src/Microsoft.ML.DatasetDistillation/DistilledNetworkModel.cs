using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.Transforms.DatasetDistillationInternal;

namespace Microsoft.ML.Transforms;

/// <summary>The model of a <see cref="DistilledNetworkTransformer"/>: the network's architecture and trained weights.</summary>
public sealed class DistilledNetworkModel
{
    private readonly Network network;

    internal DistilledNetworkModel(NetworkSpec spec, Network network, float[] weights)
    {
        Spec = spec;
        this.network = network;
        Weights = weights;
    }

    /// <summary>The network's architecture.</summary>
    public DistillationNetworkKind NetworkKind => Spec.Kind;

    /// <summary>Number of classes.</summary>
    public int ClassCount => network.ClassCount;

    /// <summary>Values in one feature vector.</summary>
    public int FeatureCount => Spec.FeatureCount;

    internal NetworkSpec Spec { get; }

    internal float[] Weights { get; }

    /// <summary>The trained flat parameter vector (a copy); usable as a pretrained network for distillation.</summary>
    public float[] GetWeights() => (float[])Weights.Clone();

    /// <summary>The class probabilities (softmax of the logits) for one feature vector of <see cref="FeatureCount"/> values.</summary>
    public float[] Score(ReadOnlySpan<float> features)
    {
        if (features.Length != FeatureCount)
        {
            throw new ArgumentException($"The network takes {FeatureCount} features, but got {features.Length}.", nameof(features));
        }

        using var _ = Autograd.NoGrad();
        Tensor logits = network.Forward(Tensor.FromArray(Weights, Weights.Length), Tensor.FromValues(features, [1, .. Spec.ExampleShape]));
        float[] scores = logits.ToArray();
        System.Numerics.Tensors.TensorPrimitives.SoftMax(scores, scores);
        return scores;
    }
}
