using Microsoft.ML.Data;

namespace Microsoft.ML.StandIn;

/// <summary>A column that a stand-in transformer appends: its description, its inputs, and how to compute it from an input row.</summary>
internal sealed record AddedColumn(
    string Name,
    DataViewType Type,
    DataViewSchema.Annotations Annotations,
    string[] InputColumnNames,
    Func<DataViewRow, Delegate> MakeGetter);

/// <summary>
/// The row-to-row mapping of the stand-in's one-to-one transformers: every input column (a new column with an
/// existing name hides the old one, as in ML.NET) followed by the added columns, computed lazily from the input getters.
/// </summary>
internal sealed class ColumnAddingMapper : IRowToRowMapper
{
    private readonly AddedColumn[] _added;

    public ColumnAddingMapper(DataViewSchema inputSchema, IEnumerable<AddedColumn> added)
    {
        InputSchema = inputSchema;
        _added = added.ToArray();
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (AddedColumn column in _added)
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        OutputSchema = builder.ToSchema();
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new SortedSet<int>();
        foreach (DataViewSchema.Column column in dependingColumns)
        {
            if (column.Index < InputSchema.Count)
                needed.Add(column.Index);
            else
                needed.UnionWith(_added[column.Index - InputSchema.Count].InputColumnNames.Select(name => InputSchema[name].Index));
        }
        return needed.Select(index => InputSchema[index]).ToList();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(this, input, activeColumns);

    /// <summary>The getter of output column <paramref name="index"/> over <paramref name="input"/>.</summary>
    public Delegate MakeGetter(DataViewRow input, int index) =>
        index < InputSchema.Count
            ? TypedValues.GetGetter(input, input.Schema[index])
            : _added[index - InputSchema.Count].MakeGetter(input);

    private sealed class MappedRow : DataViewRow
    {
        private readonly ColumnAddingMapper _mapper;
        private readonly DataViewRow _input;
        private readonly bool[] _active;

        public MappedRow(ColumnAddingMapper mapper, DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            _mapper = mapper;
            _input = input;
            _active = RowChecks.ActiveFlags(mapper.OutputSchema, activeColumns);
        }

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override DataViewSchema Schema => _mapper.OutputSchema;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            RowChecks.CheckGetter<TValue>(Schema, _active, column);
            return (ValueGetter<TValue>)_mapper.MakeGetter(_input, column.Index);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _input.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>The lazy output of a stand-in transformer: <paramref name="source"/> seen through <paramref name="mapper"/>.</summary>
internal sealed class MappedDataView(IDataView source, ColumnAddingMapper mapper) : IDataView
{
    public bool CanShuffle => false;

    public DataViewSchema Schema => mapper.OutputSchema;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var columns = columnsNeeded.ToList();
        return new Cursor(mapper, source.GetRowCursor(mapper.GetDependencies(columns)), columns);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(ColumnAddingMapper mapper, DataViewRowCursor input, IEnumerable<DataViewSchema.Column> columnsNeeded)
        : CursorBase(mapper.OutputSchema, columnsNeeded)
    {
        protected override bool MoveNextCore() => input.MoveNext();

        protected override Delegate MakeGetter(int index) => mapper.MakeGetter(input, index);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                input.Dispose();
            base.Dispose(disposing);
        }
    }
}
