using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LitGen;

/// <summary>
/// Logs every optimizer's learning rate (Lightning's <c>LearningRateMonitor</c>) as <c>lr-{Optimizer}</c>
/// (<c>lr-{Optimizer}/pg{n}</c> for several parameter groups; the scheduler's <c>Name</c> when it has one).
/// </summary>
public class LearningRateMonitor : Callback
{
    /// <summary>Log per optimizer step or per epoch; null follows the schedulers' intervals (per step if any steps per step).</summary>
    public Interval? LoggingInterval { get; init; }

    /// <summary>The learning rates last logged.</summary>
    public IReadOnlyDictionary<string, double> LastLogged { get; private set; } = new Dictionary<string, double>();

    /// <inheritdoc />
    public override void OnFitStart(Trainer trainer, LightningModule module)
    {
        if (trainer.Loggers.Count == 0)
            throw new MisconfigurationException("LearningRateMonitor needs a logger to write to; remove Logger = false or the callback.");
    }

    /// <inheritdoc />
    public override void OnTrainBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx)
    {
        if (Interval(trainer) == LitGen.Interval.Step && trainer.ShouldUpdateLogs) Log(trainer);
    }

    /// <inheritdoc />
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module)
    {
        if (Interval(trainer) == LitGen.Interval.Epoch) Log(trainer);
    }

    private Interval Interval(Trainer trainer)
        => LoggingInterval ?? (trainer.LrSchedulerConfigs.Any(c => c.Interval == LitGen.Interval.Step) ? LitGen.Interval.Step : LitGen.Interval.Epoch);

    private void Log(Trainer trainer)
    {
        var rates = new Dictionary<string, double>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var optimizer in trainer.Optimizers)
        {
            var named = trainer.LrSchedulerConfigs.FirstOrDefault(c => c.Name is not null && ReferenceEquals(c.Optimizer, optimizer.Optimizer))?.Name;
            var name = named ?? "lr-" + optimizer.Optimizer.GetType().Name;
            int count = seen[name] = seen.GetValueOrDefault(name) + 1;
            if (count > 1) name += "-" + (count - 1).ToString(CultureInfo.InvariantCulture);
            var groups = optimizer.ParamGroups.ToList();
            for (int g = 0; g < groups.Count; g++)
                rates[groups.Count == 1 ? name : $"{name}/pg{g + 1}"] = groups[g].LearningRate;
        }
        LastLogged = rates;
        trainer.LogMetrics(rates.Select(p => (p.Key, p.Value)));
    }
}
