using System;
using System.Globalization;
using System.Linq;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Stops training when a monitored metric stops improving (Lightning's <c>EarlyStopping</c>): after
/// <see cref="Patience"/> checks without an improvement of more than <see cref="MinDelta"/>, when it becomes
/// non-finite, when it reaches <see cref="StoppingThreshold"/>, or when it passes <see cref="DivergenceThreshold"/>.
/// </summary>
public class EarlyStopping : Callback
{
    /// <summary>The logged metric to watch (required).</summary>
    public required string Monitor { get; init; }

    /// <summary>The smallest change that counts as an improvement (default 0).</summary>
    public double MinDelta { get; init; }

    /// <summary>Checks without improvement before stopping (default 3).</summary>
    public int Patience { get => patience; init => patience = value; }

    private int patience = 3;

    /// <summary>Whether lower or higher is better.</summary>
    public MonitorMode Mode { get; init; } = MonitorMode.Min;

    /// <summary>Stop as soon as the metric is at least this good.</summary>
    public double? StoppingThreshold { get; init; }

    /// <summary>Stop as soon as the metric is worse than this.</summary>
    public double? DivergenceThreshold { get; init; }

    /// <summary>Stop when the metric becomes NaN or infinite (default true).</summary>
    public bool CheckFinite { get; init; } = true;

    /// <summary>
    /// Check at the end of training epochs (true) or after validation runs (false). Default: at epoch end when validation
    /// runs once per epoch at its end, else after each validation run (Lightning resolves it in <c>setup</c>).
    /// </summary>
    public bool? CheckOnTrainEpochEnd { get; init; }

    /// <summary>A monitor that is not logged fails the run (default true); false skips the check with a warning.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>Say on the console when the metric improves and why training stops.</summary>
    public bool Verbose { get; init; }

    /// <summary>Checks since the last improvement.</summary>
    public int WaitCount { get; private set; }

    /// <summary>The epoch training was stopped in, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <summary>The best value seen.</summary>
    public double BestScore { get; private set; } = double.NaN;

    /// <summary>Why training was stopped, once it was.</summary>
    public string? StoppingReason { get; private set; }

    private bool checkOnTrainEpochEnd;

    /// <inheritdoc />
    public override bool IsMonitoring => true;

    /// <inheritdoc />
    public override string StateKey => $"{nameof(EarlyStopping)}{{'monitor': '{Monitor}', 'mode': '{Mode.ToString().ToLowerInvariant()}'}}";

    /// <inheritdoc />
    public override void Setup(Trainer trainer, LightningModule module, Stage stage)
    {
        if (string.IsNullOrEmpty(Monitor)) throw new MisconfigurationException("EarlyStopping needs a Monitor: the name of a logged metric, e.g. \"val_loss\".");
        if (Patience < 0) throw new MisconfigurationException($"EarlyStopping.Patience must be 0 or more, got {Patience}.");
        if (double.IsNaN(BestScore)) BestScore = Mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
        checkOnTrainEpochEnd = CheckOnTrainEpochEnd ?? (trainer.Options.ValCheckInterval == BatchLimit.All && trainer.Options.CheckValEveryNEpoch == 1);
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        if (checkOnTrainEpochEnd && !SkipCheck(trainer)) Check(trainer);
    }

    /// <inheritdoc />
    public override void OnValidationEnd(Trainer trainer, LightningModule module)
    {
        if (!checkOnTrainEpochEnd && !SkipCheck(trainer)) Check(trainer);
    }

    // Lightning's _should_skip_check: only while fitting, never in the sanity check.
    private static bool SkipCheck(Trainer trainer) => trainer.Stage != Stage.Fit || trainer.SanityChecking || trainer.FastDevRunning;

    /// <inheritdoc />
    public override JsonObject StateDict() => new()
    {
        ["wait_count"] = WaitCount,
        ["stopped_epoch"] = StoppedEpoch,
        ["best_score"] = JsonDoubles.From(BestScore),
        ["patience"] = Patience,
    };

    /// <inheritdoc />
    public override void LoadStateDict(JsonObject state)
    {
        WaitCount = (int)state["wait_count"]!;
        StoppedEpoch = (int)state["stopped_epoch"]!;
        BestScore = JsonDoubles.Read(state["best_score"]!);
        patience = (int)state["patience"]!;
    }

    private void Check(Trainer trainer)
    {
        var metrics = trainer.CallbackMetrics;
        if (!metrics.TryGetValue(Monitor, out var current))
        {
            var available = string.Join(", ", metrics.Keys.Order());
            if (Strict)
                throw new MisconfigurationException($"Early stopping conditioned on metric '{Monitor}', which is not available. Available metrics: [{available}]. " +
                    "Log it, change EarlyStopping.Monitor, or set Strict = false to skip the check.");
            if (Verbose && trainer.Messages.FirstTime($"{nameof(EarlyStopping)}.{Monitor} missing: {available}"))
                TrainerLog.EarlyStoppingMonitorMissing(trainer.Messages.Logger(nameof(EarlyStopping)), Monitor, available);
            return;
        }

        var (stop, reason) = Evaluate(current);
        // Under ddp every process stops together as soon as one of them would (Lightning's reduce_boolean_decision).
        using (trainer.Strategy.ForPurpose($"EarlyStopping's decision on '{Monitor}'")) stop = trainer.Strategy.ReduceBooleanDecision(stop, all: false);
        if (stop)
        {
            trainer.ShouldStop = true;
            StoppedEpoch = trainer.CurrentEpoch;
            StoppingReason = reason;
        }
        if (reason is not null && Verbose) TrainerLog.EarlyStoppingCheck(trainer.Messages.Logger(nameof(EarlyStopping)), reason);
    }

    private (bool Stop, string? Reason) Evaluate(double current)
    {
        string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        bool Better(double a, double b) => Mode == MonitorMode.Min ? a < b : a > b;

        if (CheckFinite && !double.IsFinite(current))
            return (true, $"Monitored metric {Monitor} = {current.ToString(CultureInfo.InvariantCulture)} is not finite. Previous best value was {F(BestScore)}. Signaling Trainer to stop.");
        if (StoppingThreshold is double threshold && Better(current, threshold))
            return (true, $"Stopping threshold reached: {Monitor} = {F(current)} {(Mode == MonitorMode.Min ? "<" : ">")} {F(threshold)}. Signaling Trainer to stop.");
        if (DivergenceThreshold is double divergence && Better(-current, -divergence))
            return (true, $"Divergence threshold reached: {Monitor} = {F(current)} {(Mode == MonitorMode.Min ? ">" : "<")} {F(divergence)}. Signaling Trainer to stop.");

        double delta = Math.Abs(MinDelta);
        if (Better(Mode == MonitorMode.Min ? current + delta : current - delta, BestScore))
        {
            var message = double.IsFinite(BestScore)
                ? $"Metric {Monitor} improved by {F(Math.Abs(BestScore - current))} >= min_delta = {delta.ToString(CultureInfo.InvariantCulture)}. New best score: {F(current)}"
                : $"Metric {Monitor} improved. New best score: {F(current)}";
            BestScore = current;
            WaitCount = 0;
            return (false, message);
        }
        WaitCount++;
        return WaitCount >= Patience
            ? (true, $"Monitored metric {Monitor} did not improve in the last {WaitCount} records. Best score: {F(BestScore)}. Signaling Trainer to stop.")
            : (false, null);
    }
}
