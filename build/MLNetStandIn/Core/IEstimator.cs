using Microsoft.ML.Data;

namespace Microsoft.ML;

/// <summary>An object that can take part in model saving.</summary>
public interface ICanSaveModel
{
    /// <summary>Saves the object into <paramref name="ctx"/>.</summary>
    void Save(ModelSaveContext ctx);
}

/// <summary>Where <see cref="ICanSaveModel.Save"/> writes. Only ML.NET itself creates one; its writing members are internal.</summary>
public sealed class ModelSaveContext : IDisposable
{
    internal ModelSaveContext()
    {
    }

    /// <summary>Ends the save.</summary>
    public void Dispose()
    {
    }
}

/// <summary>A trained component that transforms data, lazily.</summary>
public interface ITransformer : ICanSaveModel
{
    /// <summary>The schema <see cref="Transform"/> produces from data of schema <paramref name="inputSchema"/>.</summary>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    /// <summary>The transformed view of <paramref name="input"/>.</summary>
    IDataView Transform(IDataView input);

    /// <summary>Whether <see cref="GetRowToRowMapper"/> succeeds.</summary>
    bool IsRowToRowMapper { get; }

    /// <summary>A mapper that transforms one row at a time; throws when <see cref="IsRowToRowMapper"/> is false.</summary>
    IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema);
}

/// <summary>An untrained transformer: <see cref="Fit"/> trains one.</summary>
public interface IEstimator<out TTransformer>
    where TTransformer : ITransformer
{
    /// <summary>Trains a transformer on <paramref name="input"/>.</summary>
    TTransformer Fit(IDataView input);

    /// <summary>The shape of the fitted transformer's output for input of shape <paramref name="inputSchema"/>.</summary>
    SchemaShape GetOutputSchema(SchemaShape inputSchema);
}
