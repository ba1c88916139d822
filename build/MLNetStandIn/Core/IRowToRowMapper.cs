namespace Microsoft.ML.Data;

/// <summary>Maps one input row to one output row, computing output values from the input getters on demand.</summary>
public interface IRowToRowMapper
{
    /// <summary>The schema the mapper accepts.</summary>
    DataViewSchema InputSchema { get; }

    /// <summary>The schema of the rows the mapper produces.</summary>
    DataViewSchema OutputSchema { get; }

    /// <summary>The input columns needed to compute <paramref name="dependingColumns"/> of the output.</summary>
    IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns);

    /// <summary>The output row over <paramref name="input"/>, with getters for <paramref name="activeColumns"/>; disposing it disposes <paramref name="input"/>.</summary>
    DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns);
}
