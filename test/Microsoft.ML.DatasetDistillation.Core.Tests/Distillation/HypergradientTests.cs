using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

/// <summary>The unrolled hypergradient ∂L/∂(x̃, r, ỹ) against finite differences of the distillation loss itself.</summary>
[TestClass]
public sealed class HypergradientTests
{
    [TestMethod]
    [DataRow(false, DisplayName = "fixed labels")]
    [DataRow(true, DisplayName = "learned labels")]
    public void MatchesFiniteDifferencesForPixelsEveryLearningRateAndLearnedLabels(bool learnLabels)
    {
        LabeledExamples real = TestData.Blobs(40, [1, 6, 6], 3, seed: 5);
        var network = new TestData.SmoothConvNet(1, 6, 3);
        var options = new DistillationOptions
        {
            Steps = 2, Epochs = 2, RealBatchSize = 40, InitialStepLearningRate = 0.3f, Initialization = InitializationMode.Fixed, Seed = 3, LearnLabels = learnLabels,
        };
        var distiller = new DatasetDistiller(network, real, options);
        Tensor w0 = Tensor.FromArray(distiller.FixedWeights!, network.ParameterCount);
        Tensor realBatch = Tensor.FromArray(real.Features, [real.Count, 1, 6, 6]);
        Tensor[] parameters = distiller.Parameters;

        (double _, Tensor[] analytic) = ((UnrolledObjective)distiller.Objective).Hypergradient(w0, realBatch, real.Labels);
        Assert.HasCount(parameters.Length, analytic);
        Assert.HasCount(options.Steps + options.TotalSteps + (learnLabels ? options.Steps : 0), parameters);

        // The three pixels with the largest hypergradient in each step, every rate r_t and every learned label value.
        var probes = new List<(int Parameter, int Element)>();
        for (int s = 0; s < options.Steps; s++)
        {
            float[] g = analytic[s].ToArray();
            probes.AddRange(Enumerable.Range(0, g.Length).OrderByDescending(i => Math.Abs(g[i])).Take(3).Select(i => (s, i)));
        }

        probes.AddRange(Enumerable.Range(options.Steps, options.TotalSteps).Select(p => (p, 0)));
        for (int p = options.Steps + options.TotalSteps; p < parameters.Length; p++)
        {
            probes.AddRange(Enumerable.Range(0, parameters[p].Length).Select(i => (p, i)));
        }

        foreach (var (parameter, element) in probes)
        {
            Span<float> value = parameters[parameter].Data;
            float original = value[element];
            const float step = 1e-2f;
            value[element] = original + step;
            double plus = ((UnrolledObjective)distiller.Objective).Hypergradient(w0, realBatch, real.Labels).Loss;
            value[element] = original - step;
            double minus = ((UnrolledObjective)distiller.Objective).Hypergradient(w0, realBatch, real.Labels).Loss;
            value[element] = original;

            double numeric = (plus - minus) / (2 * step);
            double exact = analytic[parameter].Data[element];
            Assert.AreEqual(numeric, exact, 2e-4 + 0.02 * Math.Abs(numeric), $"parameter {parameter} element {element}");
        }
    }
}
