using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace LitGen;

/// <summary>
/// Shows progress as Lightning's TQDM bar does: a live line per training epoch (percent, bar, batches, elapsed and left,
/// rate, the time left in the whole fit, the logger's version and the <c>progBar</c> metrics; the epoch's last line adds
/// the validation metrics), a live line while validating, testing or predicting, and one line per epoch and per
/// evaluation when the output is not a terminal (redirected, CI). With a <see cref="TrainerOptions.LoggerFactory"/> those
/// lines are structured events instead (<see cref="TrainerEventIds.EpochCompleted"/> and one
/// <see cref="TrainerEventIds.EpochMetric"/> per metric, <see cref="TrainerEventIds.EvaluationCompleted"/>).
/// </summary>
public class ProgressBar : Callback
{
    private readonly Stopwatch epochClock = new();
    private readonly Stopwatch fitClock = new();
    private readonly Stopwatch evaluationClock = new();
    private TextWriter output = Console.Out;
    private Microsoft.Extensions.Logging.ILogger? logger;
    private bool isLive;
    private int evaluationBatches;
    private long lastTrainRefresh;
    private long lastEvaluationRefresh;
    private int fitStartEpoch;

    /// <summary>How often a live line is redrawn, at most (default 100 ms).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>True draws live lines; default: when writing to a terminal's standard output and CI is not set.</summary>
    public bool? Live { get; init; }

    /// <summary>Where the bar writes; default: the console, or the trainer's <see cref="TrainerOptions.LoggerFactory"/>.</summary>
    public TextWriter? Output { get; init; }

