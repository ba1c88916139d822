namespace Microsoft.ML.DatasetDistillation.IO;

/// <summary>
/// Writes a file under a temporary name in the target's folder and moves it into place on
/// <see cref="Commit"/>, so readers never see a half-written file. Disposing without committing deletes the
/// temporary file and leaves any existing target untouched. A process killed mid-write leaves its temporary file
/// behind; the next write of the same target deletes it.
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
        string folder = Path.GetDirectoryName(this.path)!, prefix = $".{Path.GetFileName(this.path)}.";
        DeleteStaleTempFiles(folder, prefix);
        // Same folder, so the final move is a rename on one file system rather than a copy.
        tempPath = Path.Combine(folder, $"{prefix}{Guid.NewGuid():N}.tmp");
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

    // Left by writes of this target that were killed before Commit or Dispose.
    private static void DeleteStaleTempFiles(string folder, string prefix)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (string stale in Directory.EnumerateFiles(folder, $"{prefix}*.tmp"))
        {
            // Exactly the names this class makes: the prefix, 32 hex digits, ".tmp".
            string guid = Path.GetFileName(stale)[prefix.Length..^4];
            if (guid.Length == 32 && guid.All(char.IsAsciiHexDigit))
            {
                try
                {
                    File.Delete(stale);
                }
                catch (IOException)
                {
                    // Still open elsewhere (Windows): left for a later write.
                }
            }
        }
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
