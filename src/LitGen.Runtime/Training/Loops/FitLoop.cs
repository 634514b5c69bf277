using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Lightning's <c>_FitLoop</c>: optimizer setup, resume, the sanity check, then training epochs until a limit or a
/// stop request, with the fit-level and epoch-level hooks around them. It owns the epoch counter and the stop request,
/// and saves and restores its own progress and that of the loops inside it.
/// </summary>
internal sealed class FitLoop(LoopContext context)
{
    private const string FitKey = "fit_loop", EpochKey = "epoch_loop", AutomaticKey = "automatic_optimization", ManualKey = "manual_optimization";

    public FitProgress Progress { get; } = new();

    private Func<int?>? estimateTrainingBatches;
    private bool minEpochsNoticeGiven;

    /// <summary>The epoch and step at which <see cref="Trainer.ShouldStop"/> was first set in this fit, for the stop notice.</summary>
    public (int Epoch, long Step)? StopRequestedAt { get; set; }

    public TrainingEpochLoop EpochLoop { get; } = new(context);

    /// <summary>Whether this fit validates: a validation step and at least one validation batch (Lightning's <c>num_val_batches > 0</c>).</summary>
    public bool HasValidation { get; private set; }

    /// <summary>Whether a validation run (not the sanity check) has happened in this fit (Lightning's <c>val_loop._has_run</c>).</summary>
    public bool ValidationHasRun { get; private set; }

    /// <summary>Whether training may stop now: <c>MinEpochs</c> epochs and <c>MinSteps</c> optimizer steps are done (Lightning's <c>_can_stop_early</c>).</summary>
    private bool CanStopEarly => Progress.Epoch >= (context.Options.MinEpochs ?? 0) && EpochLoop.GlobalStep >= (context.Options.MinSteps ?? 0);

    /// <summary>The training batches per epoch, loading the training dataloader if the fit has not yet (for <c>EstimatedSteppingBatches</c>).</summary>
    public int? EstimateTrainingBatches() => estimateTrainingBatches?.Invoke();

