using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>Adds the score and predicted label columns of a <see cref="DistilledNetworkTransformer"/> to each row.</summary>
internal sealed class DistilledNetworkMapper(DistilledNetworkTransformer scorer, DataViewSchema inputSchema, DataViewSchema.Column feature, DataViewSchema outputSchema)
    : FeatureColumnMapper(inputSchema, feature, outputSchema)
{
    protected override AddedValues CreateValues() => new Scores(scorer.Model);

    private sealed class Scores(DistilledNetworkModel model) : AddedValues
    {
        private float[] scores = [];
        private uint predicted;

        public override void Compute(float[] features)
        {
            scores = model.Score(features);
            predicted = (uint)System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores) + 1;
        }

        public override Delegate Getter(int added, Action computeCurrent) => added == 0
            ? (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                computeCurrent();
                value = KeyValues.GetterResult(scores, ref value);
            })
            : (ValueGetter<uint>)((ref uint value) =>
            {
                computeCurrent();
                value = predicted;
            });
    }
}
