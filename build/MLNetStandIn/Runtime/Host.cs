namespace Microsoft.ML.Runtime;

/// <summary>Turns exceptions into ones that carry the context they were raised in.</summary>
public interface IExceptionContext
{
    /// <summary>Adds context to <paramref name="ex"/> and returns it.</summary>
    TException Process<TException>(TException ex)
        where TException : Exception;

    /// <summary>A description of the context.</summary>
    string ContextDescription { get; }
}

/// <summary>Starts message channels. (The real interface also has <c>StartPipe</c>, which the stand-in lacks.)</summary>
public interface IChannelProvider : IExceptionContext
{
    /// <summary>Starts a channel called <paramref name="name"/>.</summary>
    IChannel Start(string name);
}

/// <summary>
/// The environment components run in. The stand-in has what components outside ML.NET can use:
/// <see cref="Register"/> and <see cref="IChannelProvider.Start"/> (the real one also has a component catalog and progress channels).
/// </summary>
public interface IHostEnvironment : IChannelProvider
{
    /// <summary>Creates a host for a component called <paramref name="name"/>.</summary>
    IHost Register(string name, int? seed = null, bool? verbose = null);
}

/// <summary>The environment of one component, with its own random numbers.</summary>
public interface IHost : IHostEnvironment
{
    /// <summary>The component's random number generator (not thread safe).</summary>
    Random Rand { get; }
}

/// <summary>A channel of messages; dispose it when done.</summary>
public interface IPipe<TMessage> : IExceptionContext, IDisposable
{
    /// <summary>Sends a message.</summary>
    void Send(TMessage msg);
}

/// <summary>The kinds of channel messages.</summary>
public enum ChannelMessageKind
{
    /// <summary>Detailed tracing.</summary>
    Trace = 0,

    /// <summary>Information.</summary>
    Info = 1,

    /// <summary>A warning.</summary>
    Warning = 2,

    /// <summary>An error.</summary>
    Error = 3,
}

/// <summary>What sensitive data a message may hold.</summary>
[Flags]
public enum MessageSensitivity
{
    /// <summary>Nothing sensitive.</summary>
    None = 0,

    /// <summary>May hold user data.</summary>
    UserData = 0x1,

    /// <summary>May hold schema information such as column names.</summary>
    Schema = 0x2,

    /// <summary>Unknown: treated as everything.</summary>
    Unknown = ~None,

    /// <summary>Everything.</summary>
    All = Unknown,
}

/// <summary>A message sent on a channel.</summary>
public readonly struct ChannelMessage
{
    private readonly string _message;
    private readonly object?[]? _args;

    internal ChannelMessage(ChannelMessageKind kind, MessageSensitivity sensitivity, string message, object?[]? args = null)
    {
        if (string.IsNullOrEmpty(message))
            throw new ArgumentException("Must be non-empty", nameof(message));
        Kind = kind;
        Sensitivity = sensitivity;
        _message = message;
        _args = args;
    }

    /// <summary>The kind of message.</summary>
    public readonly ChannelMessageKind Kind;

    /// <summary>The sensitivity of the message.</summary>
    public readonly MessageSensitivity Sensitivity;

    /// <summary>The text of the message, formatted when it was sent with arguments.</summary>
    public string Message => _args != null ? string.Format(_message, _args) : _message;
}

/// <summary>A channel of text messages, whose messages reach <see cref="MLContext.Log"/>.</summary>
public interface IChannel : IPipe<ChannelMessage>
{
    /// <summary>Sends a trace message.</summary>
    void Trace(MessageSensitivity sensitivity, string fmt);

    /// <summary>Sends a formatted trace message.</summary>
    void Trace(MessageSensitivity sensitivity, string fmt, params object?[] args);

    /// <summary>Sends an error message.</summary>
    void Error(MessageSensitivity sensitivity, string fmt);

    /// <summary>Sends a formatted error message.</summary>
    void Error(MessageSensitivity sensitivity, string fmt, params object?[] args);

    /// <summary>Sends a warning.</summary>
    void Warning(MessageSensitivity sensitivity, string fmt);

    /// <summary>Sends a formatted warning.</summary>
    void Warning(MessageSensitivity sensitivity, string fmt, params object?[] args);

    /// <summary>Sends an information message.</summary>
    void Info(MessageSensitivity sensitivity, string fmt);

    /// <summary>Sends a formatted information message.</summary>
    void Info(MessageSensitivity sensitivity, string fmt, params object?[] args);
}
