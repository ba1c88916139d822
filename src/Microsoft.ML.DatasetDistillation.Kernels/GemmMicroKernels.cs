using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// Micro-kernels: C[MR×NR] = alpha·(A panel · B panel) + beta·C, beta == 0 meaning overwrite. The A panel holds
/// MR values per k step, the B panel NR values per k step (64-byte aligned). Each C element's sum runs over p
/// in order, in one accumulator lane, so the result does not depend on where the tile sits.
/// </summary>
internal static partial class Gemm
{
    /// <summary>6×16 tile in 12 Vector256 accumulators; per k step 2 loads of B, 6 broadcasts of A, 12 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MicroKernelAvx2(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;

        // Start bringing the C tile in now: the k loop hides the latency, the store at the end needs it.
        for (int r = 0; r < MR; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + NR - 1);
        }

        // Two k steps per iteration: the loop overhead is measurably not free at this size.
        int p = 0;
        for (; p <= kc - 2; p += 2, a += 2 * MR, b += 2 * NR)
        {
            Vector256<float> b0 = Avx.LoadAlignedVector256(b);
            Vector256<float> b1 = Avx.LoadAlignedVector256(b + 8);
            Vector256<float> ai = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(ai, b0, c00);
            c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(ai, b0, c10);
            c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(ai, b0, c20);
            c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(ai, b0, c30);
            c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(ai, b0, c40);
            c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(ai, b0, c50);
            c51 = Fma.MultiplyAdd(ai, b1, c51);
            b0 = Avx.LoadAlignedVector256(b + NR);
            b1 = Avx.LoadAlignedVector256(b + NR + 8);
            ai = Avx.BroadcastScalarToVector256(a + MR);
            c00 = Fma.MultiplyAdd(ai, b0, c00);
            c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Avx.BroadcastScalarToVector256(a + MR + 1);
            c10 = Fma.MultiplyAdd(ai, b0, c10);
            c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Avx.BroadcastScalarToVector256(a + MR + 2);
            c20 = Fma.MultiplyAdd(ai, b0, c20);
            c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Avx.BroadcastScalarToVector256(a + MR + 3);
            c30 = Fma.MultiplyAdd(ai, b0, c30);
            c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Avx.BroadcastScalarToVector256(a + MR + 4);
            c40 = Fma.MultiplyAdd(ai, b0, c40);
            c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Avx.BroadcastScalarToVector256(a + MR + 5);
            c50 = Fma.MultiplyAdd(ai, b0, c50);
            c51 = Fma.MultiplyAdd(ai, b1, c51);
        }

        if (p < kc)
        {
            Vector256<float> b0 = Avx.LoadAlignedVector256(b);
            Vector256<float> b1 = Avx.LoadAlignedVector256(b + 8);
            Vector256<float> ai = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(ai, b0, c00);
            c01 = Fma.MultiplyAdd(ai, b1, c01);
            ai = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(ai, b0, c10);
            c11 = Fma.MultiplyAdd(ai, b1, c11);
            ai = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(ai, b0, c20);
            c21 = Fma.MultiplyAdd(ai, b1, c21);
            ai = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(ai, b0, c30);
            c31 = Fma.MultiplyAdd(ai, b1, c31);
            ai = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(ai, b0, c40);
            c41 = Fma.MultiplyAdd(ai, b1, c41);
            ai = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(ai, b0, c50);
            c51 = Fma.MultiplyAdd(ai, b1, c51);
        }

        Vector256<float> alphaV = Vector256.Create(alpha);
        Vector256<float> betaV = Vector256.Create(beta);
        bool overwrite = beta == 0;
        StoreRowAvx2(c, c00, c01, alphaV, betaV, overwrite);
        StoreRowAvx2(c + ldc, c10, c11, alphaV, betaV, overwrite);
        StoreRowAvx2(c + 2 * ldc, c20, c21, alphaV, betaV, overwrite);
        StoreRowAvx2(c + 3 * ldc, c30, c31, alphaV, betaV, overwrite);
        StoreRowAvx2(c + 4 * ldc, c40, c41, alphaV, betaV, overwrite);
        StoreRowAvx2(c + 5 * ldc, c50, c51, alphaV, betaV, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRowAvx2(
        float* c, Vector256<float> low, Vector256<float> high, Vector256<float> alpha, Vector256<float> beta, bool overwrite)
    {
        if (overwrite)
        {
            Avx.Store(c, Avx.Multiply(low, alpha));
            Avx.Store(c + 8, Avx.Multiply(high, alpha));
        }
        else
        {
            Avx.Store(c, Fma.MultiplyAdd(low, alpha, Avx.Multiply(beta, Avx.LoadVector256(c))));
            Avx.Store(c + 8, Fma.MultiplyAdd(high, alpha, Avx.Multiply(beta, Avx.LoadVector256(c + 8))));
        }
    }

    /// <summary>
    /// 6×16 tile in 24 Vector128 accumulators, for CPUs without AVX2/FMA (ARM64 has the 32 registers this needs).
    /// MultiplyAddEstimate fuses where the hardware can and multiplies then adds where it cannot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MicroKernelPortable(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector128<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector128<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector128<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector128<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector128<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int p = 0; p < kc; p++, a += MR, b += NR)
        {
            Vector128<float> b0 = Vector128.LoadAligned(b);
            Vector128<float> b1 = Vector128.LoadAligned(b + 4);
            Vector128<float> b2 = Vector128.LoadAligned(b + 8);
            Vector128<float> b3 = Vector128.LoadAligned(b + 12);
            Vector128<float> ai = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(ai, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(ai, b1, c01);
            c02 = Vector128.MultiplyAddEstimate(ai, b2, c02);
            c03 = Vector128.MultiplyAddEstimate(ai, b3, c03);
            ai = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(ai, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(ai, b1, c11);
            c12 = Vector128.MultiplyAddEstimate(ai, b2, c12);
            c13 = Vector128.MultiplyAddEstimate(ai, b3, c13);
            ai = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(ai, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(ai, b1, c21);
            c22 = Vector128.MultiplyAddEstimate(ai, b2, c22);
            c23 = Vector128.MultiplyAddEstimate(ai, b3, c23);
            ai = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(ai, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(ai, b1, c31);
            c32 = Vector128.MultiplyAddEstimate(ai, b2, c32);
            c33 = Vector128.MultiplyAddEstimate(ai, b3, c33);
            ai = Vector128.Create(a[4]);
            c40 = Vector128.MultiplyAddEstimate(ai, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(ai, b1, c41);
            c42 = Vector128.MultiplyAddEstimate(ai, b2, c42);
            c43 = Vector128.MultiplyAddEstimate(ai, b3, c43);
            ai = Vector128.Create(a[5]);
            c50 = Vector128.MultiplyAddEstimate(ai, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(ai, b1, c51);
            c52 = Vector128.MultiplyAddEstimate(ai, b2, c52);
            c53 = Vector128.MultiplyAddEstimate(ai, b3, c53);
        }

        Vector128<float> alphaV = Vector128.Create(alpha);
        Vector128<float> betaV = Vector128.Create(beta);
        bool overwrite = beta == 0;
        StoreRowPortable(c, c00, c01, c02, c03, alphaV, betaV, overwrite);
        StoreRowPortable(c + ldc, c10, c11, c12, c13, alphaV, betaV, overwrite);
        StoreRowPortable(c + 2 * ldc, c20, c21, c22, c23, alphaV, betaV, overwrite);
        StoreRowPortable(c + 3 * ldc, c30, c31, c32, c33, alphaV, betaV, overwrite);
        StoreRowPortable(c + 4 * ldc, c40, c41, c42, c43, alphaV, betaV, overwrite);
        StoreRowPortable(c + 5 * ldc, c50, c51, c52, c53, alphaV, betaV, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRowPortable(
        float* c, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3,
        Vector128<float> alpha, Vector128<float> beta, bool overwrite)
    {
        if (overwrite)
        {
            (v0 * alpha).Store(c);
            (v1 * alpha).Store(c + 4);
            (v2 * alpha).Store(c + 8);
            (v3 * alpha).Store(c + 12);
        }
        else
        {
            Vector128.MultiplyAddEstimate(v0, alpha, beta * Vector128.Load(c)).Store(c);
            Vector128.MultiplyAddEstimate(v1, alpha, beta * Vector128.Load(c + 4)).Store(c + 4);
            Vector128.MultiplyAddEstimate(v2, alpha, beta * Vector128.Load(c + 8)).Store(c + 8);
            Vector128.MultiplyAddEstimate(v3, alpha, beta * Vector128.Load(c + 12)).Store(c + 12);
        }
    }
}
