namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>
/// Writes a file under a temporary name in the target's folder and moves it into place on
/// <see cref="Commit"/>, so readers never see a half-written file. Disposing without committing deletes the
/// temporary file and leaves any existing target untouched.
/// </summary>
internal sealed class AtomicFile : IDisposable
{
    private readonly string path;
    private readonly string tempPath;
    private bool committed;

    public AtomicFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        this.path = Path.GetFullPath(path);
        // Same folder, so the final move is a rename on one file system rather than a copy.
        tempPath = Path.Combine(Path.GetDirectoryName(this.path)!, $".{Path.GetFileName(this.path)}.{Guid.NewGuid():N}.tmp");
        Stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None);
    }

    /// <summary>The stream to write the file's contents to.</summary>
    public FileStream Stream { get; }

    /// <summary>Flushes the contents to disk and moves the file into place, replacing any existing file.</summary>
    public void Commit()
    {
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(tempPath, path, overwrite: true);
        committed = true;
    }

    public void Dispose()
    {
        if (!committed)
        {
            Stream.Dispose();
            File.Delete(tempPath);
        }
    }
}
