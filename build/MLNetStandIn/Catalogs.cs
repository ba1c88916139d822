using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.StandIn;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.Data
{
    /// <summary>
    /// How ML.NET's catalogs carry their environment. Internal, of the same full name and member as in ML.NET, so that
    /// code reaching the environment by reflection (<c>Environment</c> of <c>Microsoft.ML.Data.IInternalCatalog</c>) works on both.
    /// </summary>
    internal interface IInternalCatalog
    {
        IHostEnvironment Environment { get; }
    }
}

namespace Microsoft.ML
{
    /// <summary>The catalog of data transformations: <c>mlContext.Transforms</c>.</summary>
    public sealed class TransformsCatalog : IInternalCatalog
    {
        private readonly IHostEnvironment _env;

        internal TransformsCatalog(IHostEnvironment env)
        {
            _env = env;
            Conversion = new ConversionTransforms(env);
        }

        IHostEnvironment IInternalCatalog.Environment => _env;

        /// <summary>Type and key conversions.</summary>
        public ConversionTransforms Conversion { get; }

        /// <summary>The catalog of type and key conversions: <c>mlContext.Transforms.Conversion</c>.</summary>
        public sealed class ConversionTransforms : IInternalCatalog
        {
            private readonly IHostEnvironment _env;

            internal ConversionTransforms(IHostEnvironment env)
            {
                _env = env;
            }

            IHostEnvironment IInternalCatalog.Environment => _env;
        }
    }

    /// <summary>Loading, saving and slicing data: <c>mlContext.Data</c>.</summary>
    public sealed class DataOperationsCatalog : IInternalCatalog
    {
        private readonly IHostEnvironment _env;

        internal DataOperationsCatalog(IHostEnvironment env)
        {
            _env = env;
        }

        IHostEnvironment IInternalCatalog.Environment => _env;

        /// <summary>
        /// A lazy view of <paramref name="data"/>: one column per public field and property of <typeparamref name="TRow"/>
        /// (or per column of <paramref name="schemaDefinition"/>), typed by the member and its VectorType/KeyType/ColumnName attributes.
        /// </summary>
        public IDataView LoadFromEnumerable<TRow>(IEnumerable<TRow> data, SchemaDefinition? schemaDefinition = null)
            where TRow : class
        {
            ArgumentNullException.ThrowIfNull(data);
            return new EnumerableDataView<TRow>(data, schemaDefinition);
        }

        /// <summary>
        /// The rows of <paramref name="data"/> as <typeparamref name="TRow"/> objects, one member per column of the same name:
        /// keys as their unsigned integers, vectors as dense arrays, text as strings.
        /// </summary>
        public IEnumerable<TRow> CreateEnumerable<TRow>(IDataView data, bool reuseRowObject,
            bool ignoreMissingColumns = false, SchemaDefinition? schemaDefinition = null)
            where TRow : class, new()
        {
            ArgumentNullException.ThrowIfNull(data);
            var bindings = MemberBinding.ForWriting(typeof(TRow), data.Schema, ignoreMissingColumns, schemaDefinition);
            return Rows();

            IEnumerable<TRow> Rows()
            {
                using DataViewRowCursor cursor = data.GetRowCursor(bindings.Select(b => b.Column));
                var readers = bindings.Select(b => (b.Binding, Read: TypedValues.MakeReader(cursor, b.Column))).ToList();
                TRow? reused = null;
                while (cursor.MoveNext())
                {
                    TRow row = reuseRowObject ? reused ??= new TRow() : new TRow();
                    foreach (var (binding, read) in readers)
                        binding.Write(row, read());
                    yield return row;
                }
            }
        }

        /// <summary>The first <paramref name="count"/> rows of <paramref name="input"/>.</summary>
        public IDataView TakeRows(IDataView input, long count)
        {
            ArgumentNullException.ThrowIfNull(input);
            if (count <= 0)
                throw new ArgumentOutOfRangeException(nameof(count), "Must be greater than zero");
            return new TakeRowsDataView(input, count);
        }
    }

    /// <summary>Multiclass classification: <c>mlContext.MulticlassClassification</c>. The stand-in evaluates; it has no trainers.</summary>
    public sealed class MulticlassClassificationCatalog : IInternalCatalog
    {
        private readonly IHostEnvironment _env;

        internal MulticlassClassificationCatalog(IHostEnvironment env)
        {
            _env = env;
        }

        IHostEnvironment IInternalCatalog.Environment => _env;

        /// <summary>
        /// Evaluates scored data: a key (or Single) label, a known-size Single vector of class scores and a predicted label column.
        /// As in ML.NET, the predicted class is the highest score (the first on ties), and log-loss clips probabilities at 1e-15.
        /// </summary>
        public MulticlassClassificationMetrics Evaluate(IDataView data, string labelColumnName = "Label", string scoreColumnName = "Score",
            string predictedLabelColumnName = "PredictedLabel", int topKPredictionCount = 0) =>
            MulticlassEvaluator.Evaluate(data, labelColumnName, scoreColumnName, predictedLabelColumnName, topKPredictionCount);
    }

    /// <summary>Operations on models: <c>mlContext.Model</c>. The stand-in cannot write model files.</summary>
    public sealed class ModelOperationsCatalog : IInternalCatalog
    {
        private readonly IHostEnvironment _env;

