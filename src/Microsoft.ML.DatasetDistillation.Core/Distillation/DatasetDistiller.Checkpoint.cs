using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

// Checkpoints: the state that lets a run stop and continue exactly, whatever the method.
public sealed partial class DatasetDistiller
{
    private uint? inputChecksum;

    /// <summary>
    /// Writes everything needed to continue this run exactly: the method, the iteration, the learned values (the paper's
    /// x̃, r and ỹ when learned; the matching methods' synthetic examples), the optimiser's state and the best snapshot
    /// kept so far, plus what must match on resume: the settings and a checksum of the network's layout, the training
    /// examples and the pretrained weights ("MLDC" format version 7 in the library's checksummed frame, little-endian,
    /// written atomically).
    /// </summary>
    public void SaveCheckpoint(string path) => FramedFile.Save(path, CheckpointFormat, writer =>
    {
        writer.Write((int)objective.Algorithm);
        foreach ((string _, double value) in objective.Fingerprint())
        {
            writer.Write(value);
        }

        writer.Write(InputChecksum());
        writer.Write(Iteration);
        writer.Write(optimizer.StepCount);
        foreach (float[] buffer in objective.Parameters.Select(p => p.ToArray()).Concat(optimizer.State))
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

    /// <summary>Continues a run from a checkpoint written by <see cref="SaveCheckpoint"/> with the same method, settings and data.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this format, is damaged or truncated, or was written
    /// by another method or for other settings (the message names them), another network or other data. The run is left as it was.</exception>
    public void LoadCheckpoint(string path) => FramedFile.Load(path, CheckpointFormat, payload =>
    {
        var reader = new PayloadReader(payload.Bytes);

        // Versions 5 and 6 come before the method was recorded: only the paper's method wrote them.
        var algorithm = payload.Version >= 7
            ? (DistillationAlgorithm)reader.Count("method", 0, Enum.GetValues<DistillationAlgorithm>().Length - 1)
            : DistillationAlgorithm.Unrolled;
        if (algorithm != objective.Algorithm)
        {
            throw new InvalidDataException($"It was written by the {algorithm} method, and this run is {objective.Algorithm}.");
        }

        string[] differences = objective.Fingerprint()
            .Select(setting => (setting.Name, setting.Value, Saved: reader.Double(setting.Name)))
            .Where(setting => setting.Saved != setting.Value)
            .Select(setting => $"{setting.Name} {SettingText(setting.Value)} (checkpoint: {SettingText(setting.Saved)})")
            .ToArray();
        if (differences.Length > 0)
        {
            throw new InvalidDataException($"It was written for other settings or data: {string.Join(", ", differences)}.");
        }

        uint saved = reader.UInt32("input checksum"), current = InputChecksum();
        if (saved != current)
        {
            throw new InvalidDataException(
                $"It was written for other data: the checksum of the network's layout, the training examples and their labels (an attack's relabelling included) and the pretrained weights is {current:X8}, the checkpoint's {saved:X8}.");
        }

        int iteration = reader.Count("iteration", 0, int.MaxValue), optimizerSteps = reader.Count("optimizer step count", 0, int.MaxValue);
        Tensor[] leaves = objective.Parameters;
        int stateBuffers = optimizer.State.Count;
        var buffers = new float[leaves.Length + stateBuffers][]; // the leaves' values, then the optimiser's state, kind after kind
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
            DistilledDataset shape = objective.Snapshot();
            double accuracy = reader.Double("kept accuracy");
            float[] features = reader.FiniteFloats(shape.Examples.Features.Length, "kept features");
            float[] rates = reader.FiniteFloats(shape.LearningRates.Length, "kept learning rates");
            float[]? softLabels = shape.SoftLabels is { } soft ? reader.FiniteFloats(soft.Length, "kept soft labels") : null;
            kept = (accuracy, objective.SnapshotOf(features, rates, softLabels));
        }

        reader.End("checkpoint");

        // Nothing changes until the whole file has been read and checked.
        for (int i = 0; i < leaves.Length; i++)
        {
            leaves[i].CopyFrom(buffers[i]);
        }

        optimizer.Restore(buffers[leaves.Length..], optimizerSteps);
        (best, bestAccuracy, bestIteration) = kept is { } k ? (k.Snapshot, k.Accuracy, keptIteration) : (null, 0, 0);
        Iteration = iteration;
        return 0;
    });

    // Version 7 records the method; 6 (the paper's method only) is still read, and so is 5, written before the checksummed
    // frame (its payload is 6's).
    private static readonly FileFormat CheckpointFormat = new("MLDC", "distillation checkpoint", 7) { OldestVersion = 5, FirstFramedVersion = 6 };

    /// <summary>
    /// CRC-32 of what the fingerprint's counts cannot tell apart: the network's parameter layout, the shape, values and
    /// labels of the training examples and, with pretrained initialisation, the pretrained weights. Computed once, when a
    /// checkpoint is first saved or loaded.
    /// </summary>
    private uint InputChecksum()
    {
        if (inputChecksum is null)
        {
            uint crc = NetworkAndDataChecksum(objective.Network, objective.Real);
            foreach (float[] weights in objective.CheckedInputs)
            {
                crc = Crc32.Append(crc, MemoryMarshal.AsBytes(weights.AsSpan()));
            }

            inputChecksum = crc;
        }

        return inputChecksum.Value;
    }

    /// <summary>CRC-32 of the network's parameter layout and the shape, values and labels of <paramref name="examples"/>.</summary>
    internal static uint NetworkAndDataChecksum(Network network, LabeledExamples examples)
    {
        string layout = string.Join(";", network.Parameters.Select(p => $"{p.Name}{Tensor.ShapeText(p.Shape)}")) + ";examples" + Tensor.ShapeText(examples.ExampleShape);
        uint crc = Crc32.Append(0, Encoding.UTF8.GetBytes(layout));
        return Crc32.Append(Crc32.Append(crc, MemoryMarshal.AsBytes(examples.Features.AsSpan())), MemoryMarshal.AsBytes(examples.Labels.AsSpan()));
    }

    /// <summary>A recorded setting as a refusal names it: whole numbers (counts, seeds) in full, others to float precision.</summary>
    internal static string SettingText(double value) => Math.Abs(value) < 1e15 && value == Math.Round(value) ? $"{value:F0}" : $"{value:G7}";
}
