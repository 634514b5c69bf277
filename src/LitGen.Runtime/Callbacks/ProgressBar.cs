using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LitGen;

/// <summary>
/// Shows training progress: a live line (batch, rate, ETA and <c>progBar</c> metrics) on a terminal, plain
/// lines at epoch ends when the output is redirected or in CI.
/// </summary>
public class ProgressBar : Callback
{
    private readonly Stopwatch epochClock = new();
    private long lastRefreshTicks;

    /// <summary>How often the live line is redrawn, at most (default 100 ms).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>True draws the live line; default: when standard output is a terminal and CI is not set.</summary>
    public bool? Live { get; init; }

    private bool IsLive => Live ?? (!Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")));

    /// <inheritdoc />
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module)
    {
        epochClock.Restart();
        lastRefreshTicks = 0;
    }

    // After each batch is completely done; the bar needs no batch, so the trainer boxes none for it.
    internal override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        if (!IsLive) return;
        long now = epochClock.ElapsedTicks;
        if (now - lastRefreshTicks < RefreshInterval.TotalSeconds * Stopwatch.Frequency) return;
        lastRefreshTicks = now;
        Console.Write("\r" + Describe(trainer, trainer.BatchesDoneInEpoch) + "\u001b[K");
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        var line = Describe(trainer, trainer.NumTrainingBatches);
        var epochMetrics = trainer.CallbackMetrics.Where(m => m.Key.StartsWith("val_", StringComparison.Ordinal) || trainer.ProgressBarMetrics.ContainsKey(m.Key));
        var text = new StringBuilder(line);
        foreach (var (name, value) in epochMetrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            if (!line.Contains(name + "=", StringComparison.Ordinal)) text.Append(' ').Append(name).Append('=').Append(Format(value));
        Console.WriteLine((IsLive ? "\r" : "") + text + (IsLive ? "\u001b[K" : ""));
    }

    private string Describe(Trainer trainer, int? done)
    {
        var text = new StringBuilder();
        text.Append("Epoch ").Append(trainer.CurrentEpoch.ToString(CultureInfo.InvariantCulture));
        if (trainer.MaxEpochs > 0) text.Append('/').Append((trainer.MaxEpochs - 1).ToString(CultureInfo.InvariantCulture));
        var total = trainer.NumTrainingBatches;
        if (done is int count)
        {
            text.Append(": ").Append(count.ToString(CultureInfo.InvariantCulture));
            if (total is int t) text.Append('/').Append(t.ToString(CultureInfo.InvariantCulture));
            double seconds = epochClock.Elapsed.TotalSeconds;
            double rate = seconds > 0 ? count / seconds : 0;
            text.Append(" [").Append(Clock(seconds));
            if (total is int all && rate > 0) text.Append('<').Append(Clock((all - count) / rate));
            text.Append(", ").Append(rate.ToString("0.0", CultureInfo.InvariantCulture)).Append(" it/s]");
        }
        foreach (var (name, value) in trainer.ProgressBarMetrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            text.Append(' ').Append(name).Append('=').Append(Format(value));
        return text.ToString();
    }

    private static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Clock(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : span.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
    }
}