    /// <inheritdoc />
    public override void Setup(Trainer trainer, LightningModule module, Stage stage)
    {
        output = Output ?? Console.Out;
        logger = Output is null && trainer.Messages.UsesLogger ? trainer.Messages.Logger(nameof(ProgressBar)) : null;
        // Decided once per run, not per batch: the environment does not change while it trains.
        isLive = logger is null && (Live ?? (Output is null && !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))));
    }

    /// <inheritdoc />
    public override void OnTrainStart(Trainer trainer, LightningModule module)
    {
        fitClock.Restart();
        fitStartEpoch = trainer.CurrentEpoch;
    }

    /// <inheritdoc />
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module)
    {
        epochClock.Restart();
        lastTrainRefresh = 0;
    }

    // After each batch is completely done; the bar needs no batch, so the trainer boxes none for it.
    /// <inheritdoc />
    public override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        if (isLive && Due(epochClock, ref lastTrainRefresh)) output.Write("\r" + Describe(trainer, trainer.BatchesDoneInEpoch, []) + "\u001b[K");
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        // The epoch's last line adds the validation metrics to the bar's, as Lightning's does.
        var validation = trainer.CallbackMetrics.Where(m => m.Key.StartsWith("val_", StringComparison.Ordinal) && !trainer.ProgressBarMetrics.ContainsKey(m.Key));
        if (logger is not null)
        {
            var metrics = trainer.ProgressBarMetrics.Concat(validation).OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
            TrainerLog.EpochCompleted(logger, trainer.CurrentEpoch, trainer.GlobalStep, trainer.BatchesDoneInEpoch, epochClock.Elapsed.TotalSeconds,
                string.Join(", ", metrics.Select(m => m.Key + "=" + m.Value.ToString(CultureInfo.InvariantCulture))));
            foreach (var (name, value) in metrics) TrainerLog.EpochMetric(logger, trainer.CurrentEpoch, trainer.GlobalStep, name, value);
            return;
        }
        var line = Describe(trainer, trainer.BatchesDoneInEpoch, validation);
        output.WriteLine((isLive ? "\r" : "") + line + (isLive ? "\u001b[K" : ""));
    }

    /// <inheritdoc />
    public override void OnEvaluationBatchCompleted(Trainer trainer, Stage stage, int done, int? total)
    {
        if (done == 1)
        {
            evaluationClock.Restart();
            lastEvaluationRefresh = 0;
        }
        evaluationBatches = done;
        if (!isLive || !Due(evaluationClock, ref lastEvaluationRefresh)) return;
        output.Write("\r" + Progress(Name(trainer, stage), done, total, evaluationClock.Elapsed.TotalSeconds) + "\u001b[K");
    }

    /// <inheritdoc />
    public override void OnEvaluationCompleted(Trainer trainer, Stage stage)
    {
        // Validation inside a fit ends in the epoch's line; on its own, a run gets a line of its own.
        if (trainer.Stage == LitGen.Stage.Fit)
        {
            if (isLive) output.Write("\r\u001b[K");
            return;
        }
        if (logger is not null)
        {
            TrainerLog.EvaluationCompleted(logger, stage, evaluationBatches, evaluationClock.Elapsed.TotalSeconds);
            return;
        }
        output.WriteLine((isLive ? "\r" : "") + $"{Name(trainer, stage)}: done [{Clock(evaluationClock.Elapsed.TotalSeconds)}]" + (isLive ? "\u001b[K" : ""));
    }

    /// <summary>Whether a live line is due: the first one, then one per <see cref="RefreshInterval"/>.</summary>
    private bool Due(Stopwatch clock, ref long last)
    {
        long now = clock.ElapsedTicks;
        if (last != 0 && now - last < RefreshInterval.TotalSeconds * Stopwatch.Frequency) return false;
        last = Math.Max(1, now);
        return true;
    }

    private static string Name(Trainer trainer, Stage stage) => stage switch
    {
        Stage.Validate when trainer.SanityChecking => "Sanity checking",
        Stage.Validate => "Validation",
        Stage.Test => "Testing",
        _ => "Predicting",
    };

    /// <summary>
    /// <c>Epoch 1/7:  45%|████▌     | 50/110 [00:01&lt;00:01, 45.20it/s, fit 00:12 left, v_num=0, train_loss=0.0238]</c>:
    /// TQDM's line as Lightning draws it, with the time left in the whole fit added.
    /// </summary>
    private string Describe(Trainer trainer, int done, IEnumerable<KeyValuePair<string, double>> extraMetrics)
    {
        var text = new StringBuilder();
        text.Append("Epoch ").Append(trainer.CurrentEpoch.ToString(CultureInfo.InvariantCulture));
        if (trainer.MaxEpochs > 0) text.Append('/').Append((trainer.MaxEpochs - 1).ToString(CultureInfo.InvariantCulture));
        var total = trainer.NumTrainingBatches;
        var postfix = new StringBuilder();
        // The whole fit's time left: the epochs still to come at the pace of the epochs so far.
        int epochsDone = trainer.CurrentEpoch - fitStartEpoch;
        double epochSeconds = epochClock.Elapsed.TotalSeconds;
        if (total is int all && all > 0 && trainer.MaxEpochs > 0)
        {
            double perEpoch = epochsDone > 0 ? (fitClock.Elapsed.TotalSeconds - epochSeconds) / epochsDone : done > 0 ? epochSeconds / done * all : 0;
            double remaining = perEpoch * (trainer.MaxEpochs - trainer.CurrentEpoch - 1) + (done > 0 ? epochSeconds / done * (all - done) : 0);
            if (perEpoch > 0) postfix.Append(", fit ").Append(Clock(remaining)).Append(" left");
        }
        if (trainer.Loggers.Count > 0) postfix.Append(", v_num=").Append(trainer.Loggers[0].Version.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in trainer.ProgressBarMetrics.Concat(extraMetrics).OrderBy(m => m.Key, StringComparer.Ordinal))
            postfix.Append(", ").Append(name).Append('=').Append(Format(value));
        text.Append(": ").Append(Progress(null, done, total, epochSeconds, postfix.ToString()));
        return text.ToString();
    }

    /// <summary>TQDM's <c>[label: ]pct%|bar| done/total [elapsed&lt;left, rate{postfix}]</c>, or <c>done it [elapsed, rate]</c> without a total.</summary>
    private static string Progress(string? label, int done, int? total, double seconds, string postfix = "")
    {
        var text = new StringBuilder();
        if (label is not null) text.Append(label).Append(": ");
        double rate = seconds > 0 ? done / seconds : 0;
        if (total is int all && all > 0)
        {
            double fraction = Math.Clamp((double)done / all, 0, 1);
            text.Append((fraction * 100).ToString("0", CultureInfo.InvariantCulture).PadLeft(3)).Append("%|").Append(Bar(fraction)).Append("| ")
                .Append(done.ToString(CultureInfo.InvariantCulture)).Append('/').Append(all.ToString(CultureInfo.InvariantCulture))
                .Append(" [").Append(Clock(seconds)).Append('<').Append(rate > 0 ? Clock((all - done) / rate) : "?");
        }
        else text.Append(done.ToString(CultureInfo.InvariantCulture)).Append("it [").Append(Clock(seconds));
        text.Append(", ").Append(rate >= 1 || rate == 0 ? rate.ToString("0.00", CultureInfo.InvariantCulture) + "it/s" : (1 / rate).ToString("0.00", CultureInfo.InvariantCulture) + "s/it");
        return text.Append(postfix).Append(']').ToString();
    }

    /// <summary>TQDM's ten-cell bar in eighths of a cell.</summary>
    private static string Bar(double fraction)
    {
        const int Cells = 10;
        const string Partial = " ▏▎▍▌▋▊▉";
        int eighths = (int)(fraction * Cells * 8);
        int full = eighths / 8;
        var bar = new string('█', full);
        if (full < Cells) bar += Partial[eighths % 8];
        return bar.PadRight(Cells);
    }

    /// <summary>TQDM's postfix number: three significant digits (Python's <c>{:2.3g}</c>).</summary>
    private static string Format(double value) => value.ToString("G3", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    private static string Clock(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
    }
}
