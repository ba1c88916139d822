using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.IO;

namespace Microsoft.ML.DatasetDistillation.Distillation;

// Checkpoints: the state that lets a run stop and continue exactly.
public sealed partial class DatasetDistiller
{
    private uint? inputChecksum;

    /// <summary>
    /// Writes everything needed to continue this run exactly: the iteration, x̃, r (and ỹ when learned), Adam's moments and the best snapshot
    /// kept so far, plus what must match on resume: the settings and a checksum of the network's layout, the training examples
    /// and the pretrained weights ("MLDC" format version 6 in the library's checksummed frame, little-endian, written atomically).
    /// </summary>
    public void SaveCheckpoint(string path) => FramedFile.Save(path, CheckpointFormat, writer =>
    {
        foreach ((string _, double value) in Fingerprint())
        {
            writer.Write(value);
        }

        writer.Write(InputChecksum());
        writer.Write(Iteration);
        writer.Write(adam.StepCount);
        foreach (float[] buffer in Parameters.Select(p => p.ToArray()).Concat(adam.State))
        {
            writer.Write(buffer.Length);
            DistilledDataset.WriteFloats(writer, buffer);
        }

        writer.Write(best is null ? -1 : bestIteration);
        if (best is not null)
        {
            writer.Write(bestAccuracy);
            DistilledDataset.WriteFloats(writer, best.Examples.Features);
            DistilledDataset.WriteFloats(writer, best.LearningRates);
            DistilledDataset.WriteFloats(writer, best.SoftLabels ?? []);
        }
    });

    /// <summary>Continues a run from a checkpoint written by <see cref="SaveCheckpoint"/> with the same settings and data.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this format, is damaged or truncated, or was written
    /// for other settings (the message names them), another network or other data. The run is left as it was.</exception>
    public void LoadCheckpoint(string path) => FramedFile.Load(path, CheckpointFormat, payload =>
    {
        var reader = new PayloadReader(payload.Bytes);
        string[] differences = Fingerprint()
            .Select(setting => (setting.Name, setting.Value, Saved: reader.Double(setting.Name)))
            .Where(setting => setting.Saved != setting.Value)
            .Select(setting => $"{setting.Name} {setting.Value:G7} (checkpoint: {setting.Saved:G7})")
            .ToArray();
        if (differences.Length > 0)
        {
            throw new InvalidDataException($"It was written for other settings or data: {string.Join(", ", differences)}.");
        }

        uint saved = reader.UInt32("input checksum"), current = InputChecksum();
        if (saved != current)
        {
            throw new InvalidDataException(
                $"It was written for other data: the checksum of the network's layout, the training examples and their labels and the pretrained weights is {current:X8}, the checkpoint's {saved:X8}.");
        }

        int iteration = reader.Count("iteration", 0, int.MaxValue), adamSteps = reader.Count("Adam step count", 0, int.MaxValue);
        Tensor[] leaves = Parameters;
        var buffers = new float[3 * leaves.Length][]; // the leaves' values, then Adam's first and second moments
        for (int i = 0; i < buffers.Length; i++)
        {
            int length = leaves[i % leaves.Length].Length;
            string field = $"buffer {i}";
            reader.Count($"length of {field}", length, length);
            buffers[i] = reader.FiniteFloats(length, field);
        }

        int keptIteration = reader.Count("kept iteration", -1, iteration);
        (double Accuracy, DistilledDataset Snapshot)? kept = null;
        if (keptIteration >= 0)
        {
            double accuracy = reader.Double("kept accuracy");
            float[] features = reader.FiniteFloats(data.Sum(d => (long)d.Length), "kept features");
            float[] rates = reader.FiniteFloats(options.TotalSteps, "kept learning rates");
            float[]? softLabels = options.LearnLabels ? reader.FiniteFloats(targets.Sum(y => (long)y.Length), "kept soft labels") : null;
            kept = (accuracy, SnapshotOf(features, rates, softLabels));
        }

        reader.End("checkpoint");

        // Nothing changes until the whole file has been read and checked.
        for (int i = 0; i < leaves.Length; i++)
        {
            buffers[i].CopyTo(leaves[i].Data);
        }

        adam.Restore(buffers[leaves.Length..], adamSteps);
        (best, bestAccuracy, bestIteration) = kept is { } k ? (k.Snapshot, k.Accuracy, keptIteration) : (null, 0, 0);
        Iteration = iteration;
        return 0;
    });

    // Version 5, written before the checksummed frame, is still read (its payload is the same).
    private static readonly FileFormat CheckpointFormat = new("MLDC", "distillation checkpoint", 6) { OldestVersion = 5, FirstFramedVersion = 6 };

    /// <summary>
    /// CRC-32 of what the fingerprint's counts cannot tell apart: the network's parameter layout, the shape, values and
    /// labels of the training examples and, with pretrained initialisation, the pretrained weights. Computed once, when a
    /// checkpoint is first saved or loaded.
    /// </summary>
    private uint InputChecksum()
    {
        if (inputChecksum is null)
        {
            string layout = string.Join(";", network.Parameters.Select(p => $"{p.Name}{Tensor.ShapeText(p.Shape)}")) + ";examples" + Tensor.ShapeText(real.ExampleShape);
            uint crc = Crc32.Append(0, Encoding.UTF8.GetBytes(layout));
            crc = Crc32.Append(Crc32.Append(crc, MemoryMarshal.AsBytes(real.Features.AsSpan())), MemoryMarshal.AsBytes(real.Labels.AsSpan()));
            IEnumerable<float[]> pretrained = options.Initialization == InitializationMode.Pretrained ? options.PretrainedWeights! : [];
            foreach (float[] weights in pretrained)
            {
                crc = Crc32.Append(crc, MemoryMarshal.AsBytes(weights.AsSpan()));
            }

            inputChecksum = crc;
        }

        return inputChecksum.Value;
    }

    /// <summary>Everything a checkpoint is only valid for (the iteration count may grow on resume).</summary>
    private (string Name, double Value)[] Fingerprint() =>
    [
        (nameof(options.Steps), options.Steps), (nameof(options.Epochs), options.Epochs),
        (nameof(options.ExamplesPerClassPerStep), options.ExamplesPerClassPerStep), ("classes", real.ClassCount), ("example size", real.ExampleSize),
        ("real examples", real.Count), (nameof(options.Seed), options.Seed), (nameof(options.Initialization), (int)options.Initialization),
        (nameof(options.InitScheme), (int)options.InitScheme), (nameof(options.RealBatchSize), options.RealBatchSize),
        (nameof(options.LearningRate), options.LearningRate), (nameof(options.InitialStepLearningRate), options.InitialStepLearningRate),
        (nameof(options.AdamBeta1), options.AdamBeta1), (nameof(options.AdamBeta2), options.AdamBeta2),
        (nameof(options.DecayEveryEpochs), options.DecayEveryEpochs), (nameof(options.DecayFactor), options.DecayFactor),
        (nameof(options.NetworksPerIteration), options.NetworksPerIteration), (nameof(options.KeepBestEvery), options.KeepBestEvery),
        (nameof(options.KeepBestExamples), options.KeepBestExamples), (nameof(options.KeepBestNetworks), options.KeepBestNetworks),
        (nameof(options.LearnLabels), options.LearnLabels ? 1 : 0), (nameof(options.LabelLearningRateScale), options.EffectiveLabelLearningRateScale),
    ];
}
