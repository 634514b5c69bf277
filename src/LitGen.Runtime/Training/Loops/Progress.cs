using System;
using System.Text.Json.Nodes;

namespace LitGen;

// The loops' progress (Lightning's loops/progress.py): plain counters the loops advance and save in checkpoints,
// each under its own key, so a loop saves and restores exactly what it owns.

/// <summary>Where a fit stands when it is checkpointed.</summary>
internal enum FitPhase
{
    /// <summary>Before an epoch starts.</summary>
    BetweenEpochs,
    /// <summary>Inside an epoch, after <see cref="EpochProgress.BatchesDone"/> batches.</summary>
    MidEpoch,
    /// <summary>At the end of an epoch, before its epoch-interval plateau schedulers stepped.</summary>
    EpochEnd,
}

/// <summary>The fit loop's progress: completed epochs and the phase of the current one.</summary>
internal sealed class FitProgress
{
    private const string EpochKey = "epoch", PhaseKey = "phase", ShouldStopKey = "should_stop";

    /// <summary>Completed epochs (Lightning's <c>current_epoch</c>).</summary>
    public int Epoch { get; set; }

    public FitPhase Phase { get; set; }

    public bool ShouldStop { get; set; }

    public void Reset() => (Epoch, Phase, ShouldStop) = (0, FitPhase.BetweenEpochs, false);

    public JsonObject Save() => new() { [EpochKey] = Epoch, [PhaseKey] = Phase.ToString(), [ShouldStopKey] = ShouldStop };

    public void Load(JsonObject state)
    {
        Epoch = (int)state[EpochKey]!;
        Phase = Enum.Parse<FitPhase>((string)state[PhaseKey]!);
        ShouldStop = (bool)state[ShouldStopKey]!;
    }
}

/// <summary>The training epoch loop's progress: batches done in the epoch, batches overall, batches that stepped.</summary>
internal sealed class EpochProgress
{
    private const string BatchesDoneKey = "batches_done", TotalBatchIdxKey = "total_batch_idx", BatchesThatSteppedKey = "batches_that_stepped";

    /// <summary>Batches of the current epoch that are completely done.</summary>
    public int BatchesDone { get; set; }

    /// <summary>Batches done over the whole fit (Lightning's <c>total_batch_idx</c>, for validation by batch count across epochs).</summary>
    public long TotalBatchIdx { get; set; }

    /// <summary>Batches that ended with an optimizer step (Lightning's <c>_batches_that_stepped</c>, the loggers' step axis).</summary>
    public long BatchesThatStepped { get; set; }

    public void Reset() => (BatchesDone, TotalBatchIdx, BatchesThatStepped) = (0, 0, 0);

    public JsonObject Save() => new() { [BatchesDoneKey] = BatchesDone, [TotalBatchIdxKey] = TotalBatchIdx, [BatchesThatSteppedKey] = BatchesThatStepped };

    public void Load(JsonObject state)
    {
        BatchesDone = (int)state[BatchesDoneKey]!;
        TotalBatchIdx = (long)state[TotalBatchIdxKey]!;
        BatchesThatStepped = (long)state[BatchesThatSteppedKey]!;
    }
}

/// <summary>An optimization loop's progress: optimizer steps taken (the sum over both loops is <c>global_step</c>).</summary>
internal sealed class OptimizerStepProgress
{
    private const string StepsKey = "optimizer_steps";

    public long Steps { get; set; }

    public void Reset() => Steps = 0;

    public JsonObject Save() => new() { [StepsKey] = Steps };

    public void Load(JsonObject state) => Steps = (long)state[StepsKey]!;
}
