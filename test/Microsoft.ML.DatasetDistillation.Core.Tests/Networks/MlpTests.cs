using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;
using Microsoft.ML.DatasetDistillation.Networks;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Networks;

[TestClass]
public sealed class MlpTests
{
    [TestMethod]
    public void OverImages_IsTheSameNetworkAsOverTheirFlattenedPixels()
    {
        var overImages = new Mlp([1, 4, 4], 3, 5, 6);
        var overVectors = new Mlp(16, 3, 5, 6);
        Assert.AreEqual(overVectors.ParameterCount, overImages.ParameterCount);
        CollectionAssert.AreEqual(new[] { 1, 4, 4 }, overImages.ExampleShape.ToArray());

        float[] values = Initialization.Draw(overVectors, InitScheme.XavierNormal, new Random(1));
        float[] pixels = GradientChecker.RandomValues(new Random(2), 2 * 16);
        float[] fromImages = overImages.Forward(Tensor.FromArray(values, values.Length), Tensor.FromArray(pixels, 2, 1, 4, 4)).ToArray();
        float[] fromVectors = overVectors.Forward(Tensor.FromArray(values, values.Length), Tensor.FromArray(pixels, 2, 16)).ToArray();
        CollectionAssert.AreEqual(fromVectors, fromImages);
    }
}