        internal ModelOperationsCatalog(IHostEnvironment env)
        {
            _env = env;
        }

        IHostEnvironment IInternalCatalog.Environment => _env;

        /// <summary>Lets <paramref name="model"/> save itself, as ML.NET does (so its own refusal surfaces), then refuses: the stand-in writes no model files.</summary>
        public void Save(ITransformer model, DataViewSchema? inputSchema, Stream stream)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(stream);
            using (var context = new ModelSaveContext())
                model.Save(context);
            throw new NotSupportedException("The ML.NET stand-in cannot write model files; build against the real Microsoft.ML package to save models.");
        }

        /// <summary>Like <see cref="Save(ITransformer, DataViewSchema, Stream)"/>, to a file.</summary>
        public void Save(ITransformer model, DataViewSchema? inputSchema, string filePath)
        {
            ArgumentException.ThrowIfNullOrEmpty(filePath);
            Save(model, inputSchema, Stream.Null);
        }
    }

    /// <summary>Key and type conversions on <see cref="TransformsCatalog.ConversionTransforms"/>.</summary>
    public static class ConversionsExtensionsCatalog
    {
        /// <summary>
        /// Maps the values of <paramref name="inputColumnName"/> (default: <paramref name="outputColumnName"/>) to keys 1..count
        /// learned at fit time, with the values in key order as the "KeyValues" annotation.
        /// </summary>
        public static ValueToKeyMappingEstimator MapValueToKey(this TransformsCatalog.ConversionTransforms catalog,
            string outputColumnName,
            string? inputColumnName = null,
            int maximumNumberOfKeys = 1000000,
            ValueToKeyMappingEstimator.KeyOrdinality keyOrdinality = ValueToKeyMappingEstimator.KeyOrdinality.ByOccurrence,
            bool addKeyValueAnnotationsAsText = false,
            IDataView? keyData = null)
        {
            ArgumentNullException.ThrowIfNull(catalog);
            return new ValueToKeyMappingEstimator(outputColumnName, inputColumnName, maximumNumberOfKeys, keyOrdinality, addKeyValueAnnotationsAsText, keyData);
        }

        /// <summary>Maps the keys of <paramref name="inputColumnName"/> (default: <paramref name="outputColumnName"/>) back to their values.</summary>
        public static KeyToValueMappingEstimator MapKeyToValue(this TransformsCatalog.ConversionTransforms catalog, string outputColumnName, string? inputColumnName = null)
        {
            ArgumentNullException.ThrowIfNull(catalog);
            return new KeyToValueMappingEstimator(outputColumnName, inputColumnName);
        }
    }

    /// <summary>Column operations on <see cref="TransformsCatalog"/>.</summary>
    public static class TransformExtensionsCatalog
    {
        /// <summary>Concatenates <paramref name="inputColumnNames"/> into one vector column.</summary>
        public static ColumnConcatenatingEstimator Concatenate(this TransformsCatalog catalog, string outputColumnName, params string[] inputColumnNames)
        {
            ArgumentNullException.ThrowIfNull(catalog);
            return new ColumnConcatenatingEstimator(outputColumnName, inputColumnNames);
        }
    }

    /// <summary>Binary saving and loading of data views. The stand-in's format round-trips within the stand-in only.</summary>
    public static class BinaryLoaderSaverCatalog
    {
        /// <summary>Writes <paramref name="data"/> (hidden columns only when <paramref name="keepHidden"/>) with column types and annotations.</summary>
        public static void SaveAsBinary(this DataOperationsCatalog catalog, IDataView data, Stream stream, bool keepHidden = false)
        {
            ArgumentNullException.ThrowIfNull(catalog);
            ArgumentNullException.ThrowIfNull(data);
            ArgumentNullException.ThrowIfNull(stream);
            BinaryFormat.Save(data, stream, keepHidden);
        }

        /// <summary>Reads a data view written by <see cref="SaveAsBinary"/>.</summary>
        public static IDataView LoadFromBinary(this DataOperationsCatalog catalog, string path)
        {
            ArgumentNullException.ThrowIfNull(catalog);
            ArgumentException.ThrowIfNullOrEmpty(path);
            using FileStream stream = File.OpenRead(path);
            return BinaryFormat.Load(stream);
        }
    }

    /// <summary>Chains estimators and transformers.</summary>
    public static class LearningPipelineExtensions
    {
        /// <summary>A chain of <paramref name="start"/> followed by <paramref name="estimator"/>.</summary>
        public static EstimatorChain<TTrans> Append<TTrans>(this IEstimator<ITransformer> start, IEstimator<TTrans> estimator,
            TransformerScope scope = TransformerScope.Everything)
            where TTrans : class, ITransformer
        {
            ArgumentNullException.ThrowIfNull(start);
            ArgumentNullException.ThrowIfNull(estimator);
            return new EstimatorChain<ITransformer>().Append(start).Append(estimator, scope);
        }

        /// <summary>A chain of <paramref name="start"/> followed by <paramref name="transformer"/>.</summary>
        public static TransformerChain<TTrans> Append<TTrans>(this ITransformer start, TTrans transformer)
            where TTrans : class, ITransformer
        {
            ArgumentNullException.ThrowIfNull(start);
            ArgumentNullException.ThrowIfNull(transformer);
            return new TransformerChain<TTrans>(start, transformer);
        }
    }
}
