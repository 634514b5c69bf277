using System;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// One name logged in a loop (Lightning's <c>_ResultMetric</c>): its flags, the step value, the epoch accumulation (a
/// batch-size-weighted sum and count, or a max/min/sum) or a <see cref="Metric"/> object.
/// </summary>
// sync: the strategy reducing the values across processes; null when the metric is not synchronized.
internal sealed class LoggedMetric(string name, string suffix, bool onStep, bool onEpoch, bool progBar, bool logger, ReduceFx reduceFx, Strategy? sync) : IDisposable
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
    public bool HasEpochValue => deviceAccumulator is not null || hostCount > 0 || MetricObject is not null || IsPlaceholder;

    /// <summary>An entry for a name other processes logged and this one did not (it had no batch): it adds nothing to the reduction.</summary>
    public bool IsPlaceholder { get; private init; }

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

    /// <summary>
    /// Whether a step value, as logged, is this process's own and must be reduced across processes by the exchange of
    /// <see cref="MetricStore.SyncStepValues"/>: a step value logged with <c>syncDist</c> under ddp.
    /// </summary>
    public bool SyncsSteps => OnStep && sync is { WorldSize: > 1 };

    public void Update(Tensor value, int batchSize)
    {
        // All state is 0-dimensional, so values of shape [] and [1] mix and checkpoints restore it exactly.
        var detached = value.detach();
        if (detached.dim() != 0) detached = detached.reshape([]);
        epochValue = null;
        if (OnStep)
        {
            if (deviceStep is null) deviceStep = Persist(detached);
            else deviceStep.copy_(detached);
            stepOnDevice = true;
            HasStepValue = true;
        }
        if (!OnEpoch) return;
        if (deviceAccumulator is null)
        {
            deviceAccumulator = Persist(detached);
            if (ReduceFx == ReduceFx.Mean) Weigh(deviceAccumulator, batchSize);
        }
        else
        {
            switch (ReduceFx)
            {
                case ReduceFx.Mean: AddWeighted(deviceAccumulator, detached, batchSize); break;
                case ReduceFx.Sum: deviceAccumulator.add_(detached); break;
                case ReduceFx.Max: deviceAccumulator.copy_(torch.maximum(deviceAccumulator, detached)); break;
                case ReduceFx.Min: deviceAccumulator.copy_(torch.minimum(deviceAccumulator, detached)); break;
            }
        }
        weight += batchSize;
    }

    /// <summary>The step value when it is a tensor on its device (logged as a tensor); null when it is a host number.</summary>
    public Tensor? StepTensor => stepOnDevice ? deviceStep : null;

    /// <summary>Takes the step value reduced across the processes.</summary>
    public void SetSyncedStepValue(double value)
    {
        (hostStep, hostStepSet, stepOnDevice) = (value, true, false);
    }

    // Scalars held by a using stay alive through the native call (see ScalarLifetimeTests); made only where a mean needs one.
    private static void Weigh(Tensor accumulator, int batchSize)
    {
        using var weight = batchSize.ToScalar();
        accumulator.mul_(weight);
    }

    private static void AddWeighted(Tensor accumulator, Tensor value, int batchSize)
    {
        using var weight = batchSize.ToScalar();
        accumulator.add_(value, alpha: weight);
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
        var metric = FromFlags(state, strategy);
        if (state["device_step"] is JsonNode deviceStep) metric.deviceStep = Scalar(JsonDoubles.Read(deviceStep), device);
        if (state["host_step"] is JsonNode hostStep) (metric.hostStep, metric.hostStepSet) = (JsonDoubles.Read(hostStep), true);
        metric.stepOnDevice = (bool)state["step_on_device"]!;
        if (state["device_accumulator"] is JsonNode accumulator) metric.deviceAccumulator = Scalar(JsonDoubles.Read(accumulator), device);
        metric.hostAccumulator = JsonDoubles.Read(state["host_accumulator"]!);
        metric.hostCount = (int)state["host_count"]!;
        metric.weight = (double)state["weight"]!;
        return metric;
    }

    /// <summary>An empty entry with the flags of <paramref name="state"/> (another process's <see cref="Save"/>).</summary>
    public static LoggedMetric Placeholder(JsonObject state, Strategy strategy) => FromFlags(state, strategy, placeholder: true);

    private static LoggedMetric FromFlags(JsonObject state, Strategy? strategy, bool placeholder = false) => new(
        (string)state["name"]!, (string?)state["suffix"] ?? "", (bool)state["on_step"]!, (bool)state["on_epoch"]!, (bool)state["prog_bar"]!, (bool)state["logger"]!,
        Enum.Parse<ReduceFx>((string)state["reduce_fx"]!), (bool?)state["sync_dist"] == true ? strategy : null)
    {
        IsPlaceholder = placeholder,
    };

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
        using var purpose = strategy.ForPurpose($"the epoch value of Log(\"{Name}\", syncDist: true)");
        var local = tensor(new[] { LocalTotal(), weight }, ScalarType.Float64);
        var totals = strategy.AllReduce(local.narrow(0, 0, 1), ReduceFx == ReduceFx.Mean ? ReduceFx.Sum : ReduceFx).item<double>();
        if (ReduceFx != ReduceFx.Mean) return totals;
        return totals / strategy.AllReduce(local.narrow(0, 1, 1), ReduceFx.Sum).item<double>();
    }

    private double LocalEpochValue() => ReduceFx == ReduceFx.Mean ? LocalTotal() / weight : LocalTotal();

    private double LocalTotal()
    {
        bool hasDevice = deviceAccumulator is not null, hasHost = hostCount > 0;
        // Nothing logged here: the identity of the reduction, so the processes that logged decide.
        if (!hasDevice && !hasHost)
            return ReduceFx switch { ReduceFx.Max => double.NegativeInfinity, ReduceFx.Min => double.PositiveInfinity, _ => 0 };
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
