using System;
using System.Collections.Generic;
using System.Text.Json;

namespace LitGen;

/// <summary>
/// Writes a TensorBoard event file (scalars, hyperparameters; histograms, images and text through
/// <see cref="Experiment"/>) and <c>hparams.yaml</c> into <c>{saveDir}/{name}/version_{n}/</c>; open it with
/// <c>tensorboard --logdir {saveDir}</c>.
/// </summary>
public class TensorBoardLogger : Logger, IDisposable
{
    private EventFileWriter? writer;
    private TensorBoardExperiment? experiment;

    /// <summary>Creates a TensorBoard logger writing under <paramref name="saveDir"/>/<paramref name="name"/>.</summary>
    public TensorBoardLogger(string saveDir = "lightning_logs", string name = "lightning_logs", int? version = null)
        : base(saveDir, name, version)
    {
    }

    /// <summary>The event file being written, once the first event was logged.</summary>
    public string? EventFilePath => writer?.Path;

    /// <summary>The event file for histograms, images and text (Lightning's <c>logger.experiment</c>, a <c>SummaryWriter</c>).</summary>
    public TensorBoardExperiment Experiment => experiment ??= new TensorBoardExperiment(RankZero.IsGlobalZero ? () => writer ??= new EventFileWriter(LogDir) : null);

    /// <summary>Write the <c>hp_metric</c> placeholder (-1) that TensorBoard's HParams tab shows (default true, as in Lightning).</summary>
    public bool DefaultHpMetric { get; init; } = true;

    /// <summary>Writes <c>hparams.yaml</c> and the HParams plugin summaries TensorBoard's HParams tab reads.</summary>
    public override void LogHyperparams(IHyperparameters hyperparameters)
    {
        WriteHparamsYaml(hyperparameters);
        writer ??= new EventFileWriter(LogDir);
        var values = new List<KeyValuePair<string, object>>();
        using (var document = JsonDocument.Parse(hyperparameters.ToJson()))
        {
            foreach (var property in document.RootElement.EnumerateObject())
            {
                object value = property.Value.ValueKind switch
                {
                    JsonValueKind.Number => property.Value.GetDouble(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String => property.Value.GetString()!,
                    _ => property.Value.GetRawText(),
                };
                values.Add(new(property.Name, value));
            }
        }
        writer.WriteHparams(values, DefaultHpMetric ? ["hp_metric"] : []);
        if (DefaultHpMetric) writer.WriteScalar("hp_metric", -1, 0);
    }

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
    public override void Finalize(RunStatus status) => Dispose();

    /// <summary>Closes the event file.</summary>
    public void Dispose()
    {
        writer?.Dispose();
        writer = null;
    }
}
