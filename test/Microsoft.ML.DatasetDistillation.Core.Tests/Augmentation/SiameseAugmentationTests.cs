using Microsoft.ML.DatasetDistillation.Augmentation;
using Microsoft.ML.DatasetDistillation.Autodiff;
using Microsoft.ML.DatasetDistillation.Core.Tests.Autodiff;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Augmentation;

[TestClass]
public sealed class SiameseAugmentationTests
{
    private static readonly DsaOptions Defaults = new();

    [TestMethod]
    [DataRow(DsaTransform.Color)]
    [DataRow(DsaTransform.Crop)]
    [DataRow(DsaTransform.Cutout)]
    [DataRow(DsaTransform.Flip)]
    [DataRow(DsaTransform.Scale)]
    [DataRow(DsaTransform.Rotate)]
    public void EachTransformationsGradientMatchesFiniteDifferences(DsaTransform transform)
    {
        DsaOptions only = Defaults with { Strategy = transform.ToString().ToLowerInvariant() };
        DsaParameters parameters = SiameseAugmentation.Draw(only, new Random(1), 2, 6, 5);
        float[] images = GradientChecker.RandomValues(new Random(2), 2 * 3 * 6 * 5);

        // Squared so that the second derivative is not zero and the transposed maps are checked too.
        List<string> mismatches = GradientChecker.Check(t =>
        {
            Tensor y = SiameseAugmentation.Apply(t[0], parameters);
            return y * y;
        }, [images], [[2, 3, 6, 5]], secondOrder: true);

        Assert.AreEqual(transform, parameters.Transform);
        Assert.IsEmpty(mismatches, string.Join(Environment.NewLine, mismatches.Take(10)));
    }

    [TestMethod]
    public void SharedParametersTransformEveryImageOfBothBatchesAlike()
    {
        var random = new Random(3);
        float[] image = GradientChecker.RandomValues(new Random(4), 2 * 7 * 7);
        foreach (DsaTransform transform in Enum.GetValues<DsaTransform>())
        {
            DsaParameters shared = SiameseAugmentation.Draw(Defaults with { Strategy = transform.ToString().ToLowerInvariant() }, random, 1, 7, 7);
            float[] real = SiameseAugmentation.Apply(Tensor.FromValues([.. image, .. image, .. image], 3, 2, 7, 7), shared).ToArray();
            float[] synthetic = SiameseAugmentation.Apply(Tensor.FromValues(image, 1, 2, 7, 7), shared).ToArray();

            for (int n = 0; n < 3; n++)
            {
                CollectionAssert.AreEqual(synthetic, real.AsSpan(n * image.Length, image.Length).ToArray(), transform.ToString());
            }
        }
    }

    [TestMethod]
    public void FlipMirrorsOnlyTheFlaggedImages()
    {
        Tensor images = Tensor.FromValues([1f, 2f, 3f, 4f, 5f, 6f, 1f, 2f, 3f, 4f, 5f, 6f], 2, 1, 2, 3);

        float[] flipped = SiameseAugmentation.Apply(images, new DsaParameters(DsaTransform.Flip, 2, [1f, 0f])).ToArray();

        CollectionAssert.AreEqual(new[] { 3f, 2f, 1f, 6f, 5f, 4f, 1f, 2f, 3f, 4f, 5f, 6f }, flipped);
    }

    [TestMethod]
    public void CropByZeroIsTheIdentityAndAShiftUncoversZeros()
    {
        float[] values = [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f];
        Tensor image = Tensor.FromValues(values, 1, 1, 3, 3);

        CollectionAssert.AreEqual(values, SiameseAugmentation.Apply(image, new DsaParameters(DsaTransform.Crop, 1, [0f, 0f])).ToArray());
        CollectionAssert.AreEqual(new[] { 0f, 4f, 5f, 0f, 7f, 8f, 0f, 0f, 0f },
            SiameseAugmentation.Apply(image, new DsaParameters(DsaTransform.Crop, 1, [1f, -1f])).ToArray());
    }

