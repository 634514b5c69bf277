using System.Collections.Generic;
using static TorchSharp.torch;

namespace LitGen;

// self.log / self.log_dict. Values are accumulated on their own device; nothing here syncs with the host.
public abstract partial class LightningModule
{
    internal MetricStore? ActiveMetrics { get; set; }
    internal HookLogging LogContext { get; set; } = HookLogging.None;

    /// <summary>The hook the trainer is running on the module (its name), or null between hooks.</summary>
    internal string? CurrentHook { get; set; }

    /// <summary>
    /// Logs a scalar tensor. Defaults follow Lightning: per step in training steps and train batch hooks,
    /// per epoch (batch-size-weighted mean unless <paramref name="reduceFx"/> says otherwise) everywhere else.
    /// </summary>
    public void Log(string name, Tensor value, bool? onStep = null, bool? onEpoch = null, bool progBar = false,
        bool logger = true, ReduceFx reduceFx = ReduceFx.Mean, bool syncDist = false, int? batchSize = null)
        => ResolveMetrics(name, onStep).Log(LogContext, name, value, onStep, onEpoch, progBar, logger, reduceFx, syncDist, batchSize);

    /// <summary>Logs a host value; see <see cref="Log(string, Tensor, bool?, bool?, bool, bool, ReduceFx, bool, int?)"/>.</summary>
    public void Log(string name, double value, bool? onStep = null, bool? onEpoch = null, bool progBar = false,
        bool logger = true, ReduceFx reduceFx = ReduceFx.Mean, bool syncDist = false, int? batchSize = null)
        => ResolveMetrics(name, onStep).Log(LogContext, name, value, onStep, onEpoch, progBar, logger, reduceFx, syncDist, batchSize);

    /// <summary>
    /// Logs a metric object (Lightning's <c>self.log(name, metric)</c>): per step, the value of its last
    /// <see cref="Metric.Forward"/> (or of what it holds so far); per epoch, <see cref="Metric.Compute"/> over the whole
    /// epoch (over all processes under ddp), after which the trainer resets it. Update it in the step, then log it.
    /// </summary>
    public void Log(string name, Metric metric, bool? onStep = null, bool? onEpoch = null, bool progBar = false, bool logger = true)
        => ResolveMetrics(name, onStep).Log(LogContext, name, metric, onStep, onEpoch, progBar, logger);

    /// <summary>Logs every metric of <paramref name="metrics"/> under its name (see <see cref="Log(string, Metric, bool?, bool?, bool, bool)"/>).</summary>
    public void LogDict(MetricCollection metrics, bool? onStep = null, bool? onEpoch = null, bool progBar = false, bool logger = true)
    {
        System.ArgumentNullException.ThrowIfNull(metrics);
        foreach (var (name, metric) in metrics) Log(name, metric, onStep, onEpoch, progBar, logger);
    }

    /// <summary>Logs every entry of <paramref name="values"/> with the same flags.</summary>
    public void LogDict(IReadOnlyDictionary<string, Tensor> values, bool? onStep = null, bool? onEpoch = null, bool progBar = false,
        bool logger = true, ReduceFx reduceFx = ReduceFx.Mean, bool syncDist = false, int? batchSize = null)
    {
        foreach (var (name, value) in values)
            Log(name, value, onStep, onEpoch, progBar, logger, reduceFx, syncDist, batchSize);
    }

    /// <summary>Logs every entry of <paramref name="values"/> (host values) with the same flags.</summary>
    public void LogDict(IReadOnlyDictionary<string, double> values, bool? onStep = null, bool? onEpoch = null, bool progBar = false,
        bool logger = true, ReduceFx reduceFx = ReduceFx.Mean, bool syncDist = false, int? batchSize = null)
    {
        foreach (var (name, value) in values)
            Log(name, value, onStep, onEpoch, progBar, logger, reduceFx, syncDist, batchSize);
    }

    private MetricStore ResolveMetrics(string name, bool? onStep)
    {
        if (ActiveMetrics is null || LogContext == HookLogging.None)
            throw new MisconfigurationException(
                $"Log(\"{name}\") was called outside a step or hook that can log. Call Log from TrainingStep, ValidationStep, " +
                "TestStep or an On*Start/On*End/On*Batch* hook of a running trainer.");
        if (LogContext == HookLogging.Epoch && onStep == true)
            throw new MisconfigurationException(
                $"Log(\"{name}\", onStep: true) is not allowed in an epoch-level hook; remove onStep or log from a step.");
        return ActiveMetrics;
    }
}
