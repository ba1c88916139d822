using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

/// <summary>The gradient checker must catch wrong rules, or its passes mean nothing.</summary>
[TestClass]
public sealed class BrokenRuleTests
{
    private static readonly int[][] Shape = [[5]];

    [TestMethod]
    public void CorrectSquareRulePasses()
    {
        List<string> mismatches = GradientChecker.Check(t => Square(t[0], (x, g) => g * x * 2f), Values(), Shape, secondOrder: true);

        Assert.IsEmpty(mismatches, string.Join(Environment.NewLine, mismatches));
    }

    [TestMethod]
    public void WrongFirstOrderRuleIsCaught()
    {
        // 2.1·x instead of 2·x: a 5 % error.
        List<string> mismatches = GradientChecker.Check(t => Square(t[0], (x, g) => g * x * 2.1f), Values(), Shape, secondOrder: false);

        Assert.IsNotEmpty(mismatches);
        StringAssert.StartsWith(mismatches[0], "first order");
    }

    [TestMethod]
    public void RuleThatIsNotDifferentiableIsCaughtAtSecondOrder()
    {
        // Right values, but x is used as a constant, so the recorded backward pass loses ∂(2x·g)/∂x.
        List<string> mismatches = GradientChecker.Check(t => Square(t[0], (x, g) => g * x.Detach() * 2f), Values(), Shape, secondOrder: true);

        Assert.IsTrue(mismatches.Count > 0 && mismatches.All(m => m.StartsWith("second order", StringComparison.Ordinal)),
            string.Join(Environment.NewLine, mismatches));
    }

    private static Tensor Square(Tensor x, Func<Tensor, Tensor, Tensor> rule)
    {
        float[] values = x.ToArray().Select(v => v * v).ToArray();
        return Tensor.Record("Square", [Tensor.FromValues(values, x.Shape)], [x], (g, _) => [rule(x, g[0]!)]);
    }

    private static float[][] Values() => [OpGradientTests.Draw(new Random(3), 5)];
}
