using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MnistDistillation;

/// <summary>Where the run stands after an outer iteration, with the recent seconds per iteration the ETA is reckoned from.</summary>
internal readonly record struct IterationStatus(int Iteration, int Total, double Loss, double OuterLearningRate, double SecondsPerIteration)
{
    /// <summary>"loss 0.4321  0.31 s/iter  ETA 1:23".</summary>
    public string Numbers => $"loss {Loss:F4}  {Speed}";

    /// <summary>The whole status as one log line.</summary>
    public string Text =>
        $"iter {Iteration.ToString().PadLeft(Total.ToString().Length)}/{Total}  loss {Loss:F4}  outer lr {OuterLearningRate:G3}  {Speed}";

    private string Speed =>
        $"{SecondsPerIteration:F2} s/iter  ETA {RunConsole.Format(TimeSpan.FromSeconds((Total - Iteration) * SecondsPerIteration))}";
}

/// <summary>
/// The console side of a run: a live Spectre.Console progress bar in a terminal, plain log lines when the
/// output is redirected (CI logs, files), where a live display would only print escape codes or nothing.
/// </summary>
internal abstract class RunConsole
{
    public static RunConsole Create(int totalIterations)
    {
        bool live = !Console.IsOutputRedirected
            && AnsiConsole.Profile.Capabilities.Interactive
            && AnsiConsole.Profile.Capabilities.Ansi;
        // About 20 lines per run in a log, whatever its length.
        return live ? new LiveConsole() : new PlainConsole(Math.Clamp(totalIterations / 20, 1, 100));
    }

    /// <summary>Runs <paramref name="body"/> with the progress display up, starting at <paramref name="done"/> of <paramref name="total"/>.</summary>
    public abstract T Show<T>(int done, int total, Func<T> body);

    /// <summary>Reports a finished outer iteration.</summary>
    public abstract void Iteration(IterationStatus status);

    /// <summary>Reports an evaluation under way: <paramref name="done"/> of <paramref name="networks"/> networks trained and tested.</summary>
    public abstract void Evaluating(int done, int networks);

    /// <summary>A message that stays in the output (above the live bar in a terminal).</summary>
    public abstract void Line(string text);

    public static string Format(TimeSpan time) =>
        time.TotalHours >= 1 ? $"{(int)time.TotalHours}:{time:mm\\:ss}" : $"{time:m\\:ss}";

    /// <summary>"1 network", "10 networks": the count with its noun, plural where it is not one.</summary>
    public static string Counted(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    // Fits an 80-column terminal: "iter 120/400 ━━━━━━━━━━━━━━━━━━━━━━━━ loss 0.4321  0.31 s/iter  ETA 1:23".
    private sealed class LiveConsole : RunConsole
    {
        private ProgressTask? task;
        private volatile string numbers = "";
        private string iterationNumbers = "";

        public override T Show<T>(int done, int total, Func<T> body) =>
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new TextColumn(() => numbers))
                .Start(context =>
                {
                    task = context.AddTask(Counter(done, total), maxValue: total);
                    task.Value = done;
                    try
                    {
                        return body();
                    }
                    finally
                    {
                        task.StopTask();
                        task = null;
                        context.Refresh(); // show the last state also when the run stops with an exception (Ctrl+C)
                    }
                });

        public override void Iteration(IterationStatus status)
        {
            numbers = iterationNumbers = status.Numbers;
            if (task is not null)
            {
                task.Value = status.Iteration;
                task.Description = Counter(status.Iteration, status.Total);
            }
        }

        public override void Evaluating(int done, int networks) =>
            numbers = done < networks ? $"testing {done}/{networks}" : iterationNumbers;

        // While the bar is up, Spectre must write (it redraws the bar below); otherwise the terminal wraps long lines,
        // which keeps a printed command copyable.
        public override void Line(string text)
        {
            if (task is not null)
            {
                AnsiConsole.WriteLine(text);
            }
            else
            {
                Console.WriteLine(text);
            }
        }

        private static string Counter(int done, int total) => $"iter {done.ToString().PadLeft(total.ToString().Length)}/{total}";

        private sealed class TextColumn(Func<string> text) : ProgressColumn
        {
            protected override bool NoWrap => true;

            public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(text());
        }
    }

    // Every iteration whose line is due by count, or by time: iterations of minutes (DSA, MTT) get a line each.
    private sealed class PlainConsole(int every) : RunConsole
    {
        private static readonly TimeSpan LongestSilence = TimeSpan.FromMinutes(1);
        private readonly Stopwatch sinceLastLine = Stopwatch.StartNew();
        private int first;

        public override T Show<T>(int done, int total, Func<T> body)
        {
            first = done + 1;
            return body();
        }

        public override void Iteration(IterationStatus status)
        {
            if (status.Iteration % every == 0 || status.Iteration == status.Total || status.Iteration == first || sinceLastLine.Elapsed >= LongestSilence)
            {
                Line(status.Text);
            }
        }

        // A test says how far it is every tenth of its networks: the paper's 50 in seconds, the successor methods' 10 in an hour.
        public override void Evaluating(int done, int networks)
        {
            if (networks > 1 && done > 0 && done % Math.Max(1, networks / 10) == 0)
            {
                Line($"  tested {done}/{networks} networks");
            }
        }

        public override void Line(string text)
        {
            Console.WriteLine(text);
            sinceLastLine.Restart();
        }
    }
}
