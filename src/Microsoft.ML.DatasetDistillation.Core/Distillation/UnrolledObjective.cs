using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;
using Microsoft.ML.DatasetDistillation.Optimizers;

namespace Microsoft.ML.DatasetDistillation.Distillation;

/// <summary>
/// Dataset Distillation (Wang, Zhu, Torralba and Efros, 2018): learns synthetic examples x̃ and step rates η̃ so that
/// a few gradient steps on x̃ from an initialisation w₀ ~ p(w₀) give a network that does well on the real data.
/// </summary>
/// <remarks>
/// For t = 0 … T−1, with s = t mod Steps:
/// <code>
///   w_{t+1} = w_t − η_t ∇_w ℓ(x̃_s, ỹ_s; w_t),        η_t = softplus(r_t)                 (inner steps)
///   L(x̃, r) = ℓ(x_real, y_real; w_T)                                                       (outer loss)
/// </code>
/// ∇_{x̃, r} L is found by walking the steps backwards. With g_t = η_t ∇_w ℓ(x̃_s; w_t):
/// <code>
///   ∂L/∂w_t = ∂L/∂w_{t+1} − (∂g_t/∂w_t)ᵀ ∂L/∂w_{t+1}      (a Hessian-vector product)
///   ∂L/∂x̃_s += −(∂g_t/∂x̃_s)ᵀ ∂L/∂w_{t+1},   ∂L/∂r_t = −(∂g_t/∂r_t)ᵀ ∂L/∂w_{t+1}
/// </code>
/// The labels ỹ_s are one-hot and fixed, as in the paper, or with <see cref="DistillationOptions.LearnLabels"/> learned
/// like x̃_s: ∂L/∂ỹ_s += −(∂g_t/∂ỹ_s)ᵀ ∂L/∂w_{t+1}.
/// The forward pass keeps only the weights w_t (memory O(T·|w|)); the backward pass rebuilds one step's graph at a
/// time, so at most one step's activations are alive. Each outer iteration takes one real batch (the data reshuffled
/// every epoch), averages the hypergradient over <see cref="DistillationOptions.NetworksPerIteration"/> initialisations,
/// and Adam updates x̃ and r (and ỹ when learned), its rate decayed every <see cref="DistillationOptions.DecayEveryEpochs"/>.
/// </remarks>
internal sealed class UnrolledObjective : DistillationObjective
{
    private readonly DistillationOptions options;
    private readonly Tensor[] data;          // x̃_s, one leaf per step
    private readonly int[] stepClasses;      // the class of each example of a step, the same in every step
    private readonly Tensor[] targets;       // ỹ_s, one-hot rows; leaves when labels are learned
    private readonly Tensor[] rawRates;      // r_t, one scalar leaf per inner step
    private readonly float[]? fixedWeights;
    private readonly RealBatches batches;
    private float[][]? scoringNetworks;

    // Buffer reuse: the unrolled steps would otherwise allocate about a quarter of a gigabyte per iteration. One arena
    // for the real batch, one for each forward step and each vector-Jacobian product, and two that the step graphs
    // alternate between, because the next graph is built while the current one is still in use.
    private readonly TensorArena batchArena = new(), stepArena = new();
    private readonly TensorArena[] graphArenas = [new(), new()];

    /// <summary>Checks the request against the data and draws the initial distilled examples.</summary>
    public UnrolledObjective(Network network, LabeledExamples real, DistillationOptions options)
        : base(network, real)
    {
        options.Validate();
        CheckRequest(network, real, options);
        this.options = options;

        int perStep = real.ClassCount * options.ExamplesPerClassPerStep;
        int[] stepShape = [perStep, .. real.ExampleShape];
        stepClasses = Enumerable.Range(0, perStep).Select(i => Relabel(i / options.ExamplesPerClassPerStep)).ToArray();
        var random = Seeds.Random(options.Seed, Seeds.Stream.DistilledData, 0);
        float[]? realStart = options.InitializeFromRealExamples
            ? Baselines.DistinctRealExamples(real, options.Steps, options.ExamplesPerClassPerStep, random)
            : null;
        data = new Tensor[options.Steps];
        targets = new Tensor[options.Steps];
        for (int s = 0; s < options.Steps; s++)
        {
            var start = new float[perStep * real.ExampleSize];
            if (realStart is null)
            {
                Initialization.FillNormal(start, 1f, random);
            }
            else
            {
                realStart.AsSpan(s * start.Length, start.Length).CopyTo(start);
            }

            data[s] = Tensor.FromArray(start, stepShape).RequireGrad();
            targets[s] = Tensor.OneHot(stepClasses, real.ClassCount);
            if (options.LearnLabels)
            {
                targets[s].RequireGrad();
            }
        }

        float raw0 = MathF.Log(MathF.Exp(options.InitialStepLearningRate) - 1f); // softplus⁻¹(η₀)
        rawRates = Enumerable.Range(0, options.TotalSteps).Select(_ => Tensor.Scalar(raw0).RequireGrad()).ToArray();
        if (options.Initialization == InitializationMode.Fixed)
        {
            fixedWeights = Initialization.Draw(network, options.InitScheme, Seeds.Random(options.Seed, Seeds.Stream.Initialization, -1));
        }

        batches = new RealBatches(real.Count, Math.Min(options.RealBatchSize, real.Count), options.Seed);
    }

