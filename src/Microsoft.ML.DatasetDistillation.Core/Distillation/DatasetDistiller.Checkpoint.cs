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
    /// and the pretrained weights ("MLDC" format, little-endian, written atomically).
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        using var file = new AtomicFile(path);
        using (var writer = new BinaryWriter(file.Stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Encoding.ASCII.GetBytes(CheckpointMagic));
            writer.Write(CheckpointVersion);
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
        }

        file.Commit();
    }

    /// <summary>Continues a run from a checkpoint written by <see cref="SaveCheckpoint"/> with the same settings and data.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this format, is truncated, or was written for
    /// other settings (the message names them), another network or other data.</exception>
    public void LoadCheckpoint(string path)
    {
        using FileStream stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (Encoding.ASCII.GetString(reader.ReadBytes(4)) != CheckpointMagic)
            {
                throw new InvalidDataException($"'{path}' is not a distillation checkpoint.");
            }

            int version = reader.ReadInt32();
            if (version != CheckpointVersion)
            {
                throw new InvalidDataException(
                    $"'{path}' is a distillation checkpoint of format version {version}, but this version of the library reads version {CheckpointVersion} only; start afresh.");
            }

            string[] differences = Fingerprint()
                .Select(setting => (setting.Name, setting.Value, Saved: reader.ReadDouble()))
                .Where(setting => setting.Saved != setting.Value)
                .Select(setting => $"{setting.Name} {setting.Value:G7} (checkpoint: {setting.Saved:G7})")
                .ToArray();
            if (differences.Length > 0)
            {
                throw new InvalidDataException($"'{path}' was written for other settings or data: {string.Join(", ", differences)}.");
            }

            uint saved = reader.ReadUInt32(), current = InputChecksum();
            if (saved != current)
            {
                throw new InvalidDataException(
                    $"'{path}' was written for other data: the checksum of the network's layout, the training examples and their labels and the pretrained weights is {current:X8}, the checkpoint's {saved:X8}.");
            }

            int iteration = reader.ReadInt32(), adamSteps = reader.ReadInt32();
            Tensor[] leaves = Parameters;
            var buffers = new float[2 * leaves.Length][];
            for (int i = 0; i < leaves.Length + buffers.Length; i++)
            {
                int length = reader.ReadInt32();
                if (length != leaves[i % leaves.Length].Length)
                {
                    throw new InvalidDataException($"'{path}': buffer {i} has {length} values instead of {leaves[i % leaves.Length].Length}.");
                }

                float[] values = DistilledDataset.ReadFloats(reader, length);
                if (i < leaves.Length)
                {
                    values.CopyTo(leaves[i].Data);
                }
                else
                {
                    buffers[i - leaves.Length] = values;
                }
            }

            int keptIteration = reader.ReadInt32();
            if (keptIteration >= 0)
            {
                bestAccuracy = reader.ReadDouble();
                float[] features = DistilledDataset.ReadFloats(reader, data.Sum(d => d.Length));
                float[] rates = DistilledDataset.ReadFloats(reader, options.TotalSteps);
                best = SnapshotOf(features, rates, options.LearnLabels ? DistilledDataset.ReadFloats(reader, targets.Sum(y => y.Length)) : null);
                bestIteration = keptIteration;
            }

            adam.Restore(buffers, adamSteps);
            Iteration = iteration;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"'{path}' is truncated.");
        }
    }

    private const string CheckpointMagic = "MLDC";
    private const int CheckpointVersion = 5;

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
