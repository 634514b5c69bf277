using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The values logged during one loop (training, or one evaluation run): Lightning's <c>_ResultCollection</c>.
/// Tensor values stay on their device (accumulated in place, in float64); the host reads them only when
/// a logger, the progress bar or an epoch end asks. Values logged with <c>syncDist</c> are reduced across processes as
/// Lightning does: a step value when it is logged, an epoch value (from each process's accumulation) when it is read.
/// </summary>
internal sealed class MetricStore(Strategy strategy, TrainerMessages messages) : IDisposable
{
    private readonly Dictionary<string, LoggedMetric> metrics = new(StringComparer.Ordinal);
    private readonly List<LoggedMetric> order = [];

    /// <summary>The batch size of the batch being processed; used when <c>Log</c> gets no <c>batchSize</c>.</summary>
    public int CurrentBatchSize { get; set; } = 1;

    public bool HasStepValues { get; private set; }

    /// <summary>Appended to every name logged now: Lightning's <c>/dataloader_idx_N</c> when an evaluation has several dataloaders.</summary>
    public string? NameSuffix { get; set; }

    public void Log(HookLogging context, string name, Tensor value, bool? onStep, bool? onEpoch, bool progBar, bool logger, ReduceFx reduceFx, bool syncDist, int? batchSize)
    {
        if (value.numel() != 1)
            throw new MisconfigurationException(
                $"Log(\"{name}\") got a tensor of shape [{string.Join(", ", value.shape)}]; only scalars can be logged. Reduce it first (e.g. .mean()).");
        var metric = Resolve(context, name, onStep, onEpoch, progBar, logger, reduceFx, syncDist, null);
        metric.Update(value, batchSize ?? CurrentBatchSize);
        HasStepValues |= metric.OnStep;
    }

    public void Log(HookLogging context, string name, double value, bool? onStep, bool? onEpoch, bool progBar, bool logger, ReduceFx reduceFx, bool syncDist, int? batchSize)
    {
        var metric = Resolve(context, name, onStep, onEpoch, progBar, logger, reduceFx, syncDist, null);
        metric.Update(value, batchSize ?? CurrentBatchSize);
        HasStepValues |= metric.OnStep;
    }

    public void Log(HookLogging context, string name, Metric metric, bool? onStep, bool? onEpoch, bool progBar, bool logger)
    {
        System.ArgumentNullException.ThrowIfNull(metric);
        var entry = Resolve(context, name, onStep, onEpoch, progBar, logger, ReduceFx.Mean, syncDist: true, metric);
        metric.Strategy = strategy;
        entry.UpdateFrom(metric);
        HasStepValues |= entry.OnStep;
    }

    /// <summary>The values logged with <c>onStep</c> since the last <see cref="EndStep"/> (reads them on the host).</summary>
    public IEnumerable<(string Name, double Value, bool ProgBar, bool Logger)> StepValues() => ReadStepValues(currentStepOnly: true);

    /// <summary>The latest step value of every metric logged with <c>onStep</c> in this loop.</summary>
    public IEnumerable<(string Name, double Value, bool ProgBar, bool Logger)> LatestStepValues() => ReadStepValues(currentStepOnly: false);

    private IEnumerable<(string Name, double Value, bool ProgBar, bool Logger)> ReadStepValues(bool currentStepOnly)
    {
        foreach (var metric in order)
            if (metric.OnStep && (currentStepOnly ? metric.HasStepValue : metric.HasAnyStepValue))
                yield return ((metric.OnEpoch ? metric.Name + "_step" : metric.Name) + metric.Suffix, metric.ReadStepValue(), metric.ProgBar, metric.Logger);
    }

    /// <summary>Forgets which values were logged in the finished step (the epoch accumulators keep them).</summary>
    public void EndStep()
    {
        if (!HasStepValues) return;
        foreach (var metric in order) metric.HasStepValue = false;
        HasStepValues = false;
    }

    /// <summary>The epoch values of every metric logged with <c>onEpoch</c> (reads them on the host).</summary>
    public IEnumerable<(string Name, string LoggedName, double Value, bool ProgBar, bool Logger)> EpochValues()
    {
        foreach (var metric in order)
            if (metric.OnEpoch && metric.HasEpochValue)
                yield return (metric.Name + metric.Suffix, (metric.OnStep ? metric.Name + "_epoch" : metric.Name) + metric.Suffix, metric.ReadEpochValue(), metric.ProgBar, metric.Logger);
    }

    /// <summary>Forgets everything, freeing the accumulators and resetting logged metric objects for their next epoch.</summary>
    public void Reset()
    {
        foreach (var metric in order) metric.Dispose();
        metrics.Clear();
        order.Clear();
        HasStepValues = false;
    }

    public void Dispose() => Reset();

    /// <summary>
    /// The partial-epoch state of every logged value, exact (doubles round-trip), for mid-epoch checkpoints. Metric
    /// objects are left out: they are saved with the module (their entries come back when they are logged again).
    /// </summary>
    public JsonArray Save()
    {
        var state = new JsonArray();
        foreach (var metric in order)
            if (!metric.IsMetricObject) state.Add((JsonNode)metric.Save());
        return state;
    }

    /// <summary>Throws unless <paramref name="state"/> is a state <see cref="Restore"/> can read.</summary>
    public static void Validate(JsonArray state)
    {
        foreach (var node in state) LoggedMetric.Restore((JsonObject)node!, torch.CPU, null).Dispose();
    }

    /// <summary>Replaces the contents with a state from <see cref="Save"/>; device parts are recreated on <paramref name="device"/>.</summary>
    public void Restore(JsonArray state, Device device)
    {
        Reset();
        foreach (var node in state)
        {
            var metric = LoggedMetric.Restore((JsonObject)node!, device, strategy);
            metrics.Add(metric.Name + metric.Suffix, metric);
            order.Add(metric);
        }
    }

    private LoggedMetric Resolve(HookLogging context, string name, bool? onStep, bool? onEpoch, bool progBar, bool logger, ReduceFx reduceFx, bool syncDist,
        Metric? metricObject)
    {
        bool defaultStep = context == HookLogging.Step;
        bool step = onStep ?? defaultStep;
        bool epoch = onEpoch ?? !defaultStep;
        if (!step && !epoch)
            throw new MisconfigurationException($"Log(\"{name}\", onStep: false, onEpoch: false) logs nothing; set onStep or onEpoch to true.");

        var key = name + NameSuffix;
        if (metrics.TryGetValue(key, out var existing))
        {
            if (existing.OnStep != step || existing.OnEpoch != epoch || existing.ReduceFx != reduceFx || existing.ProgBar != progBar || existing.Logger != logger
                || !ReferenceEquals(existing.MetricObject, metricObject))
                throw new MisconfigurationException(
                    $"Log(\"{name}\") was called again with different arguments in the same loop; log each name with one set of onStep/onEpoch/progBar/logger/reduceFx.");
            return existing;
        }
        if (epoch && !syncDist && metricObject is null && strategy.WorldSize > 1 && messages.FirstTime($"{nameof(TrainerLog.EpochValueNotSynced)}:{name}"))
            TrainerLog.EpochValueNotSynced(messages.Logger("Trainer"), name, strategy.WorldSize);
        var metric = new LoggedMetric(name, NameSuffix ?? "", step, epoch, progBar, logger, reduceFx, syncDist ? strategy : null) { MetricObject = metricObject };
        metrics.Add(key, metric);
        order.Add(metric);
        return metric;
    }
}