    public override DistillationAlgorithm Algorithm => DistillationAlgorithm.Unrolled;

    /// <summary>x̃_0 … x̃_{S−1}, r_0 … r_{T−1}, then, when labels are learned, ỹ_0 … ỹ_{S−1}.</summary>
    public override Tensor[] Parameters => options.LearnLabels ? [.. data, .. rawRates, .. targets] : [.. data, .. rawRates];

    public override LoopSettings Loop => new(options.Iterations, options.KeepBestEvery, options.KeepBestExamples, options.Seed, options.Threads);

    public override float[]? FixedWeights => fixedWeights;

    /// <summary>The pretrained weights, and an attack's relabelling (a checkpoint of another attack is for other labels).</summary>
    public override IEnumerable<float[]> CheckedInputs =>
    [
        .. options.Initialization == InitializationMode.Pretrained ? options.PretrainedWeights! : [],
        .. options.Attack is { } attack ? [new float[] { attack.SourceClass, attack.TargetClass }] : Array.Empty<float[]>(),
    ];

    /// <summary>The learned rates η_t = softplus(r_t).</summary>
    public float[] LearningRates => rawRates.Select(r => Softplus(r.Item())).ToArray();

    public override IStatefulOptimizer CreateOptimizer()
    {
        float[] rateScales = [.. data.Select(_ => 1f), .. rawRates.Select(_ => 1f), .. (options.LearnLabels ? targets.Select(_ => options.EffectiveLabelLearningRateScale) : [])];
        return new Adam(Parameters, options.LearningRate, options.AdamBeta1, options.AdamBeta2, rateScales: rateScales);
    }

    /// <summary>The outer rate, halved (by DecayFactor) every DecayEveryEpochs passes over the real data.</summary>
    public override float LearningRateAt(int iteration) =>
        options.LearningRate * MathF.Pow(options.DecayFactor, iteration / batches.PerEpoch / options.DecayEveryEpochs);

    /// <summary>One real batch, the hypergradient averaged over sampled networks, one update.</summary>
    public override void Iterate(int iteration, Action<double, Tensor[]> update)
    {
        var (_, indices) = batches.Batch(iteration);
        var (features, batchLabels) = Real.Gather(indices);
        if (options.Attack is not null)
        {
            batchLabels = Array.ConvertAll(batchLabels, Relabel);
        }

        Tensor realBatch = Tensor.FromArray(features, [indices.Length, .. Real.ExampleShape]);

        var gradients = new Tensor[Parameters.Length];
        double loss = 0;
        for (int k = 0; k < options.NetworksPerIteration; k++)
        {
            Tensor w0 = Tensor.FromArray(SampleInitialWeights(iteration, k), Network.ParameterCount);
            (double networkLoss, Tensor[] networkGradients) = Hypergradient(w0, realBatch, batchLabels);
            loss += networkLoss / options.NetworksPerIteration;
            for (int i = 0; i < gradients.Length; i++)
            {
                gradients[i] = gradients[i] is null ? networkGradients[i] : gradients[i] + networkGradients[i];
            }
        }

        if (options.NetworksPerIteration > 1)
        {
            using (Autograd.NoGrad())
            {
                gradients = gradients.Select(g => g * (1f / options.NetworksPerIteration)).ToArray();
            }
        }

        update(loss, gradients);
    }

    public override DistilledDataset Snapshot() => SnapshotOf(
        data.SelectMany(d => d.ToArray()).ToArray(), LearningRates, options.LearnLabels ? targets.SelectMany(t => t.ToArray()).ToArray() : null);

    public override DistilledDataset SnapshotOf(float[] features, float[] learningRates, float[]? softLabels) => new(
        features, Enumerable.Repeat(stepClasses, options.Steps).SelectMany(c => c).ToArray(), Real.ExampleShape, Real.ClassCount,
        options.Steps, options.Epochs, learningRates, softLabels);

