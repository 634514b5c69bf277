using System;
using System.Collections.Generic;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The values logged during one loop (training, or one evaluation run): Lightning's <c>_ResultCollection</c>.
/// Tensor values stay on their device (accumulated in place, in float64); the host reads them only when
/// a logger, the progress bar or an epoch end asks. Values logged with <c>syncDist</c> are reduced across processes: an
/// epoch value (from each process's accumulation) when it is read, as Lightning; the step values a hook logged all
/// together in one exchange when the hook returns (<see cref="SyncStepValues"/>), where Lightning makes one per value.
/// </summary>
internal sealed class MetricStore(Strategy strategy, TrainerMessages messages) : IDisposable
{
    private readonly Dictionary<string, LoggedMetric> metrics = new(StringComparer.Ordinal);
    private readonly List<LoggedMetric> order = [];
    // Step values logged with syncDist since the last exchange, in logging order.
    private readonly List<LoggedMetric> awaitingSync = [];

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
        if (metric.SyncsSteps) AwaitSync(metric);
        HasStepValues |= metric.OnStep;
    }

    public void Log(HookLogging context, string name, double value, bool? onStep, bool? onEpoch, bool progBar, bool logger, ReduceFx reduceFx, bool syncDist, int? batchSize)
    {
        var metric = Resolve(context, name, onStep, onEpoch, progBar, logger, reduceFx, syncDist, null);
        metric.Update(value, batchSize ?? CurrentBatchSize);
        if (metric.SyncsSteps) AwaitSync(metric);
        HasStepValues |= metric.OnStep;
    }

    private void AwaitSync(LoggedMetric metric)
    {
        // Logged again before the exchange: the exchange sends its latest value.
        if (!awaitingSync.Contains(metric)) awaitingSync.Add(metric);
    }

    /// <summary>
    /// Reduces the step values logged with <c>syncDist</c> since the last call, all in one exchange: first each process's
    /// list of names, sorted (so that processes that logged different names fail with both lists instead of mixing
    /// values), then the values. A no-op without such values, unless <paramref name="always"/>: an evaluation under ddp calls it after
    /// every batch on every process, and a process without a batch there (<paramref name="present"/> false; evaluation
    /// shards are unequal) takes part with nothing, so that the others are not left waiting.
    /// </summary>
    public void SyncStepValues(bool always = false, bool present = true)
    {
        if (strategy.WorldSize == 1 || (awaitingSync.Count == 0 && !always)) return;
        // By name, not logging order: processes that log the same names in another order still agree.
        awaitingSync.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : string.CompareOrdinal(a.Suffix, b.Suffix));
        int count = present ? awaitingSync.Count : 0;
        var description = count == 0 ? "no step values" : $"the step values of {string.Join(", ", awaitingSync.Select(m => $"Log(\"{m.Name}{m.Suffix}\")"))} (syncDist)";
        using var purpose = strategy.ForPurpose(description);
        var signature = new StringBuilder();
        foreach (var metric in awaitingSync) signature.Append(metric.Name).Append(metric.Suffix).Append(':').Append(metric.ReduceFx).Append('\n');
        var headers = strategy.AllGatherValues([present ? 1L : 0L, count, (long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(signature.ToString()))]);
        var presentRanks = Enumerable.Range(0, strategy.WorldSize).Where(r => headers[r * 3] == 1).ToArray();
        // Every process decides from the same gathered headers, so all fail together or none.
        if (presentRanks.Select(r => (headers[r * 3 + 1], headers[r * 3 + 2])).Distinct().Count() > 1) throw Mismatch(description);
        int agreed = presentRanks.Length == 0 ? 0 : (int)headers[presentRanks[0] * 3 + 1];
        if (agreed == 0) return;

        var values = strategy.AllGatherValues(present ? LocalStepValues() : new double[agreed]);
        if (!present) return;
        for (int i = 0; i < agreed; i++)
        {
            var column = presentRanks.Select(r => values[r * agreed + i]);
            awaitingSync[i].SetSyncedStepValue(awaitingSync[i].ReduceFx switch
            {
                ReduceFx.Sum => column.Sum(),
                ReduceFx.Max => column.Max(),
                ReduceFx.Min => column.Min(),
                _ => column.Average(),
            });
        }
        awaitingSync.Clear();
    }

    /// <summary>This process's values awaiting the exchange; those on an accelerator are read in one transfer (a read on the CPU costs nothing).</summary>
    private double[] LocalStepValues()
    {
        static bool OnAccelerator(LoggedMetric m) => m.StepTensor is { device_type: not DeviceType.CPU };
        var accelerated = awaitingSync.Where(OnAccelerator).ToArray();
        if (accelerated.Length <= 1) return awaitingSync.Select(m => m.ReadStepValue()).ToArray();
        using var scope = NewDisposeScope();
        var read = stack(accelerated.Select(m => m.StepTensor!.to(ScalarType.Float64)).ToArray()).cpu().data<double>().ToArray();
        var values = new double[awaitingSync.Count];
        for (int i = 0, next = 0; i < values.Length; i++) values[i] = OnAccelerator(awaitingSync[i]) ? read[next++] : awaitingSync[i].ReadStepValue();
        return values;
    }

    /// <summary>The processes logged different step values with syncDist: every process learns the others' lists and fails with them.</summary>
    private MisconfigurationException Mismatch(string description)
    {
        var sides = strategy.GatherTexts(description);
        var location = strategy.Location?.Invoke() ?? "";
        return new MisconfigurationException(
            $"The processes logged different step values with syncDist {location}: " +
            string.Join("; ", sides.Select((side, rank) => $"rank {rank}: {side}")) + ". " +
            "Every process must make the same Log(..., syncDist: true) calls in the same hooks (a Log inside `if (GlobalRank == 0)` reaches one process only): " +
            "log the value on every process, or leave syncDist off.");
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

    /// <summary>
    /// At the end of an evaluation under ddp, where a process may have had no batch in which another logged a name: every
    /// process learns the names the others logged and adds an empty entry for those it lacks, in one order for all, so
    /// that each takes part in the same reductions of <see cref="EpochValues"/>.
    /// </summary>
    public void AgreeOnEpochValues()
    {
        if (strategy.WorldSize == 1) return;
        var own = new JsonArray(order.Select(m => m.IsMetricObject ? new JsonObject { ["name"] = m.Name, ["suffix"] = m.Suffix, ["metric_object"] = true } : (JsonNode)m.Save()).ToArray());
        string[] lists;
        using (strategy.ForPurpose("the names logged in this evaluation")) lists = strategy.GatherTexts(own.ToJsonString());
        var agreed = new List<LoggedMetric>();
        foreach (var list in lists)
        {
            foreach (var entry in JsonNode.Parse(list)!.AsArray().Cast<JsonObject>())
            {
                var key = (string)entry["name"]! + (string?)entry["suffix"];
                if (!metrics.TryGetValue(key, out var metric))
                {
                    if (entry["metric_object"] is not null)
                        throw new MisconfigurationException(
                            $"Log(\"{entry["name"]}\", metric) was called on some processes only: a process had no batch in this evaluation (fewer samples than processes?). " +
                            "Give every process at least one batch, or log the metric's value with syncDist instead.");
                    metrics.Add(key, metric = LoggedMetric.Placeholder(entry, strategy));
                }
                if (!agreed.Contains(metric)) agreed.Add(metric);
            }
        }
        order.Clear();
        order.AddRange(agreed);
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
        awaitingSync.Clear();
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
