using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// How the experts of trajectory matching train on the real data (<see cref="ExpertTrajectories.Train"/>); the defaults
/// are the reference's (buffer.py) except <see cref="Experts"/>.
/// </summary>
public sealed class ExpertTrainingOptions
{
    /// <summary>Networks trained, each from its own random initialisation (the reference: 100).</summary>
    public int Experts { get; set; } = 10;

    /// <summary>Epochs each expert trains; its parameters are recorded before the first and after every one (the reference: 50).</summary>
    public int Epochs { get; set; } = 50;

    /// <summary>The rate of plain SGD (no momentum, no weight decay) on the expert's weights (the reference: 0.01).</summary>
    public float LearningRate { get; set; } = 0.01f;

    /// <summary>Real examples per mini-batch (the reference: 256).</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>Augmentation of every real mini-batch, drawn per image (the reference trains its experts with DSA); null augments nothing.</summary>
    public DsaOptions? Augmentation { get; set; } = new();

    /// <summary>How the experts' initial weights are drawn (the reference: PyTorch's default).</summary>
    public InitScheme InitScheme { get; set; } = InitScheme.PyTorchDefault;

    /// <summary>Seed of the initialisations, shuffles and augmentations; expert e's epoch t always draws the same.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Threads the tensor ops may use; null uses one per processor (the result is the same bits for any number).</summary>
    public int? Threads { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Experts, 1, nameof(Experts));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a positive number.");
        }

        if (Threads is int threads)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(Threads));
        }

        Augmentation?.Transforms();
    }

    /// <summary>The settings beyond <see cref="Epochs"/> that a trajectory file records and a resumed training must match (<see cref="Experts"/> may grow).</summary>
    internal (string Name, double Value)[] Fingerprint() =>
    [
        (nameof(LearningRate), LearningRate), (nameof(BatchSize), BatchSize),
        (nameof(Augmentation), MatchingOptions.Checksum(Augmentation)), (nameof(InitScheme), (int)InitScheme), (nameof(Seed), Seed),
    ];
}

/// <summary>Progress of expert training, reported after every epoch.</summary>
/// <param name="EpochsDone">Epochs finished over all experts, those of a resumed file included.</param>
/// <param name="TotalEpochs">Epochs of the whole training: experts × epochs.</param>
/// <param name="Expert">The expert that finished an epoch (1-based).</param>
/// <param name="Epoch">The epoch it finished (1-based).</param>
/// <param name="Weights">A copy of the expert's flat parameters after that epoch.</param>
public readonly record struct ExpertTrainingProgress(int EpochsDone, int TotalEpochs, int Expert, int Epoch, float[] Weights);

/// <summary>
/// The expert trajectories of matching training trajectories (Cazenavette et al., CVPR 2022): networks trained on the
/// real data with their flat parameters θ*_t recorded at every epoch t = 0 … Epochs. Training them costs far more than
/// reading them, so they are trained once, saved in a checksummed file and reused by every distillation run.
/// </summary>
/// <remarks>
/// The file ("MLET" format version 1 in the library's checksummed frame, little-endian, written atomically) holds the
/// parameter count, a checksum of the network's layout and of the training data, the training settings, the number of
/// finished experts and the snapshots of each expert, epoch after epoch, plus those of an expert still in training. It
/// is rewritten after every epoch, so it is also the checkpoint of the training.
/// </remarks>
public sealed class ExpertTrajectories
{
    private static readonly FileFormat Format = new("MLET", "expert trajectory file", 1);

    private readonly List<List<float[]>> trajectories; // the last one may be unfinished: fewer than Epochs + 1 snapshots
    private readonly (string Name, double Value)[] settings;

    private ExpertTrajectories(int parameterCount, uint inputChecksum, int epochs, (string Name, double Value)[] settings, List<List<float[]>> trajectories)
    {
        ParameterCount = parameterCount;
        InputChecksum = inputChecksum;
        Epochs = epochs;
        this.settings = settings;
        this.trajectories = trajectories;
    }

