using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>
/// Rows of the input plus columns computed from one known-size feature column, once per row position: what the
/// <see cref="DistilledNetworkTransformer"/> scorer and the <see cref="ZcaWhiteningTransformer"/> add to a view.
/// </summary>
internal abstract class FeatureColumnMapper(DataViewSchema inputSchema, DataViewSchema.Column feature, DataViewSchema outputSchema) : IRowToRowMapper
{
    public DataViewSchema InputSchema => inputSchema;

    public DataViewSchema OutputSchema => outputSchema;

    /// <summary>The input column the added columns are computed from.</summary>
    public DataViewSchema.Column Feature => feature;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new SortedDictionary<int, DataViewSchema.Column>();
        foreach (DataViewSchema.Column column in dependingColumns)
        {
            if (column.Index < inputSchema.Count)
            {
                needed[column.Index] = inputSchema[column.Index];
            }
            else
            {
                needed[feature.Index] = feature;
            }
        }

        return needed.Values;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new MappedRow(this, input, activeColumns);
    }

    public DataViewRowCursor Cursor(DataViewRowCursor input, IEnumerable<DataViewSchema.Column> activeColumns) => new MappedRow(this, input, activeColumns);

    /// <summary>Fresh storage for the added columns of one row or cursor.</summary>
    protected abstract AddedValues CreateValues();

    /// <summary>The added columns' values of the current row, computed from its dense features.</summary>
    protected abstract class AddedValues
    {
        /// <summary>Computes every added column from the features of a new row (a buffer reused for the next row).</summary>
        public abstract void Compute(float[] features);

        /// <summary>
        /// A <see cref="ValueGetter{TValue}"/> of the added column <paramref name="added"/> (0: the first after the input's)
        /// that calls <paramref name="computeCurrent"/> before reading.
        /// </summary>
        public abstract Delegate Getter(int added, Action computeCurrent);
    }

    /// <summary>A row (and, over a cursor, a cursor) of the input plus the added columns.</summary>
    private sealed class MappedRow : DataViewRowCursor
    {
        private readonly FeatureColumnMapper mapper;
        private readonly DataViewRow input;
        private readonly HashSet<int> active;
        private readonly AddedValues values;
        private ValueGetter<VBuffer<float>>? featureGetter;
        private VBuffer<float> features;
        private float[] dense = [];
        private long computedPosition = -1;

        public MappedRow(FeatureColumnMapper mapper, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            this.mapper = mapper;
            this.input = input;
            active = new HashSet<int>((activeColumns ?? []).Select(c => c.Index));
            values = mapper.CreateValues();
        }

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override DataViewSchema Schema => mapper.OutputSchema;

        public override bool MoveNext() =>
            input is DataViewRowCursor cursor ? cursor.MoveNext() : throw new InvalidOperationException("This row is not a cursor.");

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < mapper.InputSchema.Count ? input.IsColumnActive(mapper.InputSchema[column.Index]) : active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < mapper.InputSchema.Count)
            {
                return input.GetGetter<TValue>(mapper.InputSchema[column.Index]);
            }

            if (!IsColumnActive(column))
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested.");
            }

            return values.Getter(column.Index - mapper.InputSchema.Count, ComputeCurrent) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is of type {column.Type}; a getter of {typeof(TValue).Name} was asked for.");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
            }

            base.Dispose(disposing);
        }

        private void ComputeCurrent()
        {
            if (computedPosition == input.Position)
            {
                return;
            }

            featureGetter ??= input.GetGetter<VBuffer<float>>(mapper.Feature);
            featureGetter(ref features);
            if (dense.Length != features.Length)
            {
                dense = new float[features.Length];
            }

            LabeledRowReader.CopyDense(features, dense);
            values.Compute(dense);
            computedPosition = input.Position;
        }
    }
}

/// <summary>An input view seen through a <see cref="FeatureColumnMapper"/>.</summary>
internal sealed class MappedDataView(IDataView source, FeatureColumnMapper mapper) : IDataView
{
    public bool CanShuffle => source.CanShuffle;

    public DataViewSchema Schema => mapper.OutputSchema;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        DataViewSchema.Column[] needed = (columnsNeeded ?? []).ToArray();
        return mapper.Cursor(source.GetRowCursor(mapper.GetDependencies(needed), rand), needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        DataViewSchema.Column[] needed = (columnsNeeded ?? []).ToArray();
        return source.GetRowCursorSet(mapper.GetDependencies(needed), n, rand).Select(c => mapper.Cursor(c, needed)).ToArray();
    }
}
