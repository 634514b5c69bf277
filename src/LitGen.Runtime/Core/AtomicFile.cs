using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace LitGen;

/// <summary>
/// Writes files whole or not at all: into a hidden temporary file beside the target (named after this process), then a
/// rename over the target. A reader never sees half a file, a link at the target is replaced rather than written
/// through, and the temporary files a killed process leaves behind are recognised and removed by the next run.
/// </summary>
internal static partial class AtomicFile
{
    private static readonly AsyncLocal<AtomicWriteSteps?> StepsOverride = new();

    /// <summary>Routes this flow's writes through <paramref name="steps"/> until disposed (tests watch the order of the steps).</summary>
    internal static IDisposable UseSteps(AtomicWriteSteps steps)
    {
        StepsOverride.Value = steps;
        return new StepsRestorer();
    }

    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, flushed to disk before the rename.</summary>
    public static void Write(string path, Action<FileStream> write)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.tmp");
        try
        {
            var steps = StepsOverride.Value ?? AtomicWriteSteps.Disk;
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                write(stream);
                steps.FlushToDisk(stream);
            }
            steps.Rename(temporary, path);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8).</summary>
    public static void WriteAllText(string path, string text) => Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(text)));

    /// <summary>Copies <paramref name="source"/> over <paramref name="destination"/>.</summary>
    public static void Copy(string source, string destination)
        => Write(destination, stream =>
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read);
            input.CopyTo(stream);
        });

    /// <summary>
    /// Deletes the temporary files in <paramref name="directory"/> whose writing process is gone (killed mid-write).
    /// Files of live processes are kept: another run may be writing into the same folder right now.
    /// </summary>
    public static void RemoveAbandoned(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var file in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            var match = TemporaryName().Match(Path.GetFileName(file));
            if (!match.Success || !int.TryParse(match.Groups["pid"].ValueSpan, CultureInfo.InvariantCulture, out var processId) || IsAlive(processId)) continue;
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run cleaning the same folder got there first, or the folder is read-only: the file is harmless there.
            }
        }
    }

    private static bool IsAlive(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private sealed class StepsRestorer : IDisposable
    {
        public void Dispose() => StepsOverride.Value = null;
    }

    [GeneratedRegex(@"^\..+\.(?<pid>[0-9]{1,10})-[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();
}

/// <summary>
/// The two steps whose order makes a write atomic: the whole temporary file reaches the disk, then it is renamed over
/// the target. A crash between them leaves the old target whole; a rename first could publish a file the disk lost.
/// </summary>
internal class AtomicWriteSteps
{
    public static readonly AtomicWriteSteps Disk = new();

    public virtual void FlushToDisk(FileStream stream) => stream.Flush(flushToDisk: true);

    public virtual void Rename(string temporary, string path) => File.Move(temporary, path, overwrite: true);
}
