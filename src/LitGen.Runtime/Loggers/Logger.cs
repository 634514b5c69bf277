using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace LitGen;

/// <summary>
/// Receives hyperparameters and metrics from the trainer (Lightning's <c>Logger</c>). Loggers write under
/// <c>{SaveDir}/{Name}/version_{Version}/</c>, taking the next free version number unless one is given.
/// </summary>
public abstract class Logger
{
    /// <summary>The file that marks a version folder as taken: created exclusively, so that one run wins each number.</summary>
    internal const string ClaimFileName = ".litgen-version";

    private readonly int? requestedVersion;
    private int? resolvedVersion;
    private Logger? versionOwner;

    /// <summary>Creates a logger writing under <paramref name="saveDir"/>/<paramref name="name"/>.</summary>
    protected Logger(string saveDir, string name, int? version)
    {
        SaveDir = saveDir;
        Name = name;
        requestedVersion = version;
    }

    private bool abandonedFilesRemoved;

    /// <summary>The root folder of this logger's runs.</summary>
    public string SaveDir { get; }

    /// <summary>The experiment name: the folder under <see cref="SaveDir"/>.</summary>
    public string Name { get; }

    /// <summary>
    /// The run's version: the given one, or the next free <c>version_N</c>, claimed when first asked for: the folder and a
    /// claim file in it are created exclusively, so runs started at the same moment in one root (processes or trainers)
    /// each get a folder of their own.
    /// </summary>
    public int Version => resolvedVersion ??= requestedVersion ?? versionOwner?.Version ?? ClaimNextFreeVersion(Path.Combine(SaveDir, Name));

    /// <summary>Makes this logger write into <paramref name="owner"/>'s version folder, claimed when either first needs it (the default logger pair).</summary>
    internal void ShareVersionOf(Logger owner) => versionOwner = owner;

    /// <summary>
    /// The run folder, <c>{SaveDir}/{Name}/version_{Version}</c>; created on first use, when the temporary files that
    /// killed runs left in this experiment's version folders are removed (a resumed run usually logs into a new version).
    /// </summary>
    public string LogDir
    {
        get
        {
            var directory = Path.Combine(SaveDir, Name, "version_" + Version.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(directory);
            if (!abandonedFilesRemoved)
            {
                foreach (var version in Directory.EnumerateDirectories(Path.Combine(SaveDir, Name), "version_*")) AtomicFile.RemoveAbandoned(version);
                abandonedFilesRemoved = true;
            }
            return directory;
        }
    }

    /// <summary>Records the hyperparameters of the run.</summary>
    public abstract void LogHyperparams(IHyperparameters hyperparameters);

    /// <summary>Records metric values at a step.</summary>
    public abstract void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step);

    /// <summary>Writes buffered data to disk.</summary>
    public virtual void Save() { }

    /// <summary>Closes the run (Lightning's <c>finalize(status)</c>): after a run that ended normally, or one that failed or was interrupted.</summary>
    public virtual void Finalize(RunStatus status) => Save();

    /// <summary>
    /// Writes <c>hparams.yaml</c> into the run folder (whole or not at all); not again when it already holds the same
    /// text (the default CSV and TensorBoard loggers share a folder, and each write is flushed to disk).
    /// </summary>
    protected void WriteHparamsYaml(IHyperparameters hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        var path = Path.Combine(LogDir, "hparams.yaml");
        var yaml = hyperparameters.ToYaml();
        if (File.Exists(path) && File.ReadAllText(path) == yaml) return;
        AtomicFile.WriteAllText(path, yaml);
    }

    // Lightning takes max + 1 of the folders present; two runs starting together would both take it. The claim file is
    // created with CreateNew, which the file system grants to one of them: the other moves on to the next number.
    private static int ClaimNextFreeVersion(string root)
    {
        Directory.CreateDirectory(root);
        while (true)
        {
            int next = Directory.GetDirectories(root, "version_*")
                .Select(d => int.TryParse(Path.GetFileName(d).AsSpan("version_".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1)
                .DefaultIfEmpty(-1)
                .Max() + 1;
            for (int version = next; version < next + 64; version++)
            {
                var folder = Path.Combine(root, "version_" + version.ToString(CultureInfo.InvariantCulture));
                if (Directory.Exists(folder) && !IsUnclaimedEmpty(folder)) continue;
                Directory.CreateDirectory(folder);
                try
                {
                    using (new FileStream(Path.Combine(folder, ClaimFileName), FileMode.CreateNew, FileAccess.Write, FileShare.None)) { }
                    return version;
                }
                catch (IOException) when (File.Exists(Path.Combine(folder, ClaimFileName)))
                {
                    // Another run claimed this number first.
                }
            }
        }
    }

    /// <summary>A folder another run has just created and not yet claimed: still free to race for.</summary>
    private static bool IsUnclaimedEmpty(string folder) => !Directory.EnumerateFileSystemEntries(folder).Any();
}

/// <summary>How a run ended, as loggers are told when they are finalized.</summary>
public enum RunStatus
{
    /// <summary>The run ended normally (Lightning's <c>"success"</c>).</summary>
    Success,

    /// <summary>The run failed or was interrupted (Lightning's <c>"failed"</c>).</summary>
    Failed,
}
