using Microsoft.ML.Data;

namespace Microsoft.ML;

/// <summary>A lazy, immutable table of data: the input and output of transformers.</summary>
public interface IDataView
{
    /// <summary>Whether the view can produce rows in a random order.</summary>
    bool CanShuffle { get; }

    /// <summary>The number of rows, or null when it is not known without cursoring.</summary>
    long? GetRowCount();

    /// <summary>A cursor over the rows, with getters available for <paramref name="columnsNeeded"/>.</summary>
    DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null);

    /// <summary>Up to <paramref name="n"/> cursors that together return every row once.</summary>
    DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null);

    /// <summary>The columns of the view.</summary>
    DataViewSchema Schema { get; }
}

/// <summary>Fetches a value into a buffer the caller owns.</summary>
public delegate void ValueGetter<TValue>(ref TValue value);

/// <summary>One row of data, as a set of getters.</summary>
public abstract class DataViewRow : IDisposable
{
    /// <summary>The position of the row; -1 before the first row and after the last.</summary>
    public abstract long Position { get; }

    /// <summary>Orders rows across the cursors of a cursor set.</summary>
    public abstract long Batch { get; }

    /// <summary>A getter of an identifier of the row.</summary>
    public abstract ValueGetter<DataViewRowId> GetIdGetter();

    /// <summary>Whether a getter can be had for <paramref name="column"/>.</summary>
    public abstract bool IsColumnActive(DataViewSchema.Column column);

    /// <summary>The getter of <paramref name="column"/>; throws if the column is inactive or <typeparamref name="TValue"/> is not its raw type.</summary>
    public abstract ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column);

    /// <summary>The columns of the row.</summary>
    public abstract DataViewSchema Schema { get; }

    /// <summary>Releases the row.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the row; does nothing by default.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>A row that moves through the rows of an <see cref="IDataView"/>.</summary>
public abstract class DataViewRowCursor : DataViewRow
{
    /// <summary>Moves to the next row; false when there is none.</summary>
    public abstract bool MoveNext();
}
