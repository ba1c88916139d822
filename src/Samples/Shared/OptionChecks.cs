using System.CommandLine;

namespace DatasetDistillation.Samples;

/// <summary>Range checks for the samples' command-line options, so a bad value is an error that names the option.</summary>
internal static class OptionChecks
{
    public static Option<int> Positive(Option<int> option) => Check(option, v => v >= 1, "at least 1");

    public static Option<int> NonNegative(Option<int> option) => Check(option, v => v >= 0, "0 or more");

    /// <summary>An optional count: absent (null), or at least 1.</summary>
    public static Option<int?> Positive(Option<int?> option) => Check(option, v => v is not { } x || x >= 1, "at least 1");

    /// <summary>An optional count: absent (null), or 0 or more.</summary>
    public static Option<int?> NonNegative(Option<int?> option) => Check(option, v => v is not { } x || x >= 0, "0 or more");

    public static Option<float> PositiveReal(Option<float> option) => Check(option, v => v > 0 && float.IsFinite(v), "a positive number");

    /// <summary>An optional number: absent (null), or positive.</summary>
    public static Option<float?> PositiveReal(Option<float?> option) => Check(option, v => v is not { } x || (x > 0 && float.IsFinite(x)), "a positive number");

    /// <summary>Parses and runs <paramref name="command"/>: its action, --help, or a parse error alone (exit code 1) without the help text.</summary>
    public static int Invoke(Command command, string[] args)
    {
        ParseResult parsed = command.Parse(args);
        if (parsed.Action is System.CommandLine.Invocation.ParseErrorAction parseError)
        {
            parseError.ShowHelp = false; // the error alone; --help shows the options
        }

        return parsed.Invoke();
    }

    private static Option<T> Check<T>(Option<T> option, Func<T, bool> valid, string requirement)
    {
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not even a number: the parser reports that itself
            }

            if (!valid(value))
            {
                result.AddError($"{option.Name} must be {requirement}, but is {value}.");
            }
        });
        return option;
    }
}
