using System;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Tracks the time spent training and stops when <see cref="Duration"/> is reached (Lightning's <c>Timer</c>, named
/// so as not to clash with <c>System.Threading.Timer</c> under implicit usings; <c>TrainerOptions.MaxTime</c> adds
/// one). The elapsed time is kept in checkpoints (under Lightning's key, <c>Timer</c>), so a resumed run gets only the
/// time that was left.
/// </summary>
public class TrainingTimer : Callback
{
    private readonly Stopwatch clock = new();
    private TimeSpan elapsedBefore;

    /// <summary>Stop training once this much time was spent in it; null only measures.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Check after every optimizer step (default) or after every epoch.</summary>
    public Interval Interval { get; init; } = Interval.Step;

    /// <inheritdoc />
    public override string StateKey => "Timer";

    /// <summary>Time spent training so far, resumed runs included.</summary>
    public TimeSpan TimeElapsed => elapsedBefore + clock.Elapsed;

    /// <summary>What is left of <see cref="Duration"/>, or null without one.</summary>
    public TimeSpan? TimeRemaining => Duration - TimeElapsed;

    /// <inheritdoc />
    public override void OnTrainStart(Trainer trainer, LightningModule module) => clock.Restart();

    /// <inheritdoc />
    public override void OnTrainEnd(Trainer trainer, LightningModule module) => clock.Stop();

    /// <inheritdoc />
    public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, TorchSharp.torch.Tensor? outputs, object batch, int batchIdx)
    {
        if (Interval == Interval.Step) Check(trainer);
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module) => Check(trainer);

    /// <inheritdoc />
    public override JsonObject StateDict() => new() { ["time_elapsed_seconds"] = TimeElapsed.TotalSeconds };

    /// <inheritdoc />
    public override void LoadStateDict(JsonObject state) => elapsedBefore = TimeSpan.FromSeconds((double)state["time_elapsed_seconds"]!);

    private void Check(Trainer trainer)
    {
        // Clocks differ between processes: rank 0's decides for all of them.
        if (Duration is not TimeSpan duration) return;
        using var purpose = trainer.Strategy.ForPurpose("TrainingTimer's stop decision");
        if (trainer.Strategy.Broadcast(TimeElapsed >= duration)) trainer.ShouldStop = true;
    }
}
