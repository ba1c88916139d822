using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

/// <summary>Distillation on the real MNIST the repository ships, at a budget that fits CI.</summary>
[TestClass]
public sealed class MnistDistillationTests
{
    // The suite's slowest test (tens of seconds): the default test command runs it; `--filter TestCategory!=Slow` skips it.
    [TestMethod]
    [TestCategory("Slow")]
    public void FixedInitTenImagesClearlyLearnMnist()
    {
        string folder = MnistDataset.FindDataFolder();
        LabeledExamples train = MnistDataset.Load(folder, MnistSplit.Train);
        LabeledExamples test = MnistDataset.Load(folder, MnistSplit.Test);
        var network = new LeNet(1, 28, 28, 10);
        var options = new DistillationOptions { Steps = 1, Epochs = 3, Iterations = 150, RealBatchSize = 256, Initialization = InitializationMode.Fixed, Seed = 1 };
        var distiller = new DatasetDistiller(network, train, options);

        DistilledDataset distilled = distiller.Run();

        // Ten images and three steps: untrained LeNet is at chance (about 10 %); this budget reaches about 54 %.
        double before = Evaluation.Accuracy(network, distiller.FixedWeights!, test);
        double after = Evaluation.Accuracy(network, Evaluation.Train(network, distilled, distiller.FixedWeights!), test);
        Assert.IsLessThan(0.2, before);
        Assert.IsGreaterThan(0.45, after, $"test accuracy {after:P2}");
    }

    [TestMethod]
    public void PretrainedInitialisationDistilsFromAPoolOfTrainedNetworks()
    {
        LabeledExamples real = TestData.Blobs(300, [8], 3, seed: 2);
        var network = new Mlp(8, 3, 16);
        IReadOnlyList<float[]> pool = Pretraining.TrainPool(network, real, count: 2, epochs: 20, seed: 4, learningRate: 0.01f);
        Assert.IsGreaterThan(0.9, Evaluation.Accuracy(network, pool[0], real));

        var options = new DistillationOptions { Steps = 1, Epochs = 1, Iterations = 5, RealBatchSize = 100, Initialization = InitializationMode.Pretrained, PretrainedWeights = pool };
        DistilledDataset distilled = new DatasetDistiller(network, real, options).Run();

        Assert.HasCount(3, distilled.Examples.Labels);
    }
}
