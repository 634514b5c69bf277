using System;
using System.Collections.Generic;

namespace LitGen.Loggers;

/// <summary>
/// Writes a TensorBoard event file (scalars) and <c>hparams.yaml</c> into <c>{saveDir}/{name}/version_{n}/</c>;
/// open it with <c>tensorboard --logdir {saveDir}</c>.
/// </summary>
public sealed class TensorBoardLogger : Logger, IDisposable
{
    private EventFileWriter? writer;

    /// <summary>Creates a TensorBoard logger writing under <paramref name="saveDir"/>/<paramref name="name"/>.</summary>
    public TensorBoardLogger(string saveDir = "lightning_logs", string name = "lightning_logs", int? version = null)
        : base(saveDir, name, version)
    {
    }

    /// <summary>The event file being written, once the first event was logged.</summary>
    public string? EventFilePath => writer?.Path;

    /// <inheritdoc />
    public override void LogHyperparams(IHyperparameters hyperparameters) => WriteHparamsYaml(hyperparameters);

    /// <inheritdoc />
    public override void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step)
    {
        writer ??= new EventFileWriter(LogDir);
        foreach (var (tag, value) in metrics)
            if (tag != "epoch") writer.WriteScalar(tag, (float)value, step);
        if (metrics.TryGetValue("epoch", out var epoch)) writer.WriteScalar("epoch", (float)epoch, step);
    }

    /// <inheritdoc />
    public override void Save() => writer?.Flush();

    /// <inheritdoc />
    public override void Finalize(string status) => Dispose();

    /// <summary>Closes the event file.</summary>
    public void Dispose()
    {
        writer?.Dispose();
        writer = null;
    }
}
