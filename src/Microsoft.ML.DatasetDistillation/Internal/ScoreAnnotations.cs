using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>
/// The annotations ML.NET's multiclass scorers put on their "Score" and "PredictedLabel" columns (as read from
/// SdcaMaximumEntropy's output in Microsoft.ML 5.0.1): the score column kind, the score value kind, a score column set
/// id one above any in the input, the training label values (and slot names for text labels) on the score, the key
/// values on the predicted label. Evaluators and tools such as permutation feature importance find the columns by them.
/// </summary>
internal sealed class ScoreAnnotations
{
    private const string ScoreColumnKind = "ScoreColumnKind", ScoreValueKind = "ScoreValueKind", ScoreColumnSetId = "ScoreColumnSetId";
    private const string MulticlassClassification = "MulticlassClassification";

    // ML.NET's set id type: a key of UInt32 with int.MaxValue values.
    private static readonly KeyDataViewType SetIdType = new(typeof(uint), int.MaxValue);

    private readonly uint setId;
    private readonly KeyValues? labelValues;

    public ScoreAnnotations(DataViewSchema inputSchema, KeyValues? labelValues)
    {
        uint highest = 0;
        foreach (DataViewSchema.Column column in inputSchema)
        {
            if (column.Annotations.Schema.GetColumnOrNull(ScoreColumnSetId)?.Type is KeyDataViewType { RawType: var raw } && raw == typeof(uint))
            {
                uint id = 0;
                column.Annotations.GetValue(ScoreColumnSetId, ref id);
                highest = Math.Max(highest, id);
            }
        }

        setId = highest + 1;
        this.labelValues = labelValues;
    }

    public DataViewSchema.Annotations ForScore()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        AddKinds(builder, "Score");
        if (labelValues is not null)
        {
            labelValues.AddTo(builder, "TrainingLabelValues");
            if (labelValues.ItemType is TextDataViewType)
            {
                labelValues.AddTo(builder, "SlotNames");
            }
        }

        return builder.ToAnnotations();
    }

    public DataViewSchema.Annotations ForPredictedLabel()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        AddKinds(builder, "PredictedLabel");
        if (labelValues is not null)
        {
            labelValues.AddTo(builder, KeyValues.AnnotationKind);
        }

        return builder.ToAnnotations();
    }

    private void AddKinds(DataViewSchema.Annotations.Builder builder, string valueKind)
    {
        builder.Add(ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = MulticlassClassification.AsMemory());
        builder.Add(ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
        uint id = setId;
        builder.Add(ScoreColumnSetId, SetIdType, (ref uint v) => v = id);
    }
}
