using System.Runtime.Intrinsics;
using Microsoft.ML.DatasetDistillation.Kernels;

namespace Microsoft.ML.DatasetDistillation.Core.Tests.Kernels;

/// <summary>
/// The convolution micro-kernels give the same bits with 256-bit and 512-bit registers, so results do not depend on
/// the machine's vector width. The public kernels use one width per machine; these tests call both directly.
/// </summary>
[TestClass]
public sealed unsafe class ConvMicroKernelTests
{
    private const int Count = 37;     // reduction length: odd, so no unrolling hides a last step
    private const int Stride = 300;   // source row pitch; offsets step by it and by small shifts
    private const int Columns = 128;  // one 512-bit single-row tile, two 256-bit ones

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void BroadcastKernelsAreSequentialFmaSumsAtEitherWidth(bool accumulate)
    {
        float[] a = KernelTestData.Random(Count * 6, seed: 1), source = KernelTestData.Random(Count * Stride + Columns, seed: 2);
        int[] offsets = Enumerable.Range(0, Count).Select(k => k * Stride + k % 5).ToArray();
        float[] start = KernelTestData.Random(6 * Columns, seed: 3);
        float[] expected = Reference(a, 6, source, offsets, start, accumulate, Columns);
        float[] expectedOneRow = Reference(a[..Count], 1, source, offsets, start, accumulate, Columns);
        float[] expectedThreeRows = Reference(a[..(3 * Count)], 3, source, offsets, start, accumulate, Columns);

        fixed (float* aPointer = a, sourcePointer = source)
        fixed (int* offsetsPointer = offsets)
        {
            // Lambdas cannot capture fixed locals; the arrays stay pinned until the block ends.
            float* pa = aPointer, ps = sourcePointer;
            int* po = offsetsPointer;

            // Six rows: Tall, 16 columns per call at 256 bits, 32 at 512.
            AssertRuns(expected, start, 16, (y, j) => ConvMicroKernels.Tall<ConvRows6, Lanes256>(pa, ps + j, po, Count, (float*)y + j, Columns, accumulate), "Tall 256");
            AssertRuns(expected, start, 32, (y, j) => ConvMicroKernels.Tall<ConvRows6, Lanes512>(pa, ps + j, po, Count, (float*)y + j, Columns, accumulate), "Tall 512");

            // Three rows: Wide, 32 / 64 columns per call.
            AssertRuns(expectedThreeRows, start, 32, (y, j) => ConvMicroKernels.Wide<ConvRows3, Lanes256>(pa, ps + j, po, Count, (float*)y + j, Columns, accumulate), "Wide 256", rows: 3);
            AssertRuns(expectedThreeRows, start, 64, (y, j) => ConvMicroKernels.Wide<ConvRows3, Lanes512>(pa, ps + j, po, Count, (float*)y + j, Columns, accumulate), "Wide 512", rows: 3);

            // One row: SingleRow, 64 / 128 columns per call.
            AssertRuns(expectedOneRow, start, 64, (y, j) => ConvMicroKernels.SingleRow<Lanes256>(pa, ps + j, po, Count, (float*)y + j, accumulate), "SingleRow 256", rows: 1);
            AssertRuns(expectedOneRow, start, 128, (y, j) => ConvMicroKernels.SingleRow<Lanes512>(pa, ps + j, po, Count, (float*)y + j, accumulate), "SingleRow 512", rows: 1);
        }
    }

    [TestMethod]
    public void WeightGradientKernelGivesTheSameBitsAtEitherWidthAndRegisterCount()
    {
        if (!ConvMicroKernels.Use512)
        {
            Assert.Inconclusive("This machine does not run the 512-bit kernels.");
        }

        const int rows = 6, length = 48, images = 3, gImageStride = rows * length, sourceImageStride = 200, offsetCount = 8;
        float[] g = KernelTestData.Random(images * gImageStride, seed: 4), source = KernelTestData.Random(images * sourceImageStride, seed: 5);
        int[] offsets = [0, 1, 17, 150, 2, 33, 34, 100];
        float[] start = KernelTestData.Random(rows * offsetCount, seed: 6);
        float[] narrow = (float[])start.Clone(), wide = (float[])start.Clone(), widest = (float[])start.Clone();
        fixed (float* pg = g, ps = source, pNarrow = narrow, pWide = wide, pWidest = widest)
        fixed (int* po = offsets)
        {
            // 256-bit calls take two offsets each, 512-bit ones four in two registers or eight in four.
            for (int k = 0; k < offsetCount; k += 2)
            {
                ConvMicroKernels.Transposed<ConvRows6, Lanes256, TwoOffsetRegisters>(pg, length, gImageStride, ps, sourceImageStride, po + k, images, length, pNarrow + k, offsetCount);
            }

            for (int k = 0; k < offsetCount; k += 4)
            {
                ConvMicroKernels.Transposed<ConvRows6, Lanes512, TwoOffsetRegisters>(pg, length, gImageStride, ps, sourceImageStride, po + k, images, length, pWide + k, offsetCount);
            }

            ConvMicroKernels.Transposed<ConvRows6, Lanes512, FourOffsetRegisters>(pg, length, gImageStride, ps, sourceImageStride, po, images, length, pWidest, offsetCount);
        }

        CollectionAssert.AreEqual(narrow, wide, "two 512-bit registers");
        CollectionAssert.AreEqual(narrow, widest, "four 512-bit registers");
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < offsetCount; k++)
            {
                double sum = start[r * offsetCount + k];
                for (int image = 0; image < images; image++)
                {
                    for (int j = 0; j < length; j++)
                    {
                        sum += (double)g[image * gImageStride + r * length + j] * source[image * sourceImageStride + offsets[k] + j];
                    }
                }

                Assert.AreEqual(sum, widest[r * offsetCount + k], 1e-4, $"row {r}, offset {k}");
            }
        }
    }

    /// <summary>y[r, j] = (start or 0) then + a[k·rows + r] · source[offsets[k] + j] for k in order, each step one fused multiply-add.</summary>
    private static float[] Reference(float[] a, int rows, float[] source, int[] offsets, float[] start, bool accumulate, int columns)
    {
        var y = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < columns; j++)
            {
                float sum = accumulate ? start[r * columns + j] : 0f;
                for (int k = 0; k < offsets.Length; k++)
                {
                    sum = MathF.FusedMultiplyAdd(a[k * rows + r], source[offsets[k] + j], sum);
                }

                y[r * columns + j] = sum;
            }
        }

        return y;
    }

    /// <summary>Runs a kernel over the columns in tiles of <paramref name="width"/> (it gets y and the first column) and checks every bit.</summary>
    private static void AssertRuns(float[] expected, float[] start, int width, Action<IntPtr, int> kernelAtColumn, string kernel, int rows = 6)
    {
        float[] y = start[..(rows * Columns)];
        fixed (float* py = y)
        {
            for (int j = 0; j < Columns; j += width)
            {
                kernelAtColumn((IntPtr)py, j);
            }
        }

        CollectionAssert.AreEqual(expected, y, kernel);
    }
}
