using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

[TestClass]
public sealed class AttackTests
{
    [TestMethod]
    public void ShortAttackRun_MakesATrainedNetworkTakeOneDigitForAnother_AndKeepsTheOthers()
    {
        string folder = MnistDataset.FindDataFolder();
        LabeledExamples train = TestData.Subset(MnistDataset.Load(folder, MnistSplit.Train), i => i < 2000);
        LabeledExamples test = TestData.Subset(MnistDataset.Load(folder, MnistSplit.Test), i => i < 1000);
        var network = new Mlp([1, 28, 28], 10, 32);
        var attack = new ClassAttack(SourceClass: 3, TargetClass: 8);

        // A network trained on the subset: the attack's victim.
        var realSet = new DistilledDataset(train.Features, train.Labels, train.ExampleShape, train.ClassCount, steps: 1, epochs: 5, [.. Enumerable.Repeat(0.05f, 5)]);
        float[] victim = Evaluation.TrainWithMinibatches(
            network, realSet, Initialization.Draw(network, InitScheme.PyTorchDefault, new Random(1)), new MinibatchTraining { BatchSize = 64 }, new Random(2));
        (double before, double othersBefore) = Attacked(Evaluation.Predict(network, victim, test));

        var distiller = new DatasetDistiller(network, train, new DistillationOptions
        {
            Attack = attack, Initialization = InitializationMode.Pretrained, PretrainedWeights = [victim],
            Steps = 1, Epochs = 3, Iterations = 150, RealBatchSize = 256, Seed = 3,
        });
        DistilledDataset poison = distiller.Run();
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 8, 4, 5, 6, 7, 8, 9 }, poison.Examples.Labels, "the source class's images carry the target's label");
        (double after, double othersAfter) = Attacked(Evaluation.Predict(network, Evaluation.Train(network, poison, victim), test));

        Assert.IsLessThan(0.05, before, $"before the attack {before:P1} of the 3s are taken for 8s");
        Assert.IsGreaterThan(0.6, after, $"after it {after:P1} (other digits: {othersBefore:P1} → {othersAfter:P1})");
        Assert.IsGreaterThan(othersBefore - 0.1, othersAfter, $"the other digits keep their accuracy: {othersBefore:P1} → {othersAfter:P1}");

        // The share of 3s taken for 8s, and the accuracy on every other digit.
        (double Success, double Others) Attacked(int[] predicted)
        {
            int[] sources = [.. Enumerable.Range(0, test.Count).Where(i => test.Labels[i] == attack.SourceClass)];
            int[] others = [.. Enumerable.Range(0, test.Count).Where(i => test.Labels[i] != attack.SourceClass)];
            return ((double)sources.Count(i => predicted[i] == attack.TargetClass) / sources.Length, (double)others.Count(i => predicted[i] == test.Labels[i]) / others.Length);
        }
    }

    [TestMethod]
    public void Attack_WithClassesOutOfRangeOrEqual_IsRefusedNamingThem()
    {
        LabeledExamples blobs = TestData.Blobs(60, [4], 3, seed: 1);
        var network = new Mlp(4, 3, 5);
        var same = new DistillationOptions { Attack = new ClassAttack(1, 1) };
        Assert.AreEqual("An attack needs two different classes, 0 or more, but SourceClass is 1 and TargetClass 1. (Parameter 'Attack')",
            Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(network, blobs, same)).Message);
        var beyond = new DistillationOptions { Attack = new ClassAttack(0, 3) };
        Assert.AreEqual("The attack's classes must be below the data's 3, but SourceClass is 0 and TargetClass 3. (Parameter 'options')",
            Assert.ThrowsExactly<ArgumentException>(() => new DatasetDistiller(network, blobs, beyond)).Message);
    }
}
