// Distils MNIST with Microsoft.ML.DatasetDistillation: learns a few synthetic images per digit and a learning-rate
// schedule such that a few gradient steps on them train LeNet to classify the real test set.
//
//   dotnet run -c Release --project src/Samples/MnistDistillation -- --init fixed
//
// Exit codes: 0 done, 1 bad arguments or data or a diverged run, 130 stopped by Ctrl+C (a checkpoint is written; --resume continues).

using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using Microsoft.ML.DatasetDistillation.Distillation;
using MnistDistillation;

ParseResult parsed = CommandLine.Create(options => Run(options, args)).Parse(args);
if (parsed.Action is ParseErrorAction parseError)
{
    parseError.ShowHelp = false; // the error alone; --help shows the options
}

return parsed.Invoke();

static int Run(SampleOptions options, string[] args)
{
    using var stop = new CancellationTokenSource();
    // The first Ctrl+C (or SIGTERM, as CI systems send) stops after the iteration, or the mini-batch of expert or test
    // training, under way; a second one ends the process at once.
    ConsoleCancelEventHandler onCancelKey = (_, e) =>
    {
        e.Cancel = !stop.IsCancellationRequested;
        stop.Cancel();
    };
    Console.CancelKeyPress += onCancelKey;
    using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = !stop.IsCancellationRequested;
        stop.Cancel();
    });

    RunConsole console = RunConsole.Create(options.Iterations);
    try
    {
        return new DistillationJob(options, args, console, stop.Token).Execute();
    }
    catch (Exception e) when (e is SampleException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException
        or DistillationDivergedException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
    finally
    {
        Console.CancelKeyPress -= onCancelKey;
    }
}