    public bool Run<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, FitData<TBatch> data, string? ckptPath)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        bool hasValidationStep = module.GeneratedHooks.HasFlag(ModuleHooks.ValidationStep);
        estimateTrainingBatches = () =>
        {
            if (!data.IsLoaded) context.Data.LoadFit(data, hasValidationStep);
            return context.Data.TrainingBatches(data.Train!);
        };
        try
        {
            return Run(module, driver, data, ckptPath, hasValidationStep);
        }
        finally
        {
            estimateTrainingBatches = null;
        }
    }

    private bool Run<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, FitData<TBatch> data, string? ckptPath, bool hasValidationStep)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        var (hooks, trainer) = (context.Hooks, context.Trainer);
        ValidateOptimizationSettings(module);
        context.Optimization.Configure(module);
        if (!data.IsLoaded) context.Data.LoadFit(data, hasValidationStep);
        HasValidation = data.Val is { } loaders && loaders.Any(l => context.Data.ValidationBatches(l) is not 0);
        // Merged on every process, so that a conflict stops them all.
        var hyperparameters = MergedHyperparameters.Of(module, ((IDataModuleHyperparameters?)data.DataModule)?.Current, data.DataModule?.GetType().Name ?? "");
        if (!trainer.FastDevRunning && context.Strategy.IsGlobalZero)
            foreach (var logger in context.Logging.Loggers) logger.LogHyperparams(hyperparameters);
        Progress.Reset();
        EpochLoop.Reset();
        EpochLoop.ValLoop.RestartLogSteps();
        ValidationHasRun = false;
        minEpochsNoticeGiven = false;
        StopRequestedAt = null;
        trainer.ResetAccumulation();
        context.Logging.Reset();
        // A job the self-launcher restarted after a failure goes on from the newest checkpoint it wrote.
        if (MpiLauncher.RestartAttempt is > 0 and int attempt) ckptPath = context.Checkpoints.NewestResumable(ckptPath, attempt) ?? ckptPath;
        if (ckptPath is not null) trainer.CkptPath = context.Checkpoints.ResolvePath(ckptPath);
        var resume = trainer.CkptPath is { } path ? context.Checkpoints.RestoreForResume(module, path) : null;

        hooks.Call(ModuleHooks.OnFitStart, static (c, t, m) => c.OnFitStart(t, m), static m => m.OnFitStart());
        if (resume is null && FindFinder(hooks.Callbacks) is { } finder)
            new LearningRateRangeTest(context, EpochLoop.Automatic).Run(module, driver, data.Train!, finder);
        // As in Lightning, a resumed run skips the sanity check.
        if (data.Val is not null && context.Data.SanitySteps != 0 && resume is null) RunSanityCheck(module, driver, data.Val);

        EpochLoop.StartFit();
        hooks.Call(ModuleHooks.OnTrainStart, static (c, t, m) => c.OnTrainStart(t, m), static m => m.OnTrainStart(), EpochLoop.Metrics);
        var midEpoch = resume is null ? null : FinishRestore(module, resume);
        while (!Done())
        {
            if (context.Data.ReloadDue(Progress.Epoch))
            {
                context.Data.LoadFit(data, hasValidationStep);
                EpochLoop.ValLoop.RestartLogSteps();
            }
            RunEpoch(module, driver, data, midEpoch);
            midEpoch = null;
            EndEpoch(module);
        }
        if (StoppedEarly) StopNotice(hooks.Callbacks);
        hooks.Call(ModuleHooks.OnTrainEnd, static (c, t, m) => c.OnTrainEnd(t, m), static m => m.OnTrainEnd(), EpochLoop.Metrics);
        hooks.Call(ModuleHooks.OnFitEnd, static (c, t, m) => c.OnFitEnd(t, m), static m => m.OnFitEnd());
        return true;
    }

    /// <summary>
    /// One epoch (Lightning's <c>_FitLoop.advance</c> with its start and end): the epoch-start hooks, the batches, then the
    /// epoch-end hooks: callbacks, the module, and the monitoring callbacks last, which see what the module logged and
    /// save checkpoints of an epoch that has ended.
    /// </summary>
    private void RunEpoch<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, FitData<TBatch> data, MidEpochResume? midEpoch)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        var hooks = context.Hooks;
        EpochLoop.StartEpoch(data.Train!, data.Val, Progress.Epoch, midEpoch);
        var metrics = EpochLoop.Metrics!;
        module.train();
        hooks.Call(ModuleHooks.OnTrainEpochStart, static (c, t, m) => c.OnTrainEpochStart(t, m), static m => m.OnTrainEpochStart(), metrics);
        Progress.Phase = FitPhase.MidEpoch;

        var outcome = EpochLoop.Run(module, driver, data.Train!, data.Val, Progress.Epoch, () => Progress.ShouldStop && CanStopEarly);
        ValidationHasRun |= outcome.ValidationRan;

        var logging = context.Logging;
        logging.PublishLatestStepValues(metrics);
        logging.PublishEpochValues(metrics);
        hooks.Call(ModuleHooks.OnTrainEpochEnd, static (c, t, m) => c.OnTrainEpochEnd(t, m), static m => m.OnTrainEpochEnd(), metrics, monitoring: false);
        logging.PublishEpochValues(metrics);
        Progress.Phase = FitPhase.EpochEnd;
        hooks.CallCallbacks(static (c, t, m) => c.OnTrainEpochEnd(t, m), monitoring: true);
        logging.LogEpochValues(metrics, Math.Max(0, EpochLoop.Progress.BatchesThatStepped - 1), Progress.Epoch);
    }

    public JsonObject Save() => new()
    {
        [FitKey] = Progress.Save(),
        [EpochKey] = EpochLoop.Save(midEpoch: Progress.Phase == FitPhase.MidEpoch),
        [AutomaticKey] = EpochLoop.Automatic.Progress.Save(),
        [ManualKey] = EpochLoop.Manual.Progress.Save(),
    };

    /// <summary>Restores the progress of this loop and the loops inside it; returns the mid-epoch position, if any.</summary>
    public MidEpochResume? Load(JsonObject loops)
    {
        Progress.Load((JsonObject)loops[FitKey]!);
        var epoch = (JsonObject)loops[EpochKey]!;
        EpochLoop.Progress.Load(epoch);
        EpochLoop.Automatic.Progress.Load((JsonObject)loops[AutomaticKey]!);
        EpochLoop.Manual.Progress.Load((JsonObject)loops[ManualKey]!);
        return Progress.Phase == FitPhase.MidEpoch
            ? new MidEpochResume(EpochLoop.Progress.BatchesDone, TrainingEpochLoop.SavedMetrics(epoch) ?? [])
            : null;
    }

    /// <summary>Throws unless <paramref name="loops"/> can be loaded (it is read into throwaway progress objects).</summary>
    public static void Validate(JsonObject loops)
    {
        new FitProgress().Load((JsonObject)loops[FitKey]!);
        var epoch = (JsonObject)loops[EpochKey]!;
        new EpochProgress().Load(epoch);
        new OptimizerStepProgress().Load((JsonObject)loops[AutomaticKey]!);
        new OptimizerStepProgress().Load((JsonObject)loops[ManualKey]!);
        if (TrainingEpochLoop.SavedMetrics(epoch) is { } metrics) MetricStore.Validate(metrics);
    }

    /// <summary>
    /// Format 1 kept every counter in one flat object (and one optimizer step count for both optimization loops);
    /// this rewrites it in the current layout.
    /// </summary>
    public static JsonObject UpgradeFormat1(JsonObject loops, bool automaticOptimization)
    {
        var steps = new JsonObject { ["optimizer_steps"] = (long)loops["global_step"]! };
        var epoch = new JsonObject
        {
            ["batches_done"] = (int)loops["batches_done_in_epoch"]!,
            ["total_batch_idx"] = (long)loops["total_batch_idx"]!,
            ["batches_that_stepped"] = (long)loops["batches_that_stepped"]!,
        };
        if (loops["train_metrics"] is JsonNode metrics) epoch["metrics"] = metrics.DeepClone();
        return new JsonObject
        {
            [FitKey] = new JsonObject { ["epoch"] = (int)loops["epoch"]!, ["phase"] = (string)loops["phase"]!, ["should_stop"] = (bool)loops["should_stop"]! },
            [EpochKey] = epoch,
            [AutomaticKey] = automaticOptimization ? steps : new JsonObject { ["optimizer_steps"] = 0L },
            [ManualKey] = automaticOptimization ? new JsonObject { ["optimizer_steps"] = 0L } : steps,
            ["callback_metrics"] = loops["callback_metrics"]!.DeepClone(),
        };
    }

    /// <summary>
    /// Completes an epoch whose end was checkpointed (its plateau schedulers step after checkpointing), restores the
    /// random generator, and returns where to continue inside an epoch.
    /// </summary>
    private MidEpochResume? FinishRestore(LightningModule module, ResumeState resume)
    {
        if (Progress.Phase == FitPhase.EpochEnd) EndEpoch(module);
        if (resume.RngState is { } rng)
        {
            using var state = tensor(rng, ScalarType.Byte);
            random.set_rng_state(state);
        }
        return resume.MidEpoch;
    }

    private void EndEpoch(LightningModule module)
    {
        context.Optimization.StepSchedulers(module, Interval.Epoch, plateau: true, batchIdx: -1);
        context.Logging.Save();
        Progress.Epoch++;
        Progress.Phase = FitPhase.BetweenEpochs;
        EpochLoop.Progress.BatchesDone = 0;
    }

    private bool LimitReached => EpochLoop.MaxStepsReached || (context.Trainer.MaxEpochs != -1 && Progress.Epoch >= context.Trainer.MaxEpochs);

    /// <summary>Whether a stop request, not MaxEpochs or MaxSteps, ended the fit.</summary>
    private bool StoppedEarly => Progress.ShouldStop && CanStopEarly && !LimitReached;

    /// <summary>One line on who stopped the fit, at which epoch and step, and why (Lightning says nothing unless asked, <c>verbose</c>).</summary>
    private void StopNotice(Callback[] callbacks)
    {
        var (epoch, step) = StopRequestedAt ?? (Progress.Epoch, EpochLoop.GlobalStep);
        // An EarlyStopping that stopped an earlier fit keeps its reason: it is named only if it stopped this one.
        var (stoppedBy, reason) =
            callbacks.OfType<EarlyStopping>().FirstOrDefault(e => e.StoppingReason is not null && (StopRequestedAt is null || e.StoppedEpoch == epoch)) is { } early
                ? (nameof(EarlyStopping), early.StoppingReason!.Replace(" Signaling Trainer to stop.", "", StringComparison.Ordinal))
            : callbacks.OfType<TrainingTimer>().FirstOrDefault(t => t.Duration is { } d && t.TimeElapsed >= d) is { } timer
                ? (nameof(TrainingTimer), $"its duration of {timer.Duration} has passed.")
            : ("Trainer.ShouldStop", "it was set by a callback or the module.");
        TrainerLog.TrainingStopped(context.Log, stoppedBy, epoch, step, reason);
    }

    private bool Done()
    {
        if (LimitReached) return true;
        if (!Progress.ShouldStop) return false;
        if (CanStopEarly) return true;
        // As Lightning, the request stands: training stops as soon as MinEpochs epochs are done.
        if (!minEpochsNoticeGiven)
            TrainerLog.StopDeferred(context.Log, context.Options.MinEpochs, context.Options.MinSteps);
        minEpochsNoticeGiven = true;
        return false;
    }

    private void RunSanityCheck<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, IReadOnlyList<IEnumerable<TBatch>> valLoaders)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        context.Trainer.SanityChecking = true;
        context.Hooks.CallCallbacks(static (c, t, m) => c.OnSanityCheckStart(t, m));
        EpochLoop.ValLoop.Run(module, driver, valLoaders, context.Data.SanityBatches, logResults: false);
        context.Hooks.CallCallbacks(static (c, t, m) => c.OnSanityCheckEnd(t, m));
        context.Trainer.SanityChecking = false;
        // Lightning discards what the sanity check logged.
        context.Logging.Reset();
    }

    private void ValidateOptimizationSettings(LightningModule module)
    {
        if (module.AutomaticOptimization) return;
        var options = context.Options;
        if (options.AccumulateGradBatches != 1)
            throw new MisconfigurationException(
                $"AccumulateGradBatches = {options.AccumulateGradBatches} is not supported with manual optimization; accumulate in TrainingStep and step every N batches yourself.");
        if (options.GradientClipVal is > 0)
            throw new MisconfigurationException(
                "GradientClipVal is not supported with manual optimization; call ClipGradients(optimizer, …) in TrainingStep, or use automatic optimization.");
    }

    private static LearningRateFinder? FindFinder(Callback[] callbacks)
    {
        foreach (var callback in callbacks)
            if (callback is LearningRateFinder finder) return finder;
        return null;
    }
}

/// <summary>What a checkpoint leaves for the fit loop once the rest is restored.</summary>
internal sealed record ResumeState(MidEpochResume? MidEpoch, byte[]? RngState);