    [TestMethod]
    public void CutoutZeroesItsBoxInEveryChannel()
    {
        Tensor images = Tensor.FromValues(Enumerable.Repeat(1f, 2 * 4 * 4).ToArray(), 1, 2, 4, 4);

        float[] cut = SiameseAugmentation.Apply(images, new DsaParameters(DsaTransform.Cutout, 1, [1f, 0f, 2f, 1f])).ToArray();

        float[] plane = [1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1];
        CollectionAssert.AreEqual(plane.Concat(plane).ToArray(), cut);
    }

    [TestMethod]
    public void DrawnCutoutBoxesHaveTheReferenceSizeWhereTheyFit()
    {
        var random = new Random(5);
        for (int draw = 0; draw < 50; draw++)
        {
            float[] box = SiameseAugmentation.Draw(Defaults with { Strategy = "cutout" }, random, 1, 28, 28).Values;

            // round(28·0.5) = 14 a side, clipped at the border.
            Assert.IsTrue(box[0] >= 0 && box[2] <= 27 && box[2] - box[0] + 1 <= 14 && box[2] - box[0] + 1 >= 7, string.Join(",", box));
            Assert.IsTrue(box[2] - box[0] + 1 == 14 || box[0] == 0 || box[2] == 27, string.Join(",", box));
        }
    }

    [TestMethod]
    public void IdentityScaleAndZeroRotationKeepTheImage()
    {
        float[] values = GradientChecker.RandomValues(new Random(6), 2 * 5 * 6);
        Tensor images = Tensor.FromValues(values, 1, 2, 5, 6);

        float[] scaled = SiameseAugmentation.Apply(images, new DsaParameters(DsaTransform.Scale, 1, [1f, 1f])).ToArray();
        float[] rotated = SiameseAugmentation.Apply(images, new DsaParameters(DsaTransform.Rotate, 1, [0f])).ToArray();

        for (int i = 0; i < values.Length; i++)
        {
            Assert.AreEqual(values[i], scaled[i], 1e-5f);
            Assert.AreEqual(values[i], rotated[i], 1e-5f);
        }
    }

    [TestMethod]
    public void ARightAngleRotationTurnsASquareImage()
    {
        // Output (x, y) samples input (cos·x − sin·y, sin·x + cos·y) = (−y, x) at 90°: pixel centres map onto pixel
        // centres, and the output's top row is the input's right column read downwards.
        Tensor image = Tensor.FromValues([1f, 2f, 3f, 4f], 1, 1, 2, 2);

        float[] turned = SiameseAugmentation.Apply(image, new DsaParameters(DsaTransform.Rotate, 1, [MathF.PI / 2])).ToArray();

        float[] expected = [2f, 4f, 1f, 3f];
        for (int i = 0; i < 4; i++)
        {
            Assert.AreEqual(expected[i], turned[i], 1e-5f);
        }
    }

    [TestMethod]
    public void ColorWithNeutralValuesIsTheIdentityAndBrightnessShifts()
    {
        float[] values = GradientChecker.RandomValues(new Random(7), 3 * 4);
        Tensor image = Tensor.FromValues(values, 1, 3, 2, 2);

        float[] neutral = SiameseAugmentation.Apply(image, new DsaParameters(DsaTransform.Color, 1, [0f, 1f, 1f])).ToArray();
        float[] brighter = SiameseAugmentation.Apply(image, new DsaParameters(DsaTransform.Color, 1, [0.25f, 1f, 1f])).ToArray();

        for (int i = 0; i < values.Length; i++)
        {
            Assert.AreEqual(values[i], neutral[i], 1e-5f);
            Assert.AreEqual(values[i] + 0.25f, brighter[i], 1e-5f);
        }
    }

    [TestMethod]
    public void AnUnknownStrategyNameIsRefused()
    {
        string message = Assert.ThrowsExactly<ArgumentException>(
            () => SiameseAugmentation.Draw(Defaults with { Strategy = "color_blur" }, new Random(1), 1, 8, 8)).Message;

        StringAssert.Contains(message, "'blur'");
    }
}
