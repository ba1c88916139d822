using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

/// <summary>The storage seam under <see cref="Tensor"/>: the algorithms reach storage and kernels only through <see cref="ITensorBackend"/>.</summary>
[TestClass]
public sealed class BackendSeamTests
{
    [TestMethod]
    public void EveryMethodComputesThroughTheBackend_AndABackendInBetweenChangesNoBit()
    {
        float[][] direct = Workload();
        var checking = new SeamCheckingBackend(Tensor.Backend);
        float[][] seamed;
        using (Tensor.UseBackend(checking))
        {
            seamed = Workload();
        }

        Assert.HasCount(direct.Length, seamed);
        for (int i = 0; i < direct.Length; i++)
        {
            CollectionAssert.AreEqual(direct[i], seamed[i], $"result {i}");
        }

        // The workload reaches every method, so the check above covers the whole interface.
        string[] unused = [.. typeof(ITensorBackend).GetMethods().Select(m => m.Name).Distinct().Where(name => !checking.Calls.ContainsKey(name))];
        Assert.IsEmpty(unused, string.Join(", ", unused));
    }

    /// <summary>
    /// Small runs of every method and network family: the paper's method on LeNet (max pooling, Adam, learned rates),
    /// DSA gradient matching on a ConvNet (instance norm, average pooling, resampling, SGD), distribution matching,
    /// AlexCifarNet's local response norm to second order, evaluation and a tanh.
    /// </summary>
    private static float[][] Workload()
    {
        var results = new List<float[]>();
        LabeledExamples digits = TestData.Blobs(30, [1, 28, 28], 3, seed: 5);
        var unrolled = new DatasetDistiller(new LeNet(1, 28, 28, 3), digits,
            new DistillationOptions { Steps = 2, Epochs = 1, Iterations = 1, RealBatchSize = 12, Seed = 2, Threads = 2 });
        unrolled.Step();
        DistilledDataset paper = unrolled.Snapshot();
        results.Add(paper.Examples.Features);
        results.Add(paper.LearningRates);
        results.Add([(float)Evaluation.Accuracy(new LeNet(1, 28, 28, 3), unrolled.FixedWeights ?? Initialization.Draw(new LeNet(1, 28, 28, 3), InitScheme.XavierNormal, new Random(1)), digits)]);

        LabeledExamples images = TestData.Blobs(24, [1, 8, 8], 3, seed: 6);
        var convNet = new ConvNet(1, 8, 8, 3, netWidth: 4, depth: 2);
        var gradientMatching = new DatasetDistiller(convNet, images, new GradientMatchingOptions
        {
            ExamplesPerClass = 1, Iterations = 1, RealBatchPerClass = 4, OuterLoop = 1, InnerLoop = 1, Seed = 3, Augmentation = new DsaOptions(),
        });
        gradientMatching.Step();
        results.Add(gradientMatching.Snapshot().Examples.Features);
        var distributionMatching = new DatasetDistiller(convNet, images, new DistributionMatchingOptions { ExamplesPerClass = 1, Iterations = 1, RealBatchPerClass = 4, Seed = 4 });
        distributionMatching.Step();
        results.Add(distributionMatching.Snapshot().Examples.Features);

        var alex = new AlexCifarNet(1, 8, 8, 3);
        Tensor w = Tensor.FromValues(Initialization.Draw(alex, InitScheme.PyTorchDefault, new Random(7)), alex.ParameterCount).RequireGrad();
        Tensor x = Tensor.FromValues(images.Features.AsSpan(0, 4 * 64), 4, 1, 8, 8).RequireGrad();
        Tensor g = Autograd.Grad(Tensor.CrossEntropy(Tensor.Tanh(alex.Forward(w, x)), Tensor.OneHot([0, 1, 2, 0], 3)), [w], createGraph: true)[0];
        Tensor[] second = Autograd.Grad(Tensor.Sum(g * g), [w, x]);
        results.Add(second[0].ToArray());
        results.Add(second[1].ToArray());
        return [.. results];
    }
}
