using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>Adds the score and predicted label columns of a <see cref="DistilledNetworkTransformer"/> to each row.</summary>
internal sealed class DistilledNetworkMapper(DistilledNetworkTransformer scorer, DataViewSchema inputSchema, DataViewSchema.Column feature, DataViewSchema outputSchema)
    : IRowToRowMapper
{
    public DataViewSchema InputSchema => inputSchema;

    public DataViewSchema OutputSchema => outputSchema;

    public DataViewSchema.Column Feature => feature;

    public DistilledNetworkTransformer Scorer => scorer;

    public int ScoreIndex => inputSchema.Count;

    public int PredictedIndex => inputSchema.Count + 1;

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

    public MappedRow Cursor(DataViewRowCursor input, IEnumerable<DataViewSchema.Column> activeColumns) => new(this, input, activeColumns);

    /// <summary>A row (and, over a cursor, a cursor) of the input plus the scorer's columns, computed once per position.</summary>
    internal sealed class MappedRow : DataViewRowCursor
    {
        private readonly DistilledNetworkMapper mapper;
        private readonly DataViewRow input;
        private readonly HashSet<int> active;
        private ValueGetter<VBuffer<float>>? featureGetter;
        private VBuffer<float> features;
        private float[] scores = [];
        private uint predicted;
        private long scoredPosition = -1;

        public MappedRow(DistilledNetworkMapper mapper, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            this.mapper = mapper;
            this.input = input;
            active = new HashSet<int>((activeColumns ?? []).Select(c => c.Index));
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

            if (column.Index == mapper.ScoreIndex && typeof(TValue) == typeof(VBuffer<float>))
            {
                ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
                {
                    Compute();
                    value = KeyValues.GetterResult(scores, ref value);
                };
                return (ValueGetter<TValue>)(Delegate)getter;
            }

            if (column.Index == mapper.PredictedIndex && typeof(TValue) == typeof(uint))
            {
                ValueGetter<uint> getter = (ref uint value) =>
                {
                    Compute();
                    value = predicted;
                };
                return (ValueGetter<TValue>)(Delegate)getter;
            }

            throw new InvalidOperationException($"Column '{column.Name}' is of type {column.Type}; a getter of {typeof(TValue).Name} was asked for.");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
            }

            base.Dispose(disposing);
        }

        private void Compute()
        {
            if (scoredPosition == input.Position && scores.Length > 0)
            {
                return;
            }

            featureGetter ??= input.GetGetter<VBuffer<float>>(mapper.Feature);
            featureGetter(ref features);
            float[] dense = new float[features.Length];
            if (features.IsDense)
            {
                features.GetValues().CopyTo(dense);
            }
            else
            {
                ReadOnlySpan<float> values = features.GetValues();
                ReadOnlySpan<int> indices = features.GetIndices();
                for (int i = 0; i < values.Length; i++)
                {
                    dense[indices[i]] = values[i];
                }
            }

            scores = mapper.Scorer.Model.Score(dense);
            predicted = (uint)System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores) + 1;
            scoredPosition = input.Position;
        }
    }
}

/// <summary>An input view seen through a <see cref="DistilledNetworkMapper"/>.</summary>
internal sealed class MappedDataView(IDataView source, DistilledNetworkMapper mapper) : IDataView
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
        return source.GetRowCursorSet(mapper.GetDependencies(needed), n, rand).Select(c => (DataViewRowCursor)mapper.Cursor(c, needed)).ToArray();
    }
}
