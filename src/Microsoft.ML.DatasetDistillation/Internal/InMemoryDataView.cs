using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>One column of an <see cref="InMemoryDataView"/>: makes a getter that reads the row a cursor is on.</summary>
internal interface IInMemoryColumn
{
    Type ValueType { get; }

    Delegate MakeGetter(Func<int> row);
}

/// <summary>A column of one value per row.</summary>
internal sealed class ScalarColumn<T>(T[] values) : IInMemoryColumn
{
    public Type ValueType => typeof(T);

    public Delegate MakeGetter(Func<int> row) => (ValueGetter<T>)((ref T value) => value = values[row()]);
}

/// <summary>A column of fixed-size vectors stored row after row in one array.</summary>
internal sealed class VectorColumn<T>(T[] values, int size) : IInMemoryColumn
{
    public Type ValueType => typeof(VBuffer<T>);

    public Delegate MakeGetter(Func<int> row) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) =>
    {
        VBufferEditor<T> editor = VBufferEditor.Create(ref value, size);
        values.AsSpan(row() * size, size).CopyTo(editor.Values);
        value = editor.Commit();
    });
}

/// <summary>
/// A small immutable table in memory: ML.NET's own in-memory views are internal, so the layer has its own.
/// Rows come in order (it cannot shuffle); the row count is exact.
/// </summary>
internal sealed class InMemoryDataView : IDataView
{
    private readonly IInMemoryColumn[] columns;
    private readonly int rowCount;

    public InMemoryDataView(DataViewSchema schema, int rowCount, IInMemoryColumn[] columns)
    {
        if (schema.Count != columns.Length)
        {
            throw new ArgumentException("One column source is needed per schema column.", nameof(columns));
        }

        Schema = schema;
        this.rowCount = rowCount;
        this.columns = columns;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly InMemoryDataView view;
        private readonly bool[] active;
        private readonly Delegate?[] getters;
        private long position = -1;
        private bool finished;

        public Cursor(InMemoryDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            this.view = view;
            active = new bool[view.Schema.Count];
            getters = new Delegate?[view.Schema.Count];
            foreach (DataViewSchema.Column column in columnsNeeded ?? [])
            {
                if (column.Index < 0 || column.Index >= active.Length)
                {
                    throw new ArgumentOutOfRangeException(nameof(columnsNeeded), $"Column '{column.Name}' is not a column of this view.");
                }

                active[column.Index] = true;
            }
        }

        public override long Position => position;

        public override long Batch => 0;

        public override DataViewSchema Schema => view.Schema;

        public override bool MoveNext()
        {
            // IDataView's contract: once MoveNext returns false, Position is -1 and stays there.
            if (finished || position + 1 >= view.rowCount)
            {
                finished = true;
                position = -1;
                return false;
            }

            position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= 0 && column.Index < active.Length && active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
            }

            IInMemoryColumn source = view.columns[column.Index];
            if (source.ValueType != typeof(TValue))
            {
                throw new InvalidOperationException(
                    $"Column '{column.Name}' holds {source.ValueType.Name} values; a getter of {typeof(TValue).Name} was asked for.");
            }

            getters[column.Index] ??= source.MakeGetter(Row);
            return (ValueGetter<TValue>)getters[column.Index]!;
        }

        protected override void Dispose(bool disposing)
        {
            finished = true;
            position = -1;
            base.Dispose(disposing);
        }

        private int Row()
        {
            if (position < 0 || position >= view.rowCount)
            {
                throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");
            }

            return (int)position;
        }
    }
}
