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
    private readonly int? requestedVersion;
    private int? resolvedVersion;

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
    /// The run's version: the given one, or one more than the highest <c>version_N</c> folder present or claimed by another
    /// logger of this process (two trainers created one after the other never share a folder).
    /// </summary>
    public int Version => resolvedVersion ??= requestedVersion ?? ClaimNextFreeVersion(Path.Combine(SaveDir, Name));

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

    // Versions handed out in this process, per run root, before their folders exist.
    private static readonly Dictionary<string, int> Claimed = new(StringComparer.Ordinal);

    private static int ClaimNextFreeVersion(string root)
    {
        var key = Path.GetFullPath(root);
        lock (Claimed)
        {
            var versions = Directory.Exists(root)
                ? Directory.GetDirectories(root, "version_*")
                    .Select(d => int.TryParse(Path.GetFileName(d).AsSpan("version_".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1)
                    .Where(v => v >= 0)
                    .ToList()
                : [];
            int next = versions.Count == 0 ? 0 : versions.Max() + 1;
            if (Claimed.TryGetValue(key, out var claimed)) next = Math.Max(next, claimed + 1);
            Claimed[key] = next;
            return next;
        }
    }
}

/// <summary>How a run ended, as loggers are told when they are finalized.</summary>
public enum RunStatus
{
    /// <summary>The run ended normally (Lightning's <c>"success"</c>).</summary>
    Success,

    /// <summary>The run failed or was interrupted (Lightning's <c>"failed"</c>).</summary>
    Failed,
}
