using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

// Checkpoints the trainer writes and resumes from: weights, optimizer and scheduler state, callbacks, loop
// progress (mid-epoch included), logged metrics and the random generator, so that a resumed run equals an
// uninterrupted one.
public sealed partial class Trainer
{
    private enum LoopPhase { BetweenEpochs, MidEpoch, EpochEnd }

    private LoopPhase phase;
    private int batchesDoneInEpoch;
    private List<double?>[] schedulerHistories = [];

    /// <summary>Writes a checkpoint of the module being (or last) trained to <paramref name="path"/>, atomically.</summary>
    public void SaveCheckpoint(string path)
    {
        var current = module ?? throw new InvalidOperationException("SaveCheckpoint needs a module: call it during or after Fit, Validate or Test.");
        var states = new JsonObject();
        foreach (var callback in callbacks)
            if (callback.StateDict() is { } state) states[callback.StateKey] = state;

        var checkpoint = new Checkpoint
        {
            ModuleType = current.GetType().FullName!,
            Epoch = CurrentEpoch,
            GlobalStep = GlobalStep,
            Precision = Options.Precision,
            HyperParametersJson = current.CurrentHyperparameters.ToJson(),
            StateDict = current.state_dict(),
            OptimizerStates = LightningOptimizers.Select(o => SerializeOptimizer(o.Optimizer)).ToArray(),
            LrSchedulers = new JsonArray(schedulerHistories.Select(h => (JsonNode)new JsonArray(h.Select(JsonDoubles.From).ToArray())).ToArray()),
            Loops = SaveLoops(),
            RngState = SaveRngState(),
            CallbackStates = states,
        };
        foreach (var callback in callbacks) callback.OnSaveCheckpoint(this, current, checkpoint);
        current.OnSaveCheckpoint(checkpoint);
        checkpoint.Save(path);
    }

    private static byte[] SaveRngState()
    {
        using var state = random.get_rng_state();
        return state.bytes.ToArray();
    }

    private JsonObject SaveLoops()
    {
        var metrics = new JsonObject();
        foreach (var (name, value) in callbackMetrics) metrics[name] = JsonDoubles.From(value);
        var loops = new JsonObject
        {
            ["epoch"] = CurrentEpoch,
            ["phase"] = phase.ToString(),
            ["batches_done_in_epoch"] = batchesDoneInEpoch,
            ["global_step"] = GlobalStep,
            ["batches_that_stepped"] = batchesThatStepped,
            ["total_batch_idx"] = totalBatchIdx,
            ["should_stop"] = ShouldStop,
            ["callback_metrics"] = metrics,
        };
        if (phase == LoopPhase.MidEpoch && trainMetrics is not null) loops["train_metrics"] = trainMetrics.Save();
        return loops;
    }