    /// <summary>
    /// Trains networks with the learned schedule: the fixed one, the first pretrained ones, or seeded random draws. An
    /// attack is scored against the labels it aims for.
    /// </summary>
    public override double Score(DistilledDataset distilled, LabeledExamples examples)
    {
        if (options.Attack is not null)
        {
            examples = new LabeledExamples(examples.Features, Array.ConvertAll(examples.Labels, Relabel), examples.ExampleShape, examples.ClassCount);
        }

        float[][] networks = scoringNetworks ??= options.Initialization switch
        {
            InitializationMode.Fixed => [fixedWeights!],
            InitializationMode.Random => Enumerable.Range(0, options.KeepBestNetworks)
                .Select(i => Initialization.Draw(Network, options.InitScheme, Seeds.Random(options.Seed, Seeds.Stream.KeepBest, i))).ToArray(),
            _ => options.PretrainedWeights!.Take(options.KeepBestNetworks).ToArray(),
        };
        return Evaluation.Evaluate(Network, distilled, examples, i => networks[i], networks.Length).Mean;
    }

    public override string GradientName => "hypergradient";

    public override string DivergenceAdvice =>
        $"try a lower LearningRate (now {options.LearningRate:G3})" +
        (options.LearnLabels ? $" or LabelLearningRateScale (now {options.EffectiveLabelLearningRateScale:G3})" : string.Empty);

    public override (string Name, double Value)[] Fingerprint() =>
    [
        (nameof(options.Steps), options.Steps), (nameof(options.Epochs), options.Epochs),
        (nameof(options.ExamplesPerClassPerStep), options.ExamplesPerClassPerStep), ("classes", Real.ClassCount), ("example size", Real.ExampleSize),
        ("real examples", Real.Count), (nameof(options.Seed), options.Seed), (nameof(options.Initialization), (int)options.Initialization),
        (nameof(options.InitScheme), (int)options.InitScheme), (nameof(options.RealBatchSize), options.RealBatchSize),
        (nameof(options.LearningRate), options.LearningRate), (nameof(options.InitialStepLearningRate), options.InitialStepLearningRate),
        (nameof(options.AdamBeta1), options.AdamBeta1), (nameof(options.AdamBeta2), options.AdamBeta2),
        (nameof(options.DecayEveryEpochs), options.DecayEveryEpochs), (nameof(options.DecayFactor), options.DecayFactor),
        (nameof(options.NetworksPerIteration), options.NetworksPerIteration), (nameof(options.KeepBestEvery), options.KeepBestEvery),
        (nameof(options.KeepBestExamples), options.KeepBestExamples), (nameof(options.KeepBestNetworks), options.KeepBestNetworks),
        (nameof(options.LearnLabels), options.LearnLabels ? 1 : 0), (nameof(options.LabelLearningRateScale), options.EffectiveLabelLearningRateScale),
    ];

    /// <summary>L(w_T) and its gradient with respect to <see cref="Parameters"/> for one initialisation w₀.</summary>
    internal (double Loss, Tensor[] Gradients) Hypergradient(Tensor w0, Tensor realBatch, int[] realLabels)
    {
        int steps = options.Steps, total = options.TotalSteps;

        // Forward: w_{t+1} = w_t − η_t ∇_w ℓ(x̃_s; w_t), keeping every w_t and no graph.
        var w = new Tensor[total + 1];
        w[0] = w0;
        float[] rates = LearningRates;
        for (int t = 0; t < total; t++)
        {
            int s = t % steps;
            using (stepArena.Enter())
            {
                Tensor wt = w[t].Detach().RequireGrad();
                Tensor g = Autograd.Grad(InnerLoss(wt, data[s].Detach(), targets[s].Detach()), [wt])[0];
                using (Autograd.NoGrad())
                {
                    w[t + 1] = TensorArena.Keep(wt.Detach() - g * rates[t]);
                }
            }
        }

        // Outer loss and ∂L/∂w_T. The big batch's activations all die here, so their buffers are recycled.
        double outerLoss;
        Tensor dw;
        using (batchArena.Enter())
        {
            Tensor wT = w[total].Detach().RequireGrad();
            Tensor loss = Tensor.CrossEntropy(Network.Forward(wT, realBatch), realLabels);
            outerLoss = loss.Item();
            dw = TensorArena.Keep(Autograd.Grad(loss, [wT])[0]);
        }

        // Backward through the steps: one vector-Jacobian product of g_t = η_t ∇_w ℓ per step. Rebuilding a step's graph
        // needs only w_t, so with a second core the next (earlier) step's graph is built while this step's product runs.
        var dData = data.Select(d => Tensor.Zeros(d.Shape)).ToArray();
        var dRaw = new Tensor[total];
        bool learnLabels = options.LearnLabels;
        Tensor[] dTargets = learnLabels ? targets.Select(y => Tensor.Zeros(y.Shape)).ToArray() : [];
        bool pipeline = TensorThreads.Current > 1;
        Task<(Tensor Weights, Tensor StepTaken)>? next = pipeline ? Task.Run(() => StepGraph(w[total - 1], total - 1)) : null;
        for (int t = total - 1; t >= 0; t--)
        {
            int s = t % steps;
            var (wt, stepTaken) = next is null ? StepGraph(w[t], t) : next.Result;
            int earlier = t - 1;
            next = pipeline && earlier >= 0 ? Task.Run(() => StepGraph(w[earlier], earlier)) : null;
            using (stepArena.Enter())
            {
                Tensor[] vjp = Autograd.Grad([stepTaken], [-dw], learnLabels ? [wt, data[s], rawRates[t], targets[s]] : [wt, data[s], rawRates[t]]);
                using (Autograd.NoGrad())
                {
                    dw = TensorArena.Keep(dw + vjp[0]);
                    dData[s] = TensorArena.Keep(dData[s] + vjp[1]);
                    dRaw[t] = TensorArena.Keep(vjp[2]);
                    if (learnLabels)
                    {
                        dTargets[s] = TensorArena.Keep(dTargets[s] + vjp[3]);
                    }
                }
            }

            graphArenas[t % 2].Release();
        }

        return (outerLoss, learnLabels ? [.. dData, .. dRaw, .. dTargets] : [.. dData, .. dRaw]);
    }

