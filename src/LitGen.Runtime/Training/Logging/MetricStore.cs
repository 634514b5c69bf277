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
internal sealed class MetricStore(Strategy strategy, Action<string> warn) : IDisposable
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
        if (epoch && !syncDist && metricObject is null && strategy.WorldSize > 1)
            warn($"Log(\"{name}\") accumulates an epoch value on each of the {strategy.WorldSize} processes separately; " +
                 $"use Log(\"{name}\", …, syncDist: true) so that every process (and the callbacks that watch it) sees the value of the whole job.");
        var metric = new LoggedMetric(name, NameSuffix ?? "", step, epoch, progBar, logger, reduceFx, syncDist ? strategy : null) { MetricObject = metricObject };
        metrics.Add(key, metric);
        order.Add(metric);
        return metric;
    }

    // sync: the strategy reducing the values across processes; null when the metric is not synchronized.
    private sealed class LoggedMetric(string name, string suffix, bool onStep, bool onEpoch, bool progBar, bool logger, ReduceFx reduceFx, Strategy? sync) : IDisposable
    {
        public string Name { get; } = name;
        public string Suffix { get; } = suffix;
        public bool OnStep { get; } = onStep;
        public bool OnEpoch { get; } = onEpoch;
        public bool ProgBar { get; } = progBar;
        public bool Logger { get; } = logger;
        public ReduceFx ReduceFx { get; } = reduceFx;
        public bool HasStepValue { get; set; }
        public bool HasAnyStepValue => deviceStep is not null || hostStepSet;
        public bool HasEpochValue => deviceAccumulator is not null || hostCount > 0 || MetricObject is not null;

        /// <summary>The metric object logged under this name (its epoch value is its <c>Compute</c>), or null for plain values.</summary>
        public Metric? MetricObject { get; init; }

        public bool IsMetricObject => MetricObject is not null;

        // The latest step value: a device scalar when logged as a tensor, else a host double.
        private Tensor? deviceStep;
        private double hostStep;
        private bool stepOnDevice;
        private bool hostStepSet;

        // The epoch reduction: device part and host part are combined on read.
        private Tensor? deviceAccumulator;
        private double hostAccumulator;
        private int hostCount;
        private double weight;

        // The epoch value as read (reduced across processes when synchronized), until the next update.
        private double? epochValue;

        public void Update(Tensor value, int batchSize)
        {
            // All state is 0-dimensional, so values of shape [] and [1] mix and checkpoints restore it exactly.
            var detached = value.detach();
            if (detached.dim() != 0) detached = detached.reshape([]);
            epochValue = null;
            if (OnStep)
            {
                var stepValue = sync is null ? detached : sync.AllReduce(detached, ReduceFx);
                if (deviceStep is null) deviceStep = Persist(stepValue);
                else deviceStep.copy_(stepValue);
                stepOnDevice = true;
                HasStepValue = true;
            }
            if (!OnEpoch) return;
            if (deviceAccumulator is null)
            {
                deviceAccumulator = Persist(detached);
                if (ReduceFx == ReduceFx.Mean) deviceAccumulator.mul_(batchSize);
            }
            else
            {
                switch (ReduceFx)
                {
                    case ReduceFx.Mean: deviceAccumulator.add_(detached, alpha: batchSize); break;
                    case ReduceFx.Sum: deviceAccumulator.add_(detached); break;
                    case ReduceFx.Max: deviceAccumulator.copy_(torch.maximum(deviceAccumulator, detached)); break;
                    case ReduceFx.Min: deviceAccumulator.copy_(torch.minimum(deviceAccumulator, detached)); break;
                }
            }
            weight += batchSize;
        }

        /// <summary>Takes a metric object's step value: its last batch value, or what it holds so far (this process's).</summary>
        public void UpdateFrom(Metric metric)
        {
            epochValue = null;
            if (!OnStep) return;
            using var scope = NewDisposeScope();
            var value = metric.LastBatchValue ?? metric.ComputeLocal();
            if (value.numel() != 1)
                throw new MisconfigurationException($"Log(\"{Name}\", metric) needs a metric with a single value; {metric.GetType().Name} has {value.numel()}. Log one of its values instead.");
            var scalar = value.detach().reshape([]);
            if (deviceStep is null) deviceStep = Persist(scalar);
            else deviceStep.copy_(scalar);
            stepOnDevice = true;
            HasStepValue = true;
        }

        public void Update(double value, int batchSize)
        {
            epochValue = null;
            if (OnStep)
            {
                hostStep = value;
                if (sync is not null)
                {
                    using var local = tensor(value, ScalarType.Float64);
                    using var reduced = sync.AllReduce(local, ReduceFx);
                    hostStep = reduced.item<double>();
                }
                hostStepSet = true;
                stepOnDevice = false;
                HasStepValue = true;
            }
            if (!OnEpoch) return;
            hostAccumulator = hostCount == 0
                ? ReduceFx == ReduceFx.Mean ? value * batchSize : value
                : ReduceFx switch
                {
                    ReduceFx.Mean => hostAccumulator + value * batchSize,
                    ReduceFx.Sum => hostAccumulator + value,
                    ReduceFx.Max => Math.Max(hostAccumulator, value),
                    _ => Math.Min(hostAccumulator, value),
                };
            hostCount++;
            weight += batchSize;
        }

        public double ReadStepValue() => stepOnDevice ? deviceStep!.item<double>() : hostStep;

        public JsonObject Save() => new()
        {
            ["name"] = Name,
            ["suffix"] = Suffix,
            ["on_step"] = OnStep,
            ["on_epoch"] = OnEpoch,
            ["prog_bar"] = ProgBar,
            ["logger"] = Logger,
            ["reduce_fx"] = ReduceFx.ToString(),
            ["device_step"] = JsonDoubles.From(deviceStep?.item<double>()),
            ["host_step"] = hostStepSet ? JsonDoubles.From(hostStep) : null,
            ["step_on_device"] = stepOnDevice,
            ["device_accumulator"] = JsonDoubles.From(deviceAccumulator?.item<double>()),
            ["host_accumulator"] = JsonDoubles.From(hostAccumulator),
            ["host_count"] = hostCount,
            ["weight"] = weight,
            ["sync_dist"] = sync is not null,
        };

        public static LoggedMetric Restore(JsonObject state, Device device, Strategy? strategy)
        {
            var metric = new LoggedMetric(
                (string)state["name"]!, (string?)state["suffix"] ?? "", (bool)state["on_step"]!, (bool)state["on_epoch"]!, (bool)state["prog_bar"]!, (bool)state["logger"]!,
                Enum.Parse<ReduceFx>((string)state["reduce_fx"]!), (bool?)state["sync_dist"] == true ? strategy : null);
            if (state["device_step"] is JsonNode deviceStep) metric.deviceStep = Scalar(JsonDoubles.Read(deviceStep), device);
            if (state["host_step"] is JsonNode hostStep) (metric.hostStep, metric.hostStepSet) = (JsonDoubles.Read(hostStep), true);
            metric.stepOnDevice = (bool)state["step_on_device"]!;
            if (state["device_accumulator"] is JsonNode accumulator) metric.deviceAccumulator = Scalar(JsonDoubles.Read(accumulator), device);
            metric.hostAccumulator = JsonDoubles.Read(state["host_accumulator"]!);
            metric.hostCount = (int)state["host_count"]!;
            metric.weight = (double)state["weight"]!;
            return metric;
        }

        private static Tensor Scalar(double value, Device device) => tensor(value, ScalarType.Float64, device).DetachFromDisposeScope();

        /// <summary>The epoch reduction; when synchronized, of every process's accumulation (a collective call: every process reads it).</summary>
        public double ReadEpochValue() => epochValue ??= MetricObject is { } metric ? MetricEpochValue(metric)
            : sync is null ? LocalEpochValue() : SynchronizedEpochValue(sync);

        private double MetricEpochValue(Metric metric)
        {
            using var scope = NewDisposeScope();
            var value = metric.Compute();
            if (value.numel() != 1)
                throw new MisconfigurationException($"Log(\"{Name}\", metric) needs a metric with a single value; {metric.GetType().Name} has {value.numel()}. Log one of its values instead.");
            return value.to(ScalarType.Float64).item<double>();
        }

        private double SynchronizedEpochValue(Strategy strategy)
        {
            using var scope = NewDisposeScope();
            var local = tensor(new[] { LocalTotal(), weight }, ScalarType.Float64);
            var totals = strategy.AllReduce(local.narrow(0, 0, 1), ReduceFx == ReduceFx.Mean ? ReduceFx.Sum : ReduceFx).item<double>();
            if (ReduceFx != ReduceFx.Mean) return totals;
            return totals / strategy.AllReduce(local.narrow(0, 1, 1), ReduceFx.Sum).item<double>();
        }

        private double LocalEpochValue() => ReduceFx == ReduceFx.Mean ? LocalTotal() / weight : LocalTotal();

        private double LocalTotal()
        {
            bool hasDevice = deviceAccumulator is not null, hasHost = hostCount > 0;
            double device = hasDevice ? deviceAccumulator!.item<double>() : 0;
            return ReduceFx switch
            {
                ReduceFx.Max => hasDevice && hasHost ? Math.Max(device, hostAccumulator) : hasDevice ? device : hostAccumulator,
                ReduceFx.Min => hasDevice && hasHost ? Math.Min(device, hostAccumulator) : hasDevice ? device : hostAccumulator,
                _ => device + hostAccumulator,
            };
        }

        public void Dispose()
        {
            deviceStep?.Dispose();
            deviceAccumulator?.Dispose();
            MetricObject?.Reset();
        }

        // Accumulators outlive the step's dispose scope, so they are detached from it and freed by Dispose.
        private static Tensor Persist(Tensor value) => value.to(ScalarType.Float64).clone().DetachFromDisposeScope();
    }
}
