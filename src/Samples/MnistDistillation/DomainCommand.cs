using System.CommandLine;
using Microsoft.ML.DatasetDistillation.IO;

namespace MnistDistillation;

/// <summary>
/// <c>make-domain</c>: writes a second digit domain for the adaptation experiments, the shipped MNIST re-rendered (thicker
/// strokes, blurred, or inverted), as IDX files in MNIST's names that <c>--data</c> and <c>--pretrain-data</c> read.
/// </summary>
internal static class DomainCommand
{
    private static readonly string[] Files = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    public static Command Create()
    {
        var transform = new Option<string>("--transform")
        {
            Description = "How each image is re-rendered: 'thick' (strokes dilated by a 3×3 maximum), 'blur' (a 3×3 mean) or 'invert' (255 − pixel).",
            Required = true,
        };
        transform.AcceptOnlyFromAmong("thick", "blur", "invert");
        var output = new Option<string>("--out") { Description = "The folder to write the four IDX files to.", Required = true };
        var command = new Command("make-domain", "Writes the shipped MNIST re-rendered (thick, blur or invert) as IDX files: a second digit domain for --init pretrained --pretrain-data.")
        {
            transform, output,
        };
        command.SetAction(result =>
        {
            try
            {
                Write(result.GetValue(transform)!, result.GetValue(output)!);
                return 0;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static void Write(string transform, string folder)
    {
        string source = MnistDataset.FindDataFolder();
        Directory.CreateDirectory(folder);
        foreach (string name in Files)
        {
            IdxArray array = IdxReader.Read(MnistDataset.FindFile(source, name));
            bool images = array.Dimensions.Count == 3;
            IdxWriter.Write(Path.Combine(folder, name), images ? new IdxArray(array.Dimensions, Render(array, transform)) : array);
            Console.WriteLine($"{Path.Combine(folder, name)}: {array.Count} {(images ? $"images, {transform}" : "labels")}");
        }
    }

    /// <summary>Every image of <paramref name="images"/> [count, rows, columns] re-rendered.</summary>
    private static byte[] Render(IdxArray images, string transform)
    {
        int rows = images.Dimensions[1], columns = images.Dimensions[2], size = rows * columns;
        var result = new byte[images.Data.Length];
        for (int n = 0; n < images.Count; n++)
        {
            ReadOnlySpan<byte> image = images.Data.AsSpan(n * size, size);
            Span<byte> rendered = result.AsSpan(n * size, size);
            for (int y = 0; y < rows; y++)
            {
                for (int x = 0; x < columns; x++)
                {
                    rendered[y * columns + x] = transform == "invert" ? (byte)(255 - image[y * columns + x]) : Neighbourhood(image, rows, columns, y, x, transform == "thick");
                }
            }
        }

        return result;
    }

    /// <summary>The maximum (dilation) or the rounded mean (blur) of the 3×3 neighbourhood inside the image.</summary>
    private static byte Neighbourhood(ReadOnlySpan<byte> image, int rows, int columns, int y, int x, bool maximum)
    {
        int best = 0, sum = 0, count = 0;
        for (int dy = -1; dy <= 1; dy++)
        {
            for (int dx = -1; dx <= 1; dx++)
            {
                int yy = y + dy, xx = x + dx;
                if (yy >= 0 && yy < rows && xx >= 0 && xx < columns)
                {
                    int value = image[yy * columns + xx];
                    best = Math.Max(best, value);
                    sum += value;
                    count++;
                }
            }
        }

        return (byte)(maximum ? best : (sum + count / 2) / count);
    }
}
