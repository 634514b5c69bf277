using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace LitGen;

/// <summary>
/// Shows progress as Lightning's TQDM bar does: a live line per training epoch (batch, rate, the epoch's ETA and the
/// whole fit's, and <c>progBar</c> metrics), a live line while validating, testing or predicting, and plain lines at
/// the ends when the output is not a terminal (redirected, CI, a <see cref="TrainerOptions.LoggerFactory"/>).
/// </summary>
public class ProgressBar : Callback
{
    private readonly Stopwatch epochClock = new();
    private readonly Stopwatch fitClock = new();
    private readonly Stopwatch evaluationClock = new();
    private TextWriter output = Console.Out;
    private long lastTrainRefresh;
    private long lastEvaluationRefresh;
    private int fitStartEpoch;

    /// <summary>How often a live line is redrawn, at most (default 100 ms).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>True draws live lines; default: when writing to a terminal's standard output and CI is not set.</summary>
    public bool? Live { get; init; }

    /// <summary>Where the bar writes; default: the console, or the trainer's <see cref="TrainerOptions.LoggerFactory"/>.</summary>
    public TextWriter? Output { get; init; }

    private bool IsLive => Live ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")));

    /// <inheritdoc />
    public override void Setup(Trainer trainer, LightningModule module, Stage stage) => output = Output ?? trainer.Messages.Writer(nameof(ProgressBar));

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
        if (IsLive && Due(epochClock, ref lastTrainRefresh)) output.Write("\r" + Describe(trainer, trainer.BatchesDoneInEpoch) + "\u001b[K");
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        var line = Describe(trainer, trainer.NumTrainingBatches);
        var epochMetrics = trainer.CallbackMetrics.Where(m => m.Key.StartsWith("val_", StringComparison.Ordinal) || trainer.ProgressBarMetrics.ContainsKey(m.Key));
        var text = new StringBuilder(line);
        foreach (var (name, value) in epochMetrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            if (!line.Contains(name + "=", StringComparison.Ordinal)) text.Append(' ').Append(name).Append('=').Append(Format(value));
        output.WriteLine((IsLive ? "\r" : "") + text + (IsLive ? "\u001b[K" : ""));
    }

    /// <inheritdoc />

    public override void OnEvaluationBatchCompleted(Trainer trainer, Stage stage, int done, int? total)
    {
        if (done == 1)
        {
            evaluationClock.Restart();
            lastEvaluationRefresh = 0;
        }
        if (!IsLive || !Due(evaluationClock, ref lastEvaluationRefresh)) return;
        output.Write("\r" + Progress(Name(trainer, stage), done, total, evaluationClock.Elapsed.TotalSeconds) + "\u001b[K");
    }

    /// <inheritdoc />

    public override void OnEvaluationCompleted(Trainer trainer, Stage stage)
    {
        // Validation inside a fit ends in the epoch's line; on its own, a run gets a line of its own.
        if (trainer.Stage == LitGen.Stage.Fit)
        {
            if (IsLive) output.Write("\r\u001b[K");
            return;
        }
        output.WriteLine((IsLive ? "\r" : "") + $"{Name(trainer, stage)}: done [{Clock(evaluationClock.Elapsed.TotalSeconds)}]" + (IsLive ? "\u001b[K" : ""));
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

    private string Describe(Trainer trainer, int? done)
    {
        var text = new StringBuilder();
        text.Append("Epoch ").Append(trainer.CurrentEpoch.ToString(CultureInfo.InvariantCulture));
        if (trainer.MaxEpochs > 0) text.Append('/').Append((trainer.MaxEpochs - 1).ToString(CultureInfo.InvariantCulture));
        if (done is int count)
        {
            var total = trainer.NumTrainingBatches;
            text.Append(": ").Append(Progress(null, count, total, epochClock.Elapsed.TotalSeconds));
            // The whole fit's ETA: the epochs still to come at the pace of the epochs so far.
            int epochsDone = trainer.CurrentEpoch - fitStartEpoch;
            if (total is int all && all > 0 && trainer.MaxEpochs > 0)
            {
                double perEpoch = epochsDone > 0 ? (fitClock.Elapsed.TotalSeconds - epochClock.Elapsed.TotalSeconds) / epochsDone
                    : count > 0 ? epochClock.Elapsed.TotalSeconds / count * all : 0;
                double remaining = perEpoch * (trainer.MaxEpochs - trainer.CurrentEpoch - 1) + (count > 0 ? epochClock.Elapsed.TotalSeconds / count * (all - count) : 0);
                if (perEpoch > 0) text.Append(" fit<").Append(Clock(remaining));
            }
        }
        foreach (var (name, value) in trainer.ProgressBarMetrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            text.Append(' ').Append(name).Append('=').Append(Format(value));
        return text.ToString();
    }

    /// <summary><c>[label: ]done/total [elapsed&lt;ETA, rate it/s]</c>.</summary>
    private static string Progress(string? label, int done, int? total, double seconds)
    {
        var text = new StringBuilder();
        if (label is not null) text.Append(label).Append(": ");
        text.Append(done.ToString(CultureInfo.InvariantCulture));
        if (total is int t) text.Append('/').Append(t.ToString(CultureInfo.InvariantCulture));
        double rate = seconds > 0 ? done / seconds : 0;
        text.Append(" [").Append(Clock(seconds));
        if (total is int all && rate > 0) text.Append('<').Append(Clock((all - done) / rate));
        return text.Append(", ").Append(rate.ToString("0.0", CultureInfo.InvariantCulture)).Append(" it/s]").ToString();
    }

    private static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Clock(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
    }
}
