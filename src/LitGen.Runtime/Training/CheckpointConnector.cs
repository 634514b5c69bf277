using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// What the trainer writes into checkpoints and restores from them (Lightning's checkpoint connector): weights,
/// optimizer and scheduler state, callbacks, the loops' progress (mid-epoch included), callback metrics and the random
/// generator, so that a resumed run equals an uninterrupted one. The file itself is written by the strategy.
/// </summary>
internal sealed class CheckpointConnector(Trainer trainer)
{
    private const string CallbackMetricsKey = "callback_metrics";
    private const string MetricStatesKey = "metric_states";

    /// <summary>The checkpoint of the current state; <paramref name="weightsOnly"/> leaves out optimizer, scheduler and callback state (as Lightning).</summary>
    public Checkpoint Dump(LightningModule module, bool weightsOnly)
    {
        var states = new JsonObject();
        if (!weightsOnly)
            foreach (var callback in trainer.Hooks.Callbacks)
                if (callback.StateDict() is { } state) states[callback.StateKey] = state;
        var loops = trainer.FitLoop.Save();
        loops[CallbackMetricsKey] = trainer.LoggerConnector.SaveCallbackMetrics();
        loops[MetricStatesKey] = SaveMetricStates(module);
        var checkpoint = new Checkpoint
        {
            ModuleType = module.GetType().FullName!,
            Epoch = trainer.CurrentEpoch,
            GlobalStep = trainer.GlobalStep,
            Precision = trainer.Strategy.Precision.Name,
            HyperparametersJson = module.GeneratedHyperparameters.ToJson(),
            StateDict = module.state_dict(),
            WeightsOnly = weightsOnly,
            OptimizerStates = weightsOnly ? [] : trainer.Optimization.SaveOptimizerStates(),
            LrSchedulers = weightsOnly ? [] : trainer.Optimization.SaveSchedulerHistories(),
            Loops = loops,
            RngState = SaveRngState(),
            CallbackStates = states,
            GradScalerState = weightsOnly ? null : trainer.Strategy.GradScaler?.StateDict(),
        };
        trainer.Hooks.Call(ModuleHooks.OnSaveCheckpoint, static (c, t, m, k) => c.OnSaveCheckpoint(t, m, k), static (m, k) => m.OnSaveCheckpoint(k), checkpoint);
        return checkpoint;
    }

    /// <summary>
    /// The checkpoint <paramref name="ckptPath"/> names: a path, <c>"best"</c> (this trainer's ModelCheckpoint's best), or
    /// <c>"last"</c>, the newest of the last checkpoints this trainer's callbacks know (ModelCheckpoint's <c>last*.ckpt</c>
    /// files, OnExceptionCheckpoint's file) and of the requeue checkpoints (<c>hpc_ckpt_N.ckpt</c> in the root folder), as
    /// Lightning; with none, null after a warning: nothing is loaded, as in
    /// Lightning, so <c>"last"</c> can be set before the first run.
    /// </summary>
    public string? ResolvePath(string ckptPath)
    {
        switch (ckptPath)
        {
            case "best":
                return trainer.CheckpointCallback?.BestModelPath ?? throw new MisconfigurationException(
                    "ckptPath: \"best\" needs a ModelCheckpoint of this trainer that has saved a checkpoint; run Fit with checkpointing first, or pass a path.");
            case "last":
                var newest = LastCheckpoints().Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
                if (newest is null)
                    TrainerLog.NoLastCheckpoint(trainer.Log, trainer.Stage);
                return newest;
            default:
                return ckptPath;
        }
    }

