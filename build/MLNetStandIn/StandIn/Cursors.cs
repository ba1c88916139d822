using Microsoft.ML.Data;

namespace Microsoft.ML.StandIn;

/// <summary>Checks shared by the stand-in's rows: a getter needs an active column and the column's raw type.</summary>
internal static class RowChecks
{
    public static bool[] ActiveFlags(DataViewSchema schema, IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[schema.Count];
        foreach (DataViewSchema.Column column in columnsNeeded)
            active[column.Index] = true;
        return active;
    }

    public static void CheckGetter<TValue>(DataViewSchema schema, bool[] active, DataViewSchema.Column column)
    {
        if (column.Index < 0 || column.Index >= schema.Count || schema[column.Index].Name != column.Name)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' does not belong to this row's schema.");
        if (!active[column.Index])
            throw new InvalidOperationException($"Column '{column.Name}' is not active.");
        if (typeof(TValue) != column.Type.RawType)
            throw new InvalidOperationException($"Invalid TValue in GetGetter: '{typeof(TValue)}', expected type: '{column.Type.RawType}'.");
    }
}

/// <summary>A single-threaded cursor: position, id, column activity and getter checks; subclasses move and make getters.</summary>
internal abstract class CursorBase : DataViewRowCursor
{
    private readonly bool[] _active;
    private readonly Delegate?[] _getters;
    private long _position = -1;
    private bool _done;

    protected CursorBase(DataViewSchema schema, IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        Schema = schema;
        _active = RowChecks.ActiveFlags(schema, columnsNeeded);
        _getters = new Delegate?[schema.Count];
    }

    public sealed override DataViewSchema Schema { get; }

    public sealed override long Position => _position;

    public sealed override long Batch => 0;

    public sealed override ValueGetter<DataViewRowId> GetIdGetter() =>
        (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

    public sealed override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public sealed override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        RowChecks.CheckGetter<TValue>(Schema, _active, column);
        return (ValueGetter<TValue>)(_getters[column.Index] ??= MakeGetter(column.Index));
    }

    public sealed override bool MoveNext()
    {
        if (!_done && MoveNextCore())
        {
            _position++;
            return true;
        }
        _done = true;
        _position = -1;
        return false;
    }

    protected abstract bool MoveNextCore();

    /// <summary>A <see cref="ValueGetter{TValue}"/> of the raw type of column <paramref name="index"/>.</summary>
    protected abstract Delegate MakeGetter(int index);
}

/// <summary>A view over rows held as boxed values, as loaded from a binary file.</summary>
internal sealed class InMemoryDataView : IDataView
{
    private readonly IReadOnlyList<object[]> _rows;

    public InMemoryDataView(DataViewSchema schema, IReadOnlyList<object[]> rows)
    {
        Schema = schema;
        _rows = rows;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rows.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(InMemoryDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        : CursorBase(view.Schema, columnsNeeded)
    {
        private int _row = -1;

        protected override bool MoveNextCore() => ++_row < view._rows.Count;

        protected override Delegate MakeGetter(int index) =>
            TypedValues.MakeGetter(Schema[index].Type, () => view._rows[_row][index]);
    }
}

/// <summary>The first rows of another view.</summary>
internal sealed class TakeRowsDataView(IDataView source, long count) : IDataView
{
    public bool CanShuffle => false;

    public DataViewSchema Schema => source.Schema;

    public long? GetRowCount() => source.GetRowCount() is long n ? Math.Min(n, count) : null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var columns = columnsNeeded.ToList();
        return new Cursor(source.GetRowCursor(columns), count, columns);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(DataViewRowCursor input, long count, IEnumerable<DataViewSchema.Column> columnsNeeded)
        : CursorBase(input.Schema, columnsNeeded)
    {
        private long _taken;

        protected override bool MoveNextCore() => _taken++ < count && input.MoveNext();

        protected override Delegate MakeGetter(int index) => TypedValues.GetGetter(input, Schema[index]);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                input.Dispose();
            base.Dispose(disposing);
        }
    }
}
