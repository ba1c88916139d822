using System.Diagnostics;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.StandIn;

/// <summary>
/// The environment behind an <see cref="MLContext"/>: hosts and channels whose messages go to one listener,
/// named like ML.NET's ("host; channel").
/// </summary>
internal class HostEnvironment : IHostEnvironment
{
    private readonly Action<string, ChannelMessage> _listener;
    private readonly Random _random;

    public HostEnvironment(int? seed, Action<string, ChannelMessage> listener)
        : this(null, seed.HasValue ? new Random(seed.Value) : new Random(), listener)
    {
    }

    private protected HostEnvironment(string? fullName, Random random, Action<string, ChannelMessage> listener)
    {
        FullName = fullName;
        _random = random;
        _listener = listener;
    }

    protected string? FullName { get; }

    protected Random Random => _random;

    public string ContextDescription => FullName ?? "";

    public TException Process<TException>(TException ex)
        where TException : Exception => ex;

    public IHost Register(string name, int? seed = null, bool? verbose = null)
    {
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException("Must be non-empty", nameof(name));
        int hostSeed;
        lock (_random)
            hostSeed = seed ?? _random.Next();
        return new Host(Combine(name), new Random(hostSeed), _listener);
    }

    public IChannel Start(string name)
    {
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException("Must be non-empty", nameof(name));
        return new Channel(Combine(name), _listener);
    }

    private string Combine(string name) => FullName == null ? name : $"{FullName}; {name}";

    private sealed class Host : HostEnvironment, IHost
    {
        public Host(string fullName, Random random, Action<string, ChannelMessage> listener)
            : base(fullName, random, listener)
        {
        }

        public Random Rand => Random;
    }

    private sealed class Channel : IChannel
    {
        private readonly string _fullName;
        private readonly Action<string, ChannelMessage> _listener;
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private bool _disposed;

        public Channel(string fullName, Action<string, ChannelMessage> listener)
        {
            _fullName = fullName;
            _listener = listener;
            Trace(MessageSensitivity.None, "Channel started");
        }

        public string ContextDescription => _fullName;

        public TException Process<TException>(TException ex)
            where TException : Exception => ex;

        public void Send(ChannelMessage msg)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _listener(_fullName, msg);
        }

        public void Trace(MessageSensitivity sensitivity, string fmt) => Send(new ChannelMessage(ChannelMessageKind.Trace, sensitivity, fmt));

        public void Trace(MessageSensitivity sensitivity, string fmt, params object?[] args) => Send(new ChannelMessage(ChannelMessageKind.Trace, sensitivity, fmt, args));

        public void Error(MessageSensitivity sensitivity, string fmt) => Send(new ChannelMessage(ChannelMessageKind.Error, sensitivity, fmt));

        public void Error(MessageSensitivity sensitivity, string fmt, params object?[] args) => Send(new ChannelMessage(ChannelMessageKind.Error, sensitivity, fmt, args));

        public void Warning(MessageSensitivity sensitivity, string fmt) => Send(new ChannelMessage(ChannelMessageKind.Warning, sensitivity, fmt));

        public void Warning(MessageSensitivity sensitivity, string fmt, params object?[] args) => Send(new ChannelMessage(ChannelMessageKind.Warning, sensitivity, fmt, args));

        public void Info(MessageSensitivity sensitivity, string fmt) => Send(new ChannelMessage(ChannelMessageKind.Info, sensitivity, fmt));

        public void Info(MessageSensitivity sensitivity, string fmt, params object?[] args) => Send(new ChannelMessage(ChannelMessageKind.Info, sensitivity, fmt, args));

        public void Dispose()
        {
            if (_disposed)
                return;
            Trace(MessageSensitivity.None, "Channel finished. Elapsed {0:c}.", _watch.Elapsed);
            _disposed = true;
        }
    }
}