    /// <summary>
    /// For a restarted job: the newest checkpoint that a fit can resume from among this trainer's checkpoint files (every
    /// ModelCheckpoint file, the exception and requeue checkpoints) and <paramref name="given"/>, the one the job was
    /// started with; null when there is none.
    /// </summary>
    public string? NewestResumable(string? given, int attempt)
    {
        var candidates = LastCheckpoints().Concat(trainer.Callbacks.OfType<ModelCheckpoint>()
                .SelectMany(c => c.ResolvedDirPath is { } folder && Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.ckpt") : []))
            .Append(given is null or "best" or "last" ? null : given)
            .OfType<string>().Where(File.Exists).Distinct().OrderByDescending(File.GetLastWriteTimeUtc);
        foreach (var path in candidates)
        {
            try
            {
                using var checkpoint = Checkpoint.Load(path);
                if (checkpoint.WeightsOnly) continue;
            }
            catch (InvalidCheckpointException)
            {
                continue;
            }
            TrainerLog.RestartResuming(trainer.Log, attempt, path);
            return path;
        }
        return null;
    }

    private IEnumerable<string> LastCheckpoints()
    {
        foreach (var requeue in Requeue.Checkpoints(trainer.DefaultRootDir)) yield return requeue;
        foreach (var callback in trainer.Callbacks)
        {
            if (callback is OnExceptionCheckpoint onException) yield return onException.CheckpointPath;
            if (callback is not ModelCheckpoint checkpoint) continue;
            if (checkpoint.LastModelPath is { } last) yield return last;
            if (checkpoint.ResolvedDirPath is { } folder && Directory.Exists(folder))
                foreach (var file in Directory.EnumerateFiles(folder, "last*.ckpt")) yield return file;
        }
    }

    /// <summary>Loads the weights named by <paramref name="ckptPath"/> (<c>"best"</c>, <c>"last"</c> or a path) into the module.</summary>
    public void LoadWeights(LightningModule module, string? ckptPath)
    {
        if (ckptPath is null || ResolvePath(ckptPath) is not { } path) return;
        using var checkpoint = Checkpoint.Load(path);
        checkpoint.EnsureModuleType(module.GetType());
        module.LoadWeightsFrom(checkpoint, mapLocation: null, strict: true);
    }

    /// <summary>
    /// Restores a checkpoint into the module (after ConfigureOptimizers), the optimizers, the schedulers (replayed),
    /// the callbacks and the loops; the fit loop finishes the restore (random generator, epoch end) once training starts.
    /// Everything that can be checked is checked before anything changes, and the weights change last, so a checkpoint
    /// that cannot be resumed leaves the module as it was.
    /// </summary>
    public ResumeState RestoreForResume(LightningModule module, string path)
    {
        using var checkpoint = Checkpoint.Load(path);
        checkpoint.EnsureModuleType(module.GetType());
        if (checkpoint.WeightsOnly)
            throw new InvalidCheckpointException(path,
                "it holds weights only (ModelCheckpoint.SaveWeightsOnly), without the optimizer and loop state a fit resumes from. " +
                "Load it with LoadFromCheckpoint or LoadWeights and start a new fit, or resume from a full checkpoint.");
        if (CheckpointMetadata.IsNewer(checkpoint.LitGenVersion))
            TrainerLog.CheckpointFromNewerVersion(trainer.Log, path, checkpoint.LitGenVersion, CheckpointMetadata.CurrentLitGenVersion);
        trainer.Optimization.EnsureMatches(checkpoint, path);
        module.EnsureWeightsMatch(checkpoint, strict: true);
        var loops = Damaged(path, "loop state", () =>
        {
            var upgraded = checkpoint.FormatVersion == 1 ? FitLoop.UpgradeFormat1(checkpoint.Loops, module.AutomaticOptimization) : checkpoint.Loops;
            FitLoop.Validate(upgraded);
            LoggerConnector.ValidateCallbackMetrics((JsonObject)upgraded[CallbackMetricsKey]!);
            return upgraded;
        });

        Damaged(path, "optimizer state", () => trainer.Optimization.Restore(checkpoint, module));
        // As Lightning: the scaler's state is loaded when the checkpoint has one and this run scales.
        if (checkpoint.GradScalerState is { } scalerState && trainer.Strategy.GradScaler is { } scaler)
            Damaged(path, "gradient scaler state", () => scaler.LoadStateDict(scalerState));
        // As Lightning: every callback's on_load_checkpoint, then every callback's load_state_dict.
        foreach (var callback in trainer.Hooks.Callbacks) callback.OnLoadCheckpoint(trainer, module, checkpoint);
        foreach (var callback in trainer.Hooks.Callbacks)
            if (checkpoint.CallbackStates[callback.StateKey] is JsonObject state)
                Damaged(path, $"state of {callback.GetType().Name}", () => callback.LoadStateDict(state));
        var midEpoch = trainer.FitLoop.Load(loops);
        trainer.LoggerConnector.LoadCallbackMetrics((JsonObject)loops[CallbackMetricsKey]!);
        // A metric accumulates over the epoch: an epoch resumed in its middle continues from the saved counts.
        if (midEpoch is not null && loops[MetricStatesKey] is JsonArray metricStates)
            Damaged(path, "metric state", () => RestoreMetricStates(module, metricStates));
        module.LoadWeightsFrom(checkpoint, mapLocation: null, strict: true);
        return new ResumeState(midEpoch, checkpoint.RngState is { } rng ? SelectRngState(rng) : null);
    }

    /// <summary>The state of every <see cref="Metric"/> of the module by its path, one object per process (rank order).</summary>
    private JsonArray SaveMetricStates(LightningModule module)
    {
        var own = new JsonObject();
        foreach (var (path, submodule) in module.named_modules())
            if (submodule is Metric metric) own[path] = metric.SaveState();
        var perRank = new JsonArray();
        using var purpose = trainer.Strategy.ForPurpose("the metric states of a checkpoint");
        foreach (var text in trainer.Strategy.GatherTexts(own.ToJsonString())) perRank.Add(JsonNode.Parse(text));
        return perRank;
    }

    private void RestoreMetricStates(LightningModule module, JsonArray perRank)
    {
        if (perRank.Count == 0) return;
        // A checkpoint of another number of processes restores rank 0's part everywhere.
        var saved = (JsonObject)perRank[perRank.Count == trainer.Strategy.WorldSize ? trainer.Strategy.GlobalRank : 0]!;
        foreach (var (path, submodule) in module.named_modules())
            if (submodule is Metric metric && saved[path] is JsonObject state) metric.LoadState(state);
    }

    /// <summary>Runs a step of the restore; a failure becomes an <see cref="InvalidCheckpointException"/> naming the file and the part.</summary>
    private static T Damaged<T>(string path, string part, Func<T> restore)
    {
        try
        {
            return restore();
        }
        catch (Exception e) when (e is not InvalidCheckpointException and not MisconfigurationException)
        {
            throw new InvalidCheckpointException(path, $"its {part} is damaged or does not fit this run ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    private static void Damaged(string path, string part, Action restore) => Damaged(path, part, () =>
    {
        restore();
        return true;
    });

    /// <summary>The random generator of every process (one state per rank under ddp), so each resumes its own.</summary>
    private byte[] SaveRngState()
    {
        using var purpose = trainer.Strategy.ForPurpose("the random generator states for a checkpoint");
        return trainer.Strategy.AllGatherValues(OwnRngState());
    }

    /// <summary>This process's generator state out of a checkpoint's.</summary>
    public byte[] SelectRngState(byte[] saved) => trainer.Strategy.SelectRngState(saved, OwnRngState().Length);

    private static byte[] OwnRngState()
    {
        using var state = random.get_rng_state();
        return state.bytes.ToArray();
    }
}
