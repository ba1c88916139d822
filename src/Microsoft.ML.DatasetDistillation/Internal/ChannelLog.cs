using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>
/// Reaches the <see cref="IHostEnvironment"/> behind a catalog through ML.NET's internal interface
/// <c>Microsoft.ML.Data.IInternalCatalog</c> (property <c>Environment</c>), by reflection: the public API offers no way.
/// When that fails (a future ML.NET changes it), the layer runs without logging.
/// </summary>
internal static class ChannelLog
{
    public static IHostEnvironment? TryGetEnvironment(object catalog)
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

    /// <summary>Starts a channel, or returns null when there is no environment or starting fails.</summary>
    public static IChannel? TryStart(IHostEnvironment? environment, string component)
    {
        if (environment is null)
        {
            return null;
        }

        try
        {
            return environment.Register(component).Start(component);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    public static void Log(this IChannel? channel, string message) => channel?.Info(MessageSensitivity.None, message);
}
