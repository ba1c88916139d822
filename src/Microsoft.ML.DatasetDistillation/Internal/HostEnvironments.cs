using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>
/// What the layer takes from the <see cref="MLContext"/> behind a catalog: its log and its random source. The public API
/// offers no way to reach the <see cref="IHostEnvironment"/> of a catalog, so it is read through ML.NET's internal
/// interface <c>Microsoft.ML.Data.IInternalCatalog</c> (property <c>Environment</c>) by reflection. When that fails (a
/// future ML.NET changes it), the layer runs without logging and draws unseeded.
/// </summary>
internal static class HostEnvironments
{
    public static IHostEnvironment? TryGet(object catalog)
    {
        try
        {
            Type? contract = catalog.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == "Microsoft.ML.Data.IInternalCatalog");
            PropertyInfo? property = contract?.GetProperty("Environment", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            return property?.GetValue(catalog) as IHostEnvironment;
        }
        catch (Exception e) when (e is TargetInvocationException or MemberAccessException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts a channel of the environment itself, so that <c>MLContext.Log</c> shows <paramref name="component"/> alone as the
    /// source; null when there is no environment or starting fails.
    /// </summary>
    public static IChannel? TryStartChannel(IHostEnvironment? environment, string component)
    {
        if (environment is null)
        {
            return null;
        }

        try
        {
            return environment.Start(component);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// A seed drawn from the environment's random source, as ML.NET's own components draw theirs: the same
    /// <c>new MLContext(seed: n)</c> and the same calls before give the same seed; an unseeded context gives a random one.
    /// </summary>
    public static int DrawSeed(IHostEnvironment? environment, string component) =>
        environment is null ? Random.Shared.Next() : environment.Register(component).Rand.Next();

    /// <summary>A message for <c>MLContext.Log</c> at Info level.</summary>
    public static void Log(this IChannel? channel, string message) => channel?.Info(MessageSensitivity.None, message);

    /// <summary>A message for <c>MLContext.Log</c> at Trace level: per-iteration detail.</summary>
    public static void Detail(this IChannel? channel, string message) => channel?.Trace(MessageSensitivity.None, message);
}
