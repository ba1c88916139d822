using Microsoft.ML.Runtime;
using Microsoft.ML.StandIn;

namespace Microsoft.ML;

/// <summary>
/// The entry point of ML.NET: catalogs of operations, a seeded environment, and the <see cref="Log"/> event.
/// The stand-in has the data, transform, multiclass-evaluation and model-saving catalogs, and no trainers.
/// </summary>
public sealed class MLContext : IHostEnvironment
{
    private readonly HostEnvironment _env;

    /// <summary>Creates a context; a <paramref name="seed"/> makes its randomness repeatable.</summary>
    public MLContext(int? seed = null)
    {
        _env = new HostEnvironment(seed, OnMessage);
        MulticlassClassification = new MulticlassClassificationCatalog(_env);
        Transforms = new TransformsCatalog(_env);
        Model = new ModelOperationsCatalog(_env);
        Data = new DataOperationsCatalog(_env);
    }

    /// <summary>Multiclass classification tasks (evaluation, in the stand-in).</summary>
    public MulticlassClassificationCatalog MulticlassClassification { get; }

    /// <summary>Data processing operations.</summary>
    public TransformsCatalog Transforms { get; }

    /// <summary>Operations on trained models.</summary>
    public ModelOperationsCatalog Model { get; }

    /// <summary>Data loading and saving.</summary>
    public DataOperationsCatalog Data { get; }

    /// <summary>Receives every message sent on the channels of this context's environment.</summary>
    public event EventHandler<LoggingEventArgs>? Log;

    string IExceptionContext.ContextDescription => _env.ContextDescription;

    TException IExceptionContext.Process<TException>(TException ex) => _env.Process(ex);

    IHost IHostEnvironment.Register(string name, int? seed, bool? verbose) => _env.Register(name, seed, verbose);

    IChannel IChannelProvider.Start(string name) => _env.Start(name);

    private void OnMessage(string source, ChannelMessage message) =>
        Log?.Invoke(this, new LoggingEventArgs(message.Message, message.Kind, source));
}

/// <summary>The data of the <see cref="MLContext.Log"/> event.</summary>
public class LoggingEventArgs : EventArgs
{
    /// <summary>Creates event data holding only a message.</summary>
    public LoggingEventArgs(string message)
    {
        Message = message;
    }

    /// <summary>Creates event data for a message of <paramref name="kind"/> from <paramref name="source"/>.</summary>
    public LoggingEventArgs(string message, ChannelMessageKind kind, string source)
    {
        RawMessage = message;
        Kind = kind;
        Source = source;
        Message = $"[Source={Source}, Kind={Kind}] {RawMessage}";
    }

    /// <summary>The channel the message came from, "host; channel".</summary>
    public string? Source { get; }

    /// <summary>The kind of message.</summary>
    public ChannelMessageKind Kind { get; }

    /// <summary>The message, prefixed with its source and kind.</summary>
    public string Message { get; }

    /// <summary>The message as sent.</summary>
    public string? RawMessage { get; }
}
