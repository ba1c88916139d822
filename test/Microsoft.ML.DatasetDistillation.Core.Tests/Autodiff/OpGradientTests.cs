using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

/// <summary>Every differentiable op, checked against finite differences to first and second order from one table.</summary>
[TestClass]
public sealed class OpGradientTests
{
    /// <summary>How an op's test inputs are drawn: kinks (ReLU at 0, ties in max-pooling) must stay farther than the step.</summary>
    internal enum Inputs { Uniform, AwayFromZero, Positive, Distinct }

    private sealed record OpCase(string Name, int[][] Shapes, Func<Tensor[], Tensor> Apply, Inputs Draw = Inputs.Uniform);

    private static readonly int[] ThreeLabels = [2, 0, 1];

    private static readonly OpCase[] Table =
    [
        new("Add", [[2, 3], [2, 3]], t => t[0] + t[1]),
        new("Subtract", [[2, 3], [2, 3]], t => t[0] - t[1]),
        new("Multiply", [[2, 3], [2, 3]], t => t[0] * t[1]),
        new("Negate", [[4]], t => -t[0]),
        new("Scale", [[2, 2]], t => t[0] * 1.7f),
        new("AddConstant", [[3]], t => t[0] + 0.3f),
        new("MultiplyByScalar", [[2, 3], []], t => Tensor.MultiplyByScalar(t[0], t[1])),
        new("Sum", [[2, 3]], t => Tensor.Sum(t[0] * t[0])),
        new("Mean", [[5]], t => Tensor.Mean(t[0] * t[0])),
        new("Expand", [[]], t => Tensor.Expand(t[0], 2, 2) * Tensor.Expand(t[0], 2, 2)),
        new("Relu", [[3, 4]], t => Tensor.Relu(t[0]), Inputs.AwayFromZero),
        new("Tanh", [[3, 4]], t => Tensor.Tanh(t[0])),
        new("Sigmoid", [[3, 4]], t => Tensor.Sigmoid(t[0])),
        new("Softplus", [[3, 4]], t => Tensor.Softplus(t[0])),
        new("Exp", [[6]], t => Tensor.Exp(t[0])),
        new("Pow", [[6]], t => Tensor.Pow(t[0], -0.75f), Inputs.Positive),
        new("PowCube", [[6]], t => Tensor.Pow(t[0], 3f), Inputs.Positive),
        new("MatMul", [[3, 4], [4, 2]], t => Tensor.MatMul(t[0], t[1])),
        new("MatMulTransposeA", [[4, 3], [4, 2]], t => Tensor.MatMul(t[0], t[1], transposeA: true)),
        new("MatMulTransposeB", [[3, 4], [2, 4]], t => Tensor.MatMul(t[0], t[1], transposeB: true)),
        new("MatMulTransposeBoth", [[4, 3], [2, 4]], t => Tensor.MatMul(t[0], t[1], true, true)),
        new("AddBiasRows", [[3, 4], [4]], t => Tensor.AddBias(t[0], t[1])),
        new("AddBiasChannels", [[2, 3, 2, 2], [3]], t => Tensor.AddBias(t[0], t[1])),
        new("SumToBias", [[2, 3, 2]], t => Tensor.SumToBias(t[0] * t[0])),
        new("BroadcastBias", [[3]], t => Tensor.BroadcastBias(t[0], 2, 3, 2) * Tensor.BroadcastBias(t[0], 2, 3, 2)),
        new("Reshape", [[2, 6]], t => t[0].Reshape(3, -1) * t[0].Reshape(3, 4)),
        new("SplitConcat", [[10]], t =>
        {
            Tensor[] parts = Tensor.Split(t[0], [[2, 3], [4]]);
            return Tensor.Concat([parts[1] * parts[1], parts[0]]);
        }),
        new("LogSoftmax", [[3, 4]], t => Tensor.LogSoftmax(t[0])),
        new("SumRows", [[3, 4]], t => Tensor.SumRows(t[0] * t[0])),
        new("BroadcastRows", [[3]], t => Tensor.BroadcastRows(t[0], 2) * Tensor.BroadcastRows(t[0], 2)),
        new("CrossEntropyLabels", [[3, 4]], t => Tensor.CrossEntropy(t[0], ThreeLabels)),
        new("CrossEntropySoftTargets", [[3, 4], [3, 4]], t => Tensor.CrossEntropy(t[0], t[1])),
        new("MeanSquaredError", [[2, 3], [2, 3]], t => Tensor.MeanSquaredError(t[0], t[1])),
        new("Conv2d", [[2, 2, 5, 5], [3, 2, 3, 3]], t => Tensor.Conv2d(t[0], t[1], padding: 1)),
        new("Conv2dStride2", [[1, 2, 6, 5], [2, 2, 3, 2]], t => Tensor.Conv2d(t[0], t[1], stride: 2, padding: 1)),
        new("Conv2dSquared", [[1, 1, 4, 4], [2, 1, 3, 3]], t => Tensor.Conv2d(t[0], t[1]) * Tensor.Conv2d(t[0], t[1])),
        new("Conv2dBias", [[2, 2, 5, 5], [3, 2, 3, 3], [3]], t => Tensor.Conv2d(t[0], t[1], t[2], padding: 1) * Tensor.Conv2d(t[0], t[1], t[2], padding: 1)),
        new("MaxPool2d", [[1, 2, 4, 4]], t => Tensor.MaxPool2d(t[0], 2) * Tensor.MaxPool2d(t[0], 2), Inputs.Distinct),
        new("MaxPool2dOverlapping", [[1, 2, 5, 5]], t => Tensor.MaxPool2d(t[0], 3, 2, 1) * Tensor.MaxPool2d(t[0], 3, 2, 1), Inputs.Distinct),
        new("AvgPool2d", [[1, 2, 4, 4]], t => Tensor.AvgPool2d(t[0], 2) * Tensor.AvgPool2d(t[0], 2)),
        new("AvgPool2dOverlapping", [[2, 1, 5, 5]], t => Tensor.AvgPool2d(t[0], 3, 2, 1) * Tensor.AvgPool2d(t[0], 3, 2, 1)),
        new("ChannelWindowSum", [[2, 5, 2, 1]], t => Tensor.ChannelWindowSum(t[0], 2, 1) * Tensor.ChannelWindowSum(t[0], 2, 1)),
        new("LocalResponseNorm", [[2, 5, 2, 2]], t => Tensor.LocalResponseNorm(t[0], 4, alpha: 0.5f, beta: 0.75f, k: 1f)),
        new("ResampleAffine", [[2, 2, 4, 5]], t => Squared(Tensor.Resample(t[0], ResamplingMap.Affine(4, 5, [0.9f, -0.3f, 0.1f, 0.4f, 1.1f, -0.2f, 1.2f, 0f, 0f, 0f, 0.8f, 0.05f])))),
        new("ResampleSharedTranslation", [[2, 1, 3, 4]], t => Squared(Tensor.Resample(t[0], ResamplingMap.Translation(3, 4, [1], [-2])))),
        new("InstanceNorm", [[2, 3, 2, 3], [3], [3]], t => Tensor.InstanceNorm(t[0], t[1], t[2]) * Tensor.InstanceNorm(t[0], t[1], t[2])),
        new("InstanceNormRelu", [[2, 3, 2, 3], [3], [3]], t => Tensor.InstanceNormRelu(t[0], t[1], t[2]) * Tensor.InstanceNormRelu(t[0], t[1], t[2])),
        new("NormalizeRows", [[3, 5]], t => Tensor.NormalizeRows(t[0]) * t[0]),
        new("ScaleChannels", [[2, 3, 2, 2], [3]], t => Tensor.ScaleChannels(t[0], t[1]) * t[0]),
        new("ScaleChannelsRows", [[3, 4], [4]], t => Tensor.ScaleChannels(t[0], t[1]) * Tensor.ScaleChannels(t[0], t[1])),
        new("ScaleShiftChannels", [[2, 3, 2, 2], [3], [3]], t => Tensor.ScaleShiftChannels(t[0], t[1], t[2]) * Tensor.ScaleShiftChannels(t[0], t[1], t[2])),
        new("ScaleShiftChannelsRows", [[3, 4], [4], [4]], t => Tensor.ScaleShiftChannels(t[0], t[1], t[2]) * t[0]),
        new("ChannelDot", [[2, 3, 2, 2], [2, 3, 2, 2]], t => Tensor.ChannelDot(t[0], t[1]) * Tensor.ChannelDot(t[0], t[0])),
        new("ChannelDotRows", [[3, 4], [3, 4]], t => Tensor.ChannelDot(t[0] * t[1], t[1])),
    ];

