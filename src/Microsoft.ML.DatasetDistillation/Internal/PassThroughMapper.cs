using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>The identity on rows: what a fitted distillation does to data it was not fitted on.</summary>
internal sealed class PassThroughMapper(DataViewSchema schema) : IRowToRowMapper
{
    public DataViewSchema InputSchema => schema;

    public DataViewSchema OutputSchema => schema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) => dependingColumns;

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }
}
