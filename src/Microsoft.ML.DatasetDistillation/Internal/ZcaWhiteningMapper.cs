using Microsoft.ML.Data;
using Microsoft.ML.DatasetDistillation;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>Adds the whitened (or, with <c>inverse</c>, un-whitened) vector of a <see cref="ZcaWhiteningTransformer"/> to each row.</summary>
internal sealed class ZcaWhiteningMapper(ZcaWhitening whitening, bool inverse, DataViewSchema inputSchema, DataViewSchema.Column source, DataViewSchema outputSchema)
    : FeatureColumnMapper(inputSchema, source, outputSchema)
{
    protected override AddedValues CreateValues() => new Mapped(whitening, inverse);

    private sealed class Mapped(ZcaWhitening whitening, bool inverse) : AddedValues
    {
        private readonly float[] values = new float[whitening.FeatureCount], centred = new float[whitening.FeatureCount];

        public override void Compute(float[] features) => whitening.Map(features, values, inverse, centred);

        public override Delegate Getter(int added, Action computeCurrent) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
        {
            computeCurrent();
            value = KeyValues.GetterResult(values, ref value);
        });
    }
}
