namespace Microsoft.ML.DatasetDistillation.Kernels;

/// <summary>
/// The sizes of one 2-D convolution over NCHW data: input [Batch, InChannels, Height, Width],
/// weights [OutChannels, InChannels, KernelHeight, KernelWidth], output [Batch, OutChannels, OutHeight, OutWidth].
/// </summary>
internal record struct Conv2dGeometry(
    int Batch, int InChannels, int Height, int Width,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideHeight = 1, int StrideWidth = 1, int PadHeight = 0, int PadWidth = 0)
{
    /// <summary>Output height: (Height + 2·PadHeight − KernelHeight) / StrideHeight + 1.</summary>
    public int OutHeight => (Height + 2 * PadHeight - KernelHeight) / StrideHeight + 1;

    /// <summary>Output width: (Width + 2·PadWidth − KernelWidth) / StrideWidth + 1.</summary>
    public int OutWidth => (Width + 2 * PadWidth - KernelWidth) / StrideWidth + 1;
}

/// <summary>
/// The sizes of one 2-D pooling over NCHW data: input [Batch, Channels, Height, Width],
/// output [Batch, Channels, OutHeight, OutWidth].
/// </summary>
internal record struct Pool2dGeometry(
    int Batch, int Channels, int Height, int Width,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PadHeight = 0, int PadWidth = 0)
{
    /// <summary>Output height: (Height + 2·PadHeight − KernelHeight) / StrideHeight + 1.</summary>
    public int OutHeight => (Height + 2 * PadHeight - KernelHeight) / StrideHeight + 1;

    /// <summary>Output width: (Width + 2·PadWidth − KernelWidth) / StrideWidth + 1.</summary>
    public int OutWidth => (Width + 2 * PadWidth - KernelWidth) / StrideWidth + 1;
}
