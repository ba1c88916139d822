using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// What gradient matching and distribution matching share: the synthetic set S_c of each class c (fixed labels), SGD with
/// momentum on it, real batches drawn per class, siamese augmentation drawn per class, and how the result is packaged
/// and scored (trained by <see cref="MinibatchTraining"/>, as the papers evaluate).
/// </summary>
internal abstract class MatchingObjective : DistillationObjective
{
    private readonly MatchingOptions options;
    private readonly int[][] byClass;
    private readonly Tensor[] synthetic; // S_c, one leaf [ExamplesPerClass, ..shape] per class

    /// <summary>Checks the request and draws the initial synthetic examples of every class.</summary>
    /// <exception cref="ArgumentException">The network does not fit the data, or a class has too few examples to start from.</exception>
    protected MatchingObjective(Network network, LabeledExamples real, MatchingOptions options, string methodName)
        : base(network, real)
    {
        options.Validate();
        DatasetDistiller.CheckNetworkFitsData(network, real);
        this.options = options;
        byClass = Baselines.IndicesByClass(real);
        int smallest = Array.IndexOf(byClass, byClass.MinBy(b => b.Length));
        int needed = options.InitializeFromRealExamples ? options.ExamplesPerClass : 1;
        if (byClass[smallest].Length < needed)
        {
            throw new ArgumentException($"{methodName} needs {needed} examples of every class, but class {smallest} has {byClass[smallest].Length}.", nameof(real));
        }

        if (options.Augmentation is not null && real.ExampleShape.Length != 3)
        {
            throw new ArgumentException(
                $"Augmentation needs image examples [channels, height, width], but the examples have shape [{string.Join(", ", real.ExampleShape)}].", nameof(options));
        }

        synthetic = new Tensor[real.ClassCount];
        for (int c = 0; c < real.ClassCount; c++)
        {
            var values = new float[options.ExamplesPerClass * real.ExampleSize];
            Random random = Seeds.Random(options.Seed, Seeds.Stream.DistilledData, c);
            if (options.InitializeFromRealExamples)
            {
                int[] picks = Baselines.DistinctPicks(byClass[c], options.ExamplesPerClass, random);
                real.Gather(picks).Features.CopyTo(values, 0);
            }
            else
            {
                Initialization.FillNormal(values, 1f, random);
            }

            synthetic[c] = Tensor.FromArray(values, [options.ExamplesPerClass, .. real.ExampleShape]).RequireGrad();
        }
    }

    /// <summary>S_0 … S_{C−1}, one leaf per class.</summary>
    public override Tensor[] Parameters => synthetic;

    /// <summary>S_0 … S_{C−1}, whatever else the method learns.</summary>
    protected Tensor[] Synthetic => synthetic;

    /// <summary>The initial rate of the training the result carries (a tenth of it after half the epochs).</summary>
    protected virtual float EvaluationRate => options.EvaluationLearningRate;

    public override LoopSettings Loop => new(options.Iterations, options.KeepBestEvery, options.KeepBestExamples, options.Seed, options.Threads);

    public override IStatefulOptimizer CreateOptimizer() => new MomentumSgd(Parameters, options.LearningRate, options.Momentum);

    public override float LearningRateAt(int iteration) => options.LearningRate;

    public override string DivergenceAdvice => $"try a lower LearningRate (now {options.LearningRate:G3})";

    /// <summary>The examples class by class (class c's at c·ExamplesPerClass …), as one step trained for the evaluation epochs.</summary>
    public override DistilledDataset Snapshot() => SnapshotOf(
        synthetic.SelectMany(s => s.ToArray()).ToArray(), MinibatchTraining.StepDecay(options.EvaluationEpochs, EvaluationRate), null);

    public override DistilledDataset SnapshotOf(float[] features, float[] learningRates, float[]? softLabels) => new(
        features, Enumerable.Range(0, Real.ClassCount * options.ExamplesPerClass).Select(i => i / options.ExamplesPerClass).ToArray(),
        Real.ExampleShape, Real.ClassCount, steps: 1, epochs: learningRates.Length, learningRates, softLabels);

    /// <summary>Trains freshly drawn networks as the papers evaluate and returns their mean accuracy.</summary>
    public override double Score(DistilledDataset distilled, LabeledExamples examples) => Evaluation.EvaluateWithMinibatches(
        Network, distilled, examples, i => Initialization.Draw(Network, options.InitScheme, Seeds.Random(options.Seed, Seeds.Stream.KeepBest, i)),
        options.KeepBestNetworks, options.EffectiveEvaluationTraining, options.Seed).Mean;

    /// <summary>The method's own settings, then the shared ones and the data's sizes.</summary>
    public override (string Name, double Value)[] Fingerprint() =>
    [
        .. MethodFingerprint(), .. options.SharedFingerprint(),
        ("classes", Real.ClassCount), ("example size", Real.ExampleSize), ("real examples", Real.Count),
    ];

    /// <summary>The settings only this method has.</summary>
    protected abstract IEnumerable<(string Name, double Value)> MethodFingerprint();

    /// <summary>
    /// A batch of up to RealBatchPerClass distinct real examples of class <paramref name="c"/>, drawn from
    /// <paramref name="random"/>.
    /// </summary>
    protected Tensor RealBatch(int c, Random random)
    {
        int[] picks = Baselines.DistinctPicks(byClass[c], Math.Min(options.RealBatchPerClass, byClass[c].Length), random);
        return Tensor.FromArray(Real.Gather(picks).Features, [picks.Length, .. Real.ExampleShape]);
    }

    /// <summary>One siamese augmentation per class, for the real and the synthetic batch alike; null without augmentation.</summary>
    protected DsaParameters[]? DrawAugmentation(Random random) => options.Augmentation is { } dsa
        ? [.. byClass.Select(_ => SiameseAugmentation.Draw(dsa, random, samples: 1, Real.ExampleShape[1], Real.ExampleShape[2]))]
        : null;

    /// <summary>A freshly drawn network θ.</summary>
    protected Tensor DrawNetwork(Random random) => Tensor.FromArray(Initialization.Draw(Network, options.InitScheme, random), Network.ParameterCount);

    /// <summary>The classes' real indices.</summary>
    protected int[][] ByClass => byClass;
}