    /// <summary>Step t's graph, from leaf w_t to g_t = η_t ∇_w ℓ(x̃_s; w_t), recorded so that it can be differentiated.</summary>
    private (Tensor Weights, Tensor StepTaken) StepGraph(Tensor weights, int t)
    {
        using TensorArena.Scope lent = graphArenas[t % 2].Lend();
        Tensor wt = weights.Detach().RequireGrad();
        int s = t % options.Steps;
        Tensor gradient = Autograd.Grad(InnerLoss(wt, data[s], targets[s]), [wt], createGraph: true)[0];
        return (wt, Tensor.MultiplyByScalar(gradient, Tensor.Softplus(rawRates[t])));
    }

    private Tensor InnerLoss(Tensor weights, Tensor stepData, Tensor stepTargets) =>
        Tensor.CrossEntropy(Network.Forward(weights, stepData), stepTargets);

    private float[] SampleInitialWeights(int iteration, int networkIndex)
    {
        int draw = iteration * options.NetworksPerIteration + networkIndex;
        return options.Initialization switch
        {
            InitializationMode.Fixed => fixedWeights!,
            InitializationMode.Random => Initialization.Draw(Network, options.InitScheme, Seeds.Random(options.Seed, Seeds.Stream.Initialization, draw)),
            _ => options.PretrainedWeights![Seeds.Random(options.Seed, Seeds.Stream.Pretrained, draw).Next(options.PretrainedWeights!.Count)],
        };
    }

    private static void CheckRequest(Network network, LabeledExamples real, DistillationOptions options)
    {
        DatasetDistiller.CheckNetworkFitsData(network, real);

        // A distilled step with more examples of a class than the class has is no distillation.
        int[] counts = real.ClassCounts();
        int smallest = Array.IndexOf(counts, counts.Min());
        if (counts[smallest] < options.ExamplesNeededPerClass)
        {
            string request = options.InitializeFromRealExamples
                ? $"Starting from real examples needs {options.ExamplesNeededPerClass} distinct examples of every class (Steps × ExamplesPerClassPerStep)"
                : $"{options.ExamplesPerClassPerStep} examples per class were asked for";
            throw new ArgumentException($"{request}, but class {smallest} has only {counts[smallest]}.", nameof(options));
        }

        if (options.Attack is { } attack && Math.Max(attack.SourceClass, attack.TargetClass) >= real.ClassCount)
        {
            throw new ArgumentException(
                $"The attack's classes must be below the data's {real.ClassCount}, but SourceClass is {attack.SourceClass} and TargetClass {attack.TargetClass}.", nameof(options));
        }

        if (options.Initialization == InitializationMode.Pretrained && options.PretrainedWeights!.Any(p => p.Length != network.ParameterCount))
        {
            throw new ArgumentException($"Every pretrained network must have {network.ParameterCount} parameters.", nameof(options));
        }
    }

    /// <summary>An attack's label for class <paramref name="c"/>: TargetClass for SourceClass, else c itself.</summary>
    private int Relabel(int c) => options.Attack is { } attack && c == attack.SourceClass ? attack.TargetClass : c;

    private static float Softplus(float x) => MathF.Max(x, 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x)));
}
