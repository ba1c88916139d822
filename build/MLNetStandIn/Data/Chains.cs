using System.Collections;

namespace Microsoft.ML.Data;

/// <summary>Where a transformer of a chain is meant to apply. <see cref="TransformerChain{TLastTransformer}.Transform"/> applies every one.</summary>
[Flags]
public enum TransformerScope
{
    /// <summary>Nowhere.</summary>
    None = 0,

    /// <summary>Training.</summary>
    Training = 1 << 0,

    /// <summary>Testing.</summary>
    Testing = 1 << 1,

    /// <summary>Scoring.</summary>
    Scoring = 1 << 2,

    /// <summary>Training and testing.</summary>
    TrainTest = Training | Testing,

    /// <summary>Everywhere.</summary>
    Everything = Training | Testing | Scoring,
}

/// <summary>A (possibly empty) chain of estimators ending with one that makes a <typeparamref name="TLastTransformer"/>.</summary>
public sealed class EstimatorChain<TLastTransformer> : IEstimator<TransformerChain<TLastTransformer>>
    where TLastTransformer : class, ITransformer
{
    private readonly IEstimator<ITransformer>[] _estimators;
    private readonly TransformerScope[] _scopes;

    /// <summary>The last estimator, or null when the chain is empty.</summary>
    public readonly IEstimator<TLastTransformer>? LastEstimator;

    /// <summary>Creates an empty chain.</summary>
    public EstimatorChain()
        : this([], [])
    {
    }

    private EstimatorChain(IEstimator<ITransformer>[] estimators, TransformerScope[] scopes)
    {
        _estimators = estimators;
        _scopes = scopes;
        LastEstimator = estimators.LastOrDefault() as IEstimator<TLastTransformer>;
    }

    /// <summary>Checks the whole chain's schema propagation, then fits each estimator on the previous transformer's output.</summary>
    public TransformerChain<TLastTransformer> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        IDataView current = input;
        var transformers = new ITransformer[_estimators.Length];
        for (int i = 0; i < _estimators.Length; i++)
        {
            transformers[i] = _estimators[i].Fit(current);
            current = transformers[i].Transform(current);
        }
        return new TransformerChain<TLastTransformer>(transformers, _scopes);
    }

    /// <summary>The shape after every estimator of the chain.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        _estimators.Aggregate(inputSchema, (shape, estimator) => estimator.GetOutputSchema(shape));

    /// <summary>This chain followed by <paramref name="estimator"/>.</summary>
    public EstimatorChain<TNewTrans> Append<TNewTrans>(IEstimator<TNewTrans> estimator, TransformerScope scope = TransformerScope.Everything)
        where TNewTrans : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(estimator);
        return new EstimatorChain<TNewTrans>([.. _estimators, estimator], [.. _scopes, scope]);
    }

    /// <summary>Marks the end of the chain as a caching point; the stand-in caches nothing, which changes speed only.</summary>
    public EstimatorChain<TLastTransformer> AppendCacheCheckpoint(Runtime.IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return this;
    }
}