    private static Tensor Squared(Tensor x) => x * x;

    public static IEnumerable<object[]> Cases => Table.Select(c => new object[] { c.Name });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        OpCase op = Table.Single(c => c.Name == name);
        var random = new Random(name.Length * 7919 + name[0]);
        float[][] values = op.Shapes.Select(s => Draw(random, Tensor.Zeros(s).Length, op.Draw)).ToArray();

        List<string> mismatches = GradientChecker.Check(op.Apply, values, op.Shapes, secondOrder: true);

        Assert.IsEmpty(mismatches, string.Join(Environment.NewLine, mismatches.Take(10)));
    }

    [TestMethod]
    public void TableCoversEveryPublicOp()
    {
        string[] opNames = typeof(Tensor).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(Tensor) || m.ReturnType == typeof(Tensor[]))
            .Select(m => m.Name)
            .Distinct()
            .ToArray();
        string tableText = string.Join(" ", Table.Select(c => c.Name));
        string[] notOps = ["Zeros", "FromValues", "Wrap", "Scalar", "OneHot"];
        string[] operatorCases = ["op_Addition", "op_Subtraction", "op_Multiply", "op_UnaryNegation"];
        string[] missing = opNames
            .Where(n => !notOps.Contains(n) && !operatorCases.Contains(n))
            .Where(n => !tableText.Contains(n, StringComparison.Ordinal))
            .ToArray();

        Assert.IsEmpty(missing, "Ops without a gradient check: " + string.Join(", ", missing));
    }

    [TestMethod]
    public void OneHotHasAOneAtEachLabelAndRefusesLabelsOutsideTheClasses()
    {
        Tensor oneHot = Tensor.OneHot(ThreeLabels, 3);

        CollectionAssert.AreEqual(new[] { 3, 3 }, oneHot.Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 0f, 0f, 1f, 1f, 0f, 0f, 0f, 1f, 0f }, oneHot.ToArray());
        Assert.IsFalse(oneHot.RequiresGrad);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Tensor.OneHot([0, 3], 3)).Message, "Label 3 at row 1 is outside [0, 3)");
    }

    internal static float[] Draw(Random random, int count, Inputs kind = Inputs.Uniform) => kind switch
    {
        Inputs.AwayFromZero => GradientChecker.RandomValues(random, count, 0.1f, 1f).Select(v => random.Next(2) == 0 ? v : -v).ToArray(),
        Inputs.Positive => GradientChecker.RandomValues(random, count, 0.5f, 1.5f),
        Inputs.Distinct => Enumerable.Range(0, count).Select(i => -1f + 0.05f * i).OrderBy(_ => random.Next()).ToArray(),
        _ => GradientChecker.RandomValues(random, count),
    };
}
