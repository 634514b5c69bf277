using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// The metrics the trainer keeps and what reaches the loggers (Lightning's logger connector): callback metrics
/// (latest epoch values, plus the training loop's current step values), progress-bar metrics, logged metrics.
/// Loggers are written by the process that writes files only.
/// </summary>
internal sealed class LoggerConnector(IReadOnlyList<Logger> loggers)
{
    private readonly Dictionary<string, double> callbackMetrics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> loggedMetrics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> progressBarEpochMetrics = new(StringComparer.Ordinal);

    public IReadOnlyList<Logger> Loggers { get; } = loggers;

    /// <summary>The training loop's store, whose current step values callback and progress-bar metrics include.</summary>
    public MetricStore? TrainMetrics { get; set; }

    /// <summary>False while nothing may reach the loggers (FastDevRun, processes other than rank 0).</summary>
    public bool LoggersEnabled { get; set; } = true;

    public IReadOnlyDictionary<string, double> LoggedMetrics => loggedMetrics;

    public IReadOnlyDictionary<string, double> CallbackMetrics
    {
        get
        {
            var metrics = new Dictionary<string, double>(callbackMetrics, StringComparer.Ordinal);
            if (TrainMetrics is not null)
                foreach (var (name, value, _, _) in TrainMetrics.LatestStepValues()) metrics[name] = value;
            return metrics;
        }
    }

    public IReadOnlyDictionary<string, double> ProgressBarMetrics
    {
        get
        {
            var metrics = new Dictionary<string, double>(progressBarEpochMetrics, StringComparer.Ordinal);
            if (TrainMetrics is not null)
                foreach (var (name, value, progBar, _) in TrainMetrics.LatestStepValues())
                    if (progBar) metrics[name] = value;
            return metrics;
        }
    }

    /// <summary>
    /// Sends values to the loggers at <paramref name="step"/>, with the <c>epoch</c> key Lightning adds; without one
    /// (<paramref name="epoch"/> null: evaluation step values, which Lightning logs at an explicit step) the column stays empty.
    /// </summary>
    public void Log(IEnumerable<(string Name, double Value)> metrics, long step, int? epoch)
    {
        if (!LoggersEnabled) return;
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (epoch is int e) values["epoch"] = e;
        foreach (var (name, value) in metrics) values[name] = value;
        if (values.Count == (epoch is null ? 0 : 1)) return;
        foreach (var (name, value) in values) loggedMetrics[name] = value;
        EachLogger(logger => logger.LogMetrics(values, step));
    }

    /// <summary>Sends the store's values logged with <c>onStep</c> in the finished step.</summary>
    public void LogStepValues(MetricStore metrics, long step, int? epoch)
    {
        if (LoggersEnabled && metrics.HasStepValues) Log(metrics.StepValues().Where(v => v.Logger).Select(v => (v.Name, v.Value)), step, epoch);
    }

    /// <summary>Sends the store's epoch values.</summary>
    public void LogEpochValues(MetricStore metrics, long step, int epoch)
    {
        if (LoggersEnabled) Log(metrics.EpochValues().Where(v => v.Logger).Select(v => (v.LoggedName, v.Value)), step, epoch);
    }

    /// <summary>Makes the store's epoch values the latest callback (and progress-bar) metrics.</summary>
    public void PublishEpochValues(MetricStore metrics)
    {
        foreach (var (name, loggedName, value, progBar, _) in metrics.EpochValues())
        {
            callbackMetrics[name] = value;
            if (loggedName != name) callbackMetrics[loggedName] = value;
            if (progBar) progressBarEpochMetrics[name] = value;
        }
    }

    /// <summary>Keeps the store's last step values as callback metrics once its loop ends.</summary>
    public void PublishLatestStepValues(MetricStore metrics)
    {
        foreach (var (name, value, progBar, _) in metrics.LatestStepValues())
        {
            callbackMetrics[name] = value;
            if (progBar) progressBarEpochMetrics[name] = value;
        }
    }

    /// <summary>Forgets the callback and progress-bar metrics (a new fit, or after the sanity check, as Lightning).</summary>
    public void Reset()
    {
        callbackMetrics.Clear();
        progressBarEpochMetrics.Clear();
    }

    public JsonObject SaveCallbackMetrics()
    {
        var metrics = new JsonObject();
        foreach (var (name, value) in callbackMetrics) metrics[name] = JsonDoubles.From(value);
        return metrics;
    }

    public static void ValidateCallbackMetrics(JsonObject metrics)
    {
        foreach (var (_, value) in metrics) JsonDoubles.Read(value!);
    }

    public void LoadCallbackMetrics(JsonObject metrics)
    {
        foreach (var (name, value) in metrics) callbackMetrics[name] = JsonDoubles.Read(value!);
    }

    public void Save()
    {
        if (LoggersEnabled) EachLogger(logger => logger.Save());
    }

    /// <summary>Finalizes every logger, even when one fails; the first failure is rethrown after all were tried.</summary>
    public void Finalize(RunStatus status)
    {
        if (LoggersEnabled) EachLogger(logger => logger.Finalize(status));
    }

    // One logger's failure (a full disk under one of them) costs the others nothing: each gets its call, then the
    // first failure is rethrown.
    private void EachLogger(Action<Logger> call)
    {
        Exception? failure = null;
        foreach (var logger in Loggers)
        {
            try
            {
                call(logger);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }
}