/// <summary>A (possibly empty) chain of transformers ending with a <typeparamref name="TLastTransformer"/>.</summary>
public sealed class TransformerChain<TLastTransformer> : ITransformer, IEnumerable<ITransformer>, IDisposable
    where TLastTransformer : class, ITransformer
{
    private readonly ITransformer[] _transformers;
    private readonly TransformerScope[] _scopes;
    private bool _disposed;

    /// <summary>The last transformer, or null when the chain is empty.</summary>
    public readonly TLastTransformer? LastTransformer;

    /// <summary>Creates a chain of <paramref name="transformers"/> with parallel <paramref name="scopes"/>.</summary>
    public TransformerChain(IEnumerable<ITransformer>? transformers, IEnumerable<TransformerScope>? scopes)
    {
        _transformers = transformers?.ToArray() ?? [];
        _scopes = scopes?.ToArray() ?? [];
        LastTransformer = _transformers.LastOrDefault() as TLastTransformer;
        if ((_transformers.Length > 0) != (LastTransformer != null) || _transformers.Length != _scopes.Length)
            throw new InvalidOperationException("The transformers must end with a " + typeof(TLastTransformer).Name + " and match the scopes one to one.");
    }

    /// <summary>Creates a chain of <paramref name="transformers"/>, all of scope <see cref="TransformerScope.Everything"/>.</summary>
    public TransformerChain(params ITransformer[]? transformers)
        : this(transformers, transformers?.Select(_ => TransformerScope.Everything))
    {
    }

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return _transformers.Aggregate(inputSchema, (schema, transformer) => transformer.GetOutputSchema(schema));
    }

    /// <summary>Applies every transformer of the chain, whatever its scope.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(input.Schema);
        return _transformers.Aggregate(input, (data, transformer) => transformer.Transform(data));
    }

    /// <summary>The chain of the transformers whose scope overlaps <paramref name="scopeFilter"/>.</summary>
    public TransformerChain<ITransformer> GetModelFor(TransformerScope scopeFilter)
    {
        var kept = Enumerable.Range(0, _transformers.Length).Where(i => (_scopes[i] & scopeFilter) != TransformerScope.None).ToList();
        return new TransformerChain<ITransformer>(kept.Select(i => _transformers[i]), kept.Select(i => _scopes[i]));
    }

    /// <summary>This chain followed by <paramref name="transformer"/>.</summary>
    public TransformerChain<TNewLast> Append<TNewLast>(TNewLast transformer, TransformerScope scope = TransformerScope.Everything)
        where TNewLast : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return new TransformerChain<TNewLast>([.. _transformers, transformer], [.. _scopes, scope]);
    }

    /// <inheritdoc/>
    public IEnumerator<ITransformer> GetEnumerator() => ((IEnumerable<ITransformer>)_transformers).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    bool ITransformer.IsRowToRowMapper => _transformers.All(t => t.IsRowToRowMapper);

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!((ITransformer)this).IsRowToRowMapper)
            throw new InvalidOperationException(nameof(ITransformer.GetRowToRowMapper) + " method called despite " + nameof(ITransformer.IsRowToRowMapper) + " being false.");
        var mappers = new List<IRowToRowMapper>();
        DataViewSchema schema = inputSchema;
        foreach (ITransformer transformer in _transformers)
        {
            mappers.Add(transformer.GetRowToRowMapper(schema));
            schema = mappers[^1].OutputSchema;
        }
        return new ChainedRowToRowMapper(inputSchema, mappers);
    }

    // Saves each transformer in turn, as ML.NET does, so that a transformer that cannot be saved says so.
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        foreach (ITransformer transformer in _transformers)
            transformer.Save(ctx);
    }

    /// <summary>Disposes the transformers that are disposable.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        foreach (IDisposable transformer in _transformers.OfType<IDisposable>())
            transformer.Dispose();
        _disposed = true;
    }

    private sealed class ChainedRowToRowMapper(DataViewSchema inputSchema, IReadOnlyList<IRowToRowMapper> mappers) : IRowToRowMapper
    {
        public DataViewSchema InputSchema => inputSchema;

        public DataViewSchema OutputSchema => mappers.Count == 0 ? inputSchema : mappers[^1].OutputSchema;

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
            mappers.Reverse().Aggregate(dependingColumns, (columns, mapper) => mapper.GetDependencies(columns));

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            var needed = new List<IEnumerable<DataViewSchema.Column>> { activeColumns.ToList() };
            for (int i = mappers.Count - 1; i > 0; i--)
                needed.Insert(0, mappers[i].GetDependencies(needed[0]).ToList());
            DataViewRow row = input;
            for (int i = 0; i < mappers.Count; i++)
                row = mappers[i].GetRow(row, needed[i]);
            return row;
        }
    }
}