    /// <summary>Experts whose training finished; only these are matched.</summary>
    public int ExpertCount => trajectories.Count(t => t.Count == Epochs + 1);

    /// <summary>Epochs each expert trains: its trajectory holds Epochs + 1 snapshots.</summary>
    public int Epochs { get; }

    /// <summary>Length of one snapshot: the network's parameter count.</summary>
    public int ParameterCount { get; }

    /// <summary>CRC-32 of the network's layout and the training data the experts were trained for.</summary>
    internal uint InputChecksum { get; }

    /// <summary>A copy of the flat parameters of finished expert <paramref name="expert"/> after <paramref name="epoch"/> epochs (0: its initialisation).</summary>
    public float[] Parameters(int expert, int epoch) => [.. Snapshot(expert, epoch)];

    /// <summary>The parameters of finished expert <paramref name="expert"/> after <paramref name="epoch"/> epochs, without a copy.</summary>
    internal ReadOnlySpan<float> Snapshot(int expert, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expert);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(expert, ExpertCount);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epoch, Epochs);
        return trajectories[expert][epoch];
    }

    /// <summary>The finished experts' snapshots, for checksums of runs that match them (an expert still in training is not matched).</summary>
    internal IEnumerable<float[]> FinishedSnapshots => trajectories.Where(t => t.Count == Epochs + 1).SelectMany(t => t);

    /// <summary>
    /// Trains <see cref="ExpertTrainingOptions.Experts"/> networks on <paramref name="real"/> with plain SGD in shuffled,
    /// augmented mini-batches, recording their parameters at every epoch. With a <paramref name="path"/>, the file is
    /// written after every epoch and, when it already exists, training continues from it (a finished file is returned
    /// as it is, more experts are added when more are asked for); a run stopped by cancellation keeps every finished epoch.
    /// </summary>
    /// <exception cref="ArgumentException">The network does not fit the data, or the trajectories would not fit one file.</exception>
    /// <exception cref="InvalidDataException">The file at <paramref name="path"/> is damaged or was trained for another network, other data or other settings.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (checked before every mini-batch; the epoch under way is dropped).</exception>
    public static ExpertTrajectories Train(
        Network network, LabeledExamples real, ExpertTrainingOptions options, string? path = null,
        IProgress<ExpertTrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        DatasetDistiller.CheckNetworkFitsData(network, real);
        long bytes = (long)options.Experts * (options.Epochs + 1) * network.ParameterCount * sizeof(float);
        if (bytes > Array.MaxLength)
        {
            throw new ArgumentException(
                $"{options.Experts} experts of {options.Epochs + 1} snapshots of {network.ParameterCount} parameters take {bytes >> 20} MiB, more than one trajectory file holds (2 GiB): train fewer experts or epochs.",
                nameof(options));
        }

        uint inputChecksum = DatasetDistiller.NetworkAndDataChecksum(network, real);
        ExpertTrajectories experts = path is not null && File.Exists(path)
            ? Load(path).CheckedFor(path, network.ParameterCount, inputChecksum, options)
            : new ExpertTrajectories(network.ParameterCount, inputChecksum, options.Epochs, options.Fingerprint(), []);

        using Autodiff.TensorThreads.Scope threads = Autodiff.TensorThreads.Limit(options.Threads);
        var training = new MinibatchTraining { BatchSize = options.BatchSize, Momentum = 0f, WeightDecay = 0f, Augmentation = options.Augmentation };
        var oneEpoch = new DistilledDataset(real.Features, real.Labels, real.ExampleShape, real.ClassCount, steps: 1, epochs: 1, [options.LearningRate]);
        int total = options.Experts * options.Epochs;
        for (int e = 0; e < options.Experts; e++)
        {
            if (e == experts.trajectories.Count)
            {
                experts.trajectories.Add([Initialization.Draw(network, options.InitScheme, Seeds.Random(options.Seed, Seeds.Stream.ExpertInitialization, e))]);
            }

            List<float[]> trajectory = experts.trajectories[e];
            while (trajectory.Count <= options.Epochs)
            {
                int epoch = trajectory.Count; // 1-based number of the epoch about to run
                Random random = Seeds.Random(options.Seed, Seeds.Stream.ExpertTraining, e * options.Epochs + epoch - 1);
                trajectory.Add(Evaluation.TrainWithMinibatches(network, oneEpoch, trajectory[^1], training, random, cancellationToken));
                if (path is not null)
                {
                    experts.Save(path);
                }

                progress?.Report(new ExpertTrainingProgress(e * options.Epochs + epoch, total, e + 1, epoch, [.. trajectory[^1]]));
            }
        }

        return experts;
    }

    /// <summary>Writes the trajectories to <paramref name="path"/> atomically (see the remarks for the format).</summary>
    public void Save(string path) => FramedFile.Save(path, Format, writer =>
    {
        writer.Write(ParameterCount);
        writer.Write(InputChecksum);
        writer.Write(Epochs);
        foreach ((string _, double value) in settings)
        {
            writer.Write(value);
        }

        writer.Write(trajectories.Count);
        foreach (List<float[]> trajectory in trajectories)
        {
            writer.Write(trajectory.Count);
            foreach (float[] snapshot in trajectory)
            {
                DistilledDataset.WriteFloats(writer, snapshot);
            }
        }
    });

    /// <summary>Reads trajectories written by <see cref="Save"/> or <see cref="Train"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an expert trajectory file, or is damaged or truncated (the message names the field).</exception>
    public static ExpertTrajectories Load(string path) => FramedFile.Load(path, Format, payload =>
    {
        var reader = new PayloadReader(payload.Bytes);
        int parameterCount = reader.Count("parameter count", 1, int.MaxValue);
        uint inputChecksum = reader.UInt32("input checksum");
        int epochs = reader.Count("epoch count", 1, int.MaxValue);
        (string Name, double Value)[] settings = [.. new ExpertTrainingOptions().Fingerprint().Select(s => (s.Name, reader.Double(s.Name)))];
        int count = reader.Count("expert count", 0, int.MaxValue);
        var trajectories = new List<List<float[]>>(Math.Min(count, 1024));
        for (int e = 0; e < count; e++)
        {
            // Every expert but the last is finished; the last may still be in training.
            int snapshots = reader.Count($"snapshot count of expert {e}", e < count - 1 ? epochs + 1 : 1, epochs + 1);
            trajectories.Add([.. Enumerable.Range(0, snapshots).Select(t => reader.FiniteFloats(parameterCount, $"parameters of expert {e} at epoch {t}"))]);
        }

        reader.End("expert trajectories");
        return new ExpertTrajectories(parameterCount, inputChecksum, epochs, settings, trajectories);
    });

    /// <summary>This file, if it was trained for the network, data and settings given; else an exception naming what differs.</summary>
    private ExpertTrajectories CheckedFor(string path, int parameterCount, uint inputChecksum, ExpertTrainingOptions options)
    {
        if (parameterCount != ParameterCount || inputChecksum != InputChecksum)
        {
            throw new InvalidDataException(
                $"'{path}': the expert trajectories were trained for another network or other data: {ParameterCount} parameters and checksum {InputChecksum:X8}, " +
                $"but this network has {parameterCount} parameters and the network with this data gives {inputChecksum:X8}.");
        }

        string[] differences = [.. options.Fingerprint().Prepend((nameof(options.Epochs), options.Epochs)).Zip(settings.Prepend((nameof(Epochs), Epochs)))
            .Where(pair => pair.First.Value != pair.Second.Value)
            .Select(pair => $"{pair.First.Name} {DatasetDistiller.SettingText(pair.First.Value)} (file: {DatasetDistiller.SettingText(pair.Second.Value)})")];
        return differences.Length == 0
            ? this
            : throw new InvalidDataException($"'{path}': the expert trajectories were trained with other settings: {string.Join(", ", differences)}.");
    }
}