    private static byte[] SerializeOptimizer(Optimizer optimizer)
    {
        if (optimizer is not TorchSharp.Modules.OptimizerHelper helper)
            throw new NotSupportedException(
                $"{optimizer.GetType().Name} cannot save its state in TorchSharp 0.107 (only optimizers deriving OptimizerHelper can); " +
                "use another optimizer or set EnableCheckpointing = false.");
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) helper.save_state_dict(writer);
        return buffer.ToArray();
    }

    private string ResolveCheckpointPath(string ckptPath) => ckptPath switch
    {
        "best" => CheckpointCallback?.BestModelPath ?? throw new MisconfigurationException(
            "ckptPath: \"best\" needs a ModelCheckpoint of this trainer that has saved a checkpoint; run Fit with checkpointing first, or pass a path."),
        "last" => CheckpointCallback?.LastModelPath ?? throw new MisconfigurationException(
            "ckptPath: \"last\" needs a ModelCheckpoint of this trainer with SaveLast = true that has saved; pass a path instead."),
        _ => ckptPath,
    };

    /// <summary>Replaces the schedulers of the current fit (StochasticWeightAveraging's SWALR); their history restarts.</summary>
    internal void ReplaceSchedulers(params LrSchedulerConfig[] configs)
    {
        SchedulerConfigs = configs;
        schedulerHistories = configs.Select(_ => new List<double?>()).ToArray();
    }

    /// <summary>Starts a fit's progress from zero; a resume then overwrites it from the checkpoint.</summary>
    private void ResetProgress()
    {
        (CurrentEpoch, GlobalStep, batchesThatStepped, totalBatchIdx) = (0, 0, 0, 0);
        (phase, batchesDoneInEpoch) = (LoopPhase.BetweenEpochs, 0);
        schedulerHistories = SchedulerConfigs.Select(_ => new List<double?>()).ToArray();
        callbackMetrics.Clear();
        progressBarEpochMetrics.Clear();
    }

    /// <summary>
    /// Restores everything a checkpoint holds into the module (after ConfigureOptimizers), the optimizers, the
    /// schedulers (replayed), the callbacks and the loop counters.
    /// </summary>
    private ResumeState RestoreForResume(LightningModule model, string path)
    {
        using var checkpoint = Checkpoint.Load(path);
        checkpoint.EnsureModuleType(model.GetType());
        model.LoadCheckpointState(checkpoint, mapLocation: null, strict: true);

        if (checkpoint.LrSchedulers.Count != SchedulerConfigs.Length || checkpoint.OptimizerStates.Count != LightningOptimizers.Length)
            throw new InvalidCheckpointException(path,
                $"it holds {checkpoint.OptimizerStates.Count} optimizer(s) and {checkpoint.LrSchedulers.Count} scheduler(s) but ConfigureOptimizers returned " +
                $"{LightningOptimizers.Length} and {SchedulerConfigs.Length}; resume with the same optimizer configuration.");
        // Schedulers first: replaying them moves the learning rates, which the optimizer state then restores exactly.
        for (int i = 0; i < SchedulerConfigs.Length; i++)
        {
            foreach (var step in (JsonArray)checkpoint.LrSchedulers[i]!)
            {
                var metric = JsonDoubles.ReadNullable(step);
                if (metric is double value) SchedulerConfigs[i].Scheduler.step(value);
                else SchedulerConfigs[i].Scheduler.step();
                schedulerHistories[i].Add(metric);
            }
        }
        for (int i = 0; i < LightningOptimizers.Length; i++)
        {
            if (LightningOptimizers[i].Optimizer is not TorchSharp.Modules.OptimizerHelper helper) continue;
            using var reader = new BinaryReader(new MemoryStream(checkpoint.OptimizerStates[i]));
            helper.load_state_dict(reader);
        }
        foreach (var callback in callbacks)
            if (checkpoint.CallbackStates[callback.StateKey] is JsonObject state) callback.LoadStateDict(state);

        var loops = checkpoint.Loops;
        CurrentEpoch = (int)loops["epoch"]!;
        GlobalStep = (long)loops["global_step"]!;
        batchesThatStepped = (long)loops["batches_that_stepped"]!;
        totalBatchIdx = (long)loops["total_batch_idx"]!;
        ShouldStop = (bool)loops["should_stop"]!;
        foreach (var (name, value) in (JsonObject)loops["callback_metrics"]!) callbackMetrics[name] = JsonDoubles.Read(value!);
        var savedPhase = Enum.Parse<LoopPhase>((string)loops["phase"]!);
        var midEpoch = savedPhase == LoopPhase.MidEpoch
            ? new MidEpochState((int)loops["batches_done_in_epoch"]!, (JsonArray)loops["train_metrics"]!.DeepClone())
            : null;
        return new ResumeState(savedPhase, midEpoch, checkpoint.RngState);
    }

    /// <summary>Where a resumed fit continues: inside an epoch (its progress and partial metrics), or after one.</summary>
    private sealed class ResumeState(LoopPhase phase, MidEpochState? midEpoch, byte[]? rngState)
    {
        private MidEpochState? pending = midEpoch;

        /// <summary>
        /// Completes an epoch whose end was checkpointed (its plateau schedulers step after checkpointing), and returns
        /// the random generator state to continue from.
        /// </summary>
        public Tensor? Finish(Trainer trainer)
        {
            if (phase == LoopPhase.EpochEnd)
            {
                trainer.StepSchedulers(Interval.Epoch, plateau: true, batchIdx: -1);
                trainer.CurrentEpoch++;
            }
            return rngState is null ? null : tensor(rngState, ScalarType.Byte);
        }

        /// <summary>The mid-epoch position, once: only the first epoch after resuming starts part-way.</summary>
        public MidEpochState? TakeMidEpochState()
        {
            var state = pending;
            pending = null;
            return state;
        }
    }

    private sealed record MidEpochState(int BatchesDone, JsonArray Metrics);
}
