using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.IO;
using Microsoft.ML.DatasetDistillation.Distillation;
using Microsoft.ML.DatasetDistillation.IO;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Distillation;

/// <summary>Small synthetic data and networks for fast distillation tests.</summary>
internal static class TestData
{
    /// <summary>Gaussian blobs: class c is centred at a fixed random mean per class.</summary>
    public static LabeledExamples Blobs(int count, int[] exampleShape, int classes, int seed)
    {
        var random = new Random(seed);
        int size = exampleShape.Aggregate(1, (a, b) => a * b);
        float[][] centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, size).Select(_ => 2f * random.NextSingle() - 1f).ToArray()).ToArray();
        var features = new float[count * size];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % classes;
            for (int j = 0; j < size; j++)
            {
                features[i * size + j] = centres[labels[i]][j] + 0.5f * (2f * random.NextSingle() - 1f);
            }
        }

        return new LabeledExamples(features, labels, exampleShape, classes);
    }

    /// <summary>
    /// A tiny matching problem drawn from <paramref name="random"/>: a <see cref="SmoothConvNet"/> on 4×4 images of 2 classes
    /// (tanh, so finite differences meet no ReLU kinks) with random weights, 5 real and 2 synthetic images per class.
    /// </summary>
    public static (SmoothConvNet Network, Tensor Weights, Tensor[] Real, int[][] SyntheticShapes, float[][] Synthetic) MatchingProblem(Random random)
    {
        var network = new SmoothConvNet(channels: 1, side: 4, classes: 2);
        Tensor weights = Tensor.FromValues(GradientChecker.RandomValues(random, network.ParameterCount), network.ParameterCount);
        Tensor[] real = [.. Enumerable.Range(0, 2).Select(_ => Tensor.FromValues(GradientChecker.RandomValues(random, 5 * 16), 5, 1, 4, 4))];
        int[][] shapes = [[2, 1, 4, 4], [2, 1, 4, 4]];
        return (network, weights, real, shapes, [.. shapes.Select(s => GradientChecker.RandomValues(random, 2 * 16))]);
    }

    /// <summary>The examples whose index passes <paramref name="keep"/>, in order.</summary>
    public static LabeledExamples Subset(LabeledExamples all, Func<int, bool> keep)
    {
        int[] indices = Enumerable.Range(0, all.Count).Where(keep).ToArray();
        var (features, labels) = all.Gather(indices);
        return new LabeledExamples(features, labels, all.ExampleShape, all.ClassCount);
    }

    /// <summary>The first 1000 training and 500 test images of the shipped MNIST, loaded once for the tests that distil real digits.</summary>
    public static readonly Lazy<(LabeledExamples Train, LabeledExamples Test)> MnistSubset = new(() =>
    {
        string folder = MnistDataset.FindDataFolder();
        return (Subset(MnistDataset.Load(folder, MnistSplit.Train), i => i < 1000), Subset(MnistDataset.Load(folder, MnistSplit.Test), i => i < 500));
    });

    /// <summary>
    /// Runs a distiller from <paramref name="newDistiller"/> uninterrupted, and another that is cancelled after iteration
    /// <paramref name="stopAfter"/>, checkpointed and continued by a third: both results, for the caller to compare.
    /// </summary>
    public static (DistilledDataset Uninterrupted, DistilledDataset Continued) RunAndResume(Func<DatasetDistiller> newDistiller, int stopAfter)
    {
        DistilledDataset uninterrupted = newDistiller().Run();
        using var temp = new TempFolder();
        string path = temp.File("checkpoint.mldc");
        DatasetDistiller first = newDistiller();
        using (var stop = new CancellationTokenSource())
        {
            Assert.ThrowsExactly<OperationCanceledException>(() => first.Run(new Recorder(p => { if (p.Iteration == stopAfter) stop.Cancel(); }), stop.Token));
        }

        Assert.AreEqual(stopAfter, first.Iteration);
        first.SaveCheckpoint(path);
        DatasetDistiller resumed = newDistiller();
        resumed.LoadCheckpoint(path);
        return (uninterrupted, resumed.Run());
    }

    /// <summary>Reports progress synchronously, on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    public class Recorder<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>A <see cref="Recorder{T}"/> of distillation progress, the kind most tests record.</summary>
    public sealed class Recorder(Action<DistillationProgress> report) : Recorder<DistillationProgress>(report);

    /// <summary>
    /// A smooth convolutional network (tanh, average pooling), so that finite differences of the distillation
    /// loss are not disturbed by ReLU kinks: conv 3×3 (padding 1) → tanh → avg-pool 2 → linear.
    /// </summary>
    public sealed class SmoothConvNet(int channels, int side, int classes)
        : Network([channels, side, side], classes,
            [
                new ParameterSpec("conv.weight", [3, channels, 3, 3], false), new ParameterSpec("conv.bias", [3], true),
                new ParameterSpec("fc.weight", [classes, 3 * (side / 2) * (side / 2)], false), new ParameterSpec("fc.bias", [classes], true),
            ])
    {
        protected override Tensor Features(Tensor[] p, Tensor batch)
        {
            Tensor h = Tensor.AvgPool2d(Tensor.Tanh(Tensor.AddBias(Tensor.Conv2d(batch, p[0], padding: 1), p[1])), 2);
            return h.Reshape(h.Dim(0), -1);
        }
    }
}
