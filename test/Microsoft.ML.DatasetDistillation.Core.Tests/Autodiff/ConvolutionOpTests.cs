using Microsoft.ML.DatasetDistillation.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

[TestClass]
public sealed class ConvolutionOpTests
{
    [TestMethod]
    public void Conv2dWithBiasGivesTheBitsOfConv2dThenAddBias_AndItsGradients()
    {
        var random = new Random(5);
        Tensor x = Tensor.FromValues(GradientChecker.RandomValues(random, 2 * 3 * 6 * 5), 2, 3, 6, 5).RequireGrad();
        Tensor w = Tensor.FromValues(GradientChecker.RandomValues(random, 4 * 3 * 3 * 3), 4, 3, 3, 3).RequireGrad();
        Tensor b = Tensor.FromValues(GradientChecker.RandomValues(random, 4), 4).RequireGrad();
        Tensor composed = Tensor.AddBias(Tensor.Conv2d(x, w, padding: 1), b), fused = Tensor.Conv2d(x, w, b, padding: 1);

        CollectionAssert.AreEqual(composed.ToArray(), fused.ToArray());
        Tensor[] composedGradients = Autograd.Grad(Tensor.Sum(composed * composed), [x, w, b]);
        Tensor[] fusedGradients = Autograd.Grad(Tensor.Sum(fused * fused), [x, w, b]);
        for (int i = 0; i < 3; i++)
        {
            CollectionAssert.AreEqual(composedGradients[i].ToArray(), fusedGradients[i].ToArray(), $"gradient {i}");
        }
    }

    [TestMethod]
    public void Conv2dRefusesABiasThatDoesNotMatchTheOutputChannels()
    {
        string message = Assert.ThrowsExactly<ArgumentException>(
            () => Tensor.Conv2d(Tensor.Zeros(1, 3, 5, 5), Tensor.Zeros(4, 3, 3, 3), Tensor.Zeros(3))).Message;

        Assert.AreEqual("Conv2d needs a bias of shape [4] for weights [4, 3, 3, 3], but got [3].", message);
    }
}
