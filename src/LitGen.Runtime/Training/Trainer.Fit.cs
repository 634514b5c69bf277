using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

// Trainer.Fit: Lightning's fit loop, training epoch loop and automatic/manual optimization.
public sealed partial class Trainer
{
    private long batchesThatStepped;
    private long totalBatchIdx;

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> (re-enumerated every epoch), validating on
    /// <paramref name="val"/> when given. Null dataloaders fall back to the module's dataloader hooks.
    /// With <paramref name="ckptPath"/> (a path, or <c>"best"</c>/<c>"last"</c> of this trainer's checkpoint callback)
    /// training resumes from that checkpoint exactly where it stopped, as if it had never been interrupted.
    /// </summary>
    public void Fit<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? train = null, IEnumerable<TBatch>? val = null, string? ckptPath = null)
        => Fit(model, new FitData<TBatch>(model, null, train, val), ckptPath);

    /// <summary>Trains <paramref name="model"/> on the dataloaders of <paramref name="datamodule"/>, optionally resuming from <paramref name="ckptPath"/>.</summary>
    public void Fit<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null)
        => Fit(model, new FitData<TBatch>(model, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), null, null), ckptPath);

    private void Fit<TBatch>(LightningModule<TBatch> model, FitData<TBatch> data, string? ckptPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.OverriddenHooks.HasFlag(ModuleHooks.TrainingStep))
            throw new MisconfigurationException($"{model.GetType().Name} has no TrainingStep: override TrainingStep to use Trainer.Fit.");
        model.AcceptLoopVisitor(new FitVisitor<TBatch>(this, model, data, ckptPath));
    }

    private sealed class FitVisitor<TBatch>(Trainer trainer, LightningModule<TBatch> model, FitData<TBatch> data, string? ckptPath) : ILoopVisitor<TBatch, bool>
    {
        public bool Visit<TDriver>(TDriver driver) where TDriver : struct, ILoopDriver<TBatch> => trainer.Fit(model, driver, data, ckptPath);
    }

    private bool Fit<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, FitData<TBatch> data, string? ckptPath) where TDriver : struct, ILoopDriver<TBatch>
    {
        bool hasValidationStep = model.OverriddenHooks.HasFlag(ModuleHooks.ValidationStep);
        return Run(model, Stage.Fit, data.DataModule, () =>
        {
            ValidateOptimizationSettings(model);
            ConfigureOptimizers(model);
            data.Load(hasValidationStep, OverfitLimit is not null);
            if (!FastDevRunning)
                foreach (var logger in Loggers) logger.LogHyperparams(model.CurrentHyperparameters);
            ShouldStop = false;
            accumulateGradBatches = null;
            ResetProgress();
            var resume = ckptPath is null ? null : RestoreForResume(model, ResolveCheckpointPath(ckptPath));

            WithLogContext(model, null, LogContext.EpochHook, () =>
            {
                EachCallback(c => c.OnFitStart(this, model));
                model.OnFitStart();
            });
            if (resume is null && callbacks.OfType<LearningRateFinder>().FirstOrDefault() is { } finder)
                RunLearningRateFinder(model, driver, data.Train!, finder);
            // As in Lightning, a resumed run skips the sanity check.
            if (data.Val is not null && SanitySteps != 0 && resume is null) RunSanityCheck(model, driver, data.Val);

            trainMetrics = new MetricStore();
            WithLogContext(model, trainMetrics, LogContext.EpochHook, () =>
            {
                EachCallback(c => c.OnTrainStart(this, model));
                model.OnTrainStart();
            });
            if (resume?.Finish(this) is { } rngState)
            {
                random.set_rng_state(rngState);
                rngState.Dispose();
            }
            while (!FitDone())
            {
                if (ReloadDue) data.Load(hasValidationStep, OverfitLimit is not null);
                RunTrainingEpoch(model, driver, data.Train!, data.Val, resume?.TakeMidEpochState());
            }
            WithLogContext(model, trainMetrics, LogContext.EpochHook, () =>
            {
                EachCallback(c => c.OnTrainEnd(this, model));
                model.OnTrainEnd();
            });
            WithLogContext(model, null, LogContext.None, () =>
            {
                EachCallback(c => c.OnFitEnd(this, model));
                model.OnFitEnd();
            });
            return true;
        });
    }

    /// <summary>The optimizers of the current fit, as <see cref="LightningModule.Optimizers"/> returns them.</summary>
    internal LightningOptimizer[] LightningOptimizers { get; private set; } = [];

    /// <summary>The scheduler configurations of the current fit.</summary>
    internal LrSchedulerConfig[] SchedulerConfigs { get; private set; } = [];

    /// <summary>
    /// Optimizer steps the whole fit will take: ceil(batches / AccumulateGradBatches) × MaxEpochs, capped by MaxSteps;
    /// infinity when the training dataloader has no length and MaxSteps is unset (Lightning's estimated_stepping_batches).
    /// </summary>
    public double EstimatedSteppingBatches
    {
        get
        {
            double perEpoch = NumTrainingBatches is int n ? Math.Ceiling(n / (double)AccumulateGradBatches) : double.PositiveInfinity;
            double total = MaxEpochs == -1 ? double.PositiveInfinity : perEpoch * MaxEpochs;
            return MaxSteps == -1 ? total : Math.Min(total, MaxSteps);
        }
    }

    /// <summary>
    /// The gradient accumulation in force: <see cref="TrainerOptions.AccumulateGradBatches"/>, or what a
    /// <see cref="GradientAccumulationScheduler"/> set for the current epoch.
    /// </summary>
    public int AccumulateGradBatches
    {
        get => accumulateGradBatches ?? Options.AccumulateGradBatches;
        internal set => accumulateGradBatches = value;
    }

    private int? accumulateGradBatches;

    /// <summary>Batches of the current epoch that are completely done.</summary>
    internal int BatchesDoneInEpoch => batchesDoneInEpoch;

    /// <summary>Whether the step being trained logs to the loggers (every LogEveryNSteps stepped batches).</summary>
    internal bool StepLogsDue => (batchesThatStepped + 1) % Options.LogEveryNSteps == 0 && !FastDevRunning;

    /// <summary>Sends values straight to the loggers at the current step (for callbacks such as LearningRateMonitor).</summary>
    internal void LogMetricsNow(IEnumerable<(string Name, double Value)> metrics) => LogToLoggers(metrics, batchesThatStepped);

    private bool MaxStepsReached => MaxSteps != -1 && GlobalStep >= MaxSteps;

    private bool CanStopEarly => CurrentEpoch >= (Options.MinEpochs ?? 0);

    private bool FastDevRunning => Options.FastDevRun > 0;

    private int SanitySteps => FastDevRunning ? 0 : Options.NumSanityValSteps;

    private bool ReloadDue => Options.ReloadDataloadersEveryNEpochs > 0 && CurrentEpoch > 0 && CurrentEpoch % Options.ReloadDataloadersEveryNEpochs == 0;

    private bool FitDone()
    {
        if (MaxStepsReached) return true;
        if (MaxEpochs != -1 && CurrentEpoch >= MaxEpochs) return true;
        if (!ShouldStop) return false;
        if (CanStopEarly) return true;
        Console.Error.WriteLine($"Trainer was signaled to stop but MinEpochs = {Options.MinEpochs} has not been reached; training continues.");
        ShouldStop = false;
        return false;
    }

    private void ValidateOptimizationSettings(LightningModule model)
    {
        if (model.AutomaticOptimization) return;
        if (Options.AccumulateGradBatches != 1)
            throw new MisconfigurationException(
                $"AccumulateGradBatches = {Options.AccumulateGradBatches} is not supported with manual optimization; accumulate in TrainingStep and step every N batches yourself.");
        if (Options.GradientClipVal is > 0)
            throw new MisconfigurationException(
                "GradientClipVal is not supported with manual optimization; call ClipGradients(optimizer, …) in TrainingStep, or use automatic optimization.");
    }

    private void ConfigureOptimizers(LightningModule model)
    {
        var config = model.ConfigureOptimizers() ?? OptimizerConfig.None;
        if (config.Optimizers.Count == 0)
            throw new MisconfigurationException($"{model.GetType().Name}.ConfigureOptimizers returned no optimizer; return one, e.g. optim.Adam(parameters(), 1e-3).");
        if (config.Optimizers.Count > 1 && model.AutomaticOptimization)
            throw new MisconfigurationException(
                $"{model.GetType().Name}.ConfigureOptimizers returned {config.Optimizers.Count} optimizers; as in Lightning 2, several optimizers need manual optimization: " +
                "set AutomaticOptimization = false in the constructor and step them in TrainingStep with Optimizers().");
        foreach (var scheduler in config.Schedulers) scheduler.Validate();
        LightningOptimizers = config.Optimizers.Select(o => new LightningOptimizer(this, model, o)).ToArray();
        SchedulerConfigs = config.Schedulers.ToArray();
    }

    private void RunSanityCheck<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, IEnumerable<TBatch> valLoader)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        SanityChecking = true;
        EachCallback(c => c.OnSanityCheckStart(this, model));
        RunEvaluation(model, driver, valLoader, EvaluationKind.Validation, SanityLimit(valLoader), logResults: false);
        EachCallback(c => c.OnSanityCheckEnd(this, model));
        SanityChecking = false;
        // Lightning discards what the sanity check logged.
        callbackMetrics.Clear();
        progressBarEpochMetrics.Clear();
    }

    private int? SanityLimit<TBatch>(IEnumerable<TBatch> valLoader)
    {
        var limit = ValidationLimit(valLoader);
        if (SanitySteps == -1) return limit;
        return limit is int l ? Math.Min(l, SanitySteps) : SanitySteps;
    }

    private int? ValidationLimit<TBatch>(IEnumerable<TBatch> valLoader)
    {
        var limit = FastDevRunning ? Options.FastDevRun : OverfitLimit ?? Options.LimitValBatches;
        return limit.Resolve(CountOf(valLoader), nameof(TrainerOptions.LimitValBatches));
    }

    private BatchLimit? OverfitLimit => Options.OverfitBatches.Count == 0 || Options.OverfitBatches.Fraction == 0 ? null : Options.OverfitBatches;

    private void RunTrainingEpoch<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, IEnumerable<TBatch> trainLoader, IEnumerable<TBatch>? valLoader,
        MidEpochState? resumeAt) where TDriver : struct, ILoopDriver<TBatch>
    {
        var limit = FastDevRunning ? Options.FastDevRun : OverfitLimit ?? Options.LimitTrainBatches;
        NumTrainingBatches = limit.Resolve(CountOf(trainLoader), nameof(TrainerOptions.LimitTrainBatches));
        int? valCheckBatch = ResolveValCheckBatch(NumTrainingBatches, valLoader);

        var metrics = trainMetrics!;
        if (resumeAt is null) metrics.Reset();
        else metrics.Restore(resumeAt.Metrics, Device);
        int skip = resumeAt?.BatchesDone ?? 0;
        if (trainLoader is IEpochAware epochAware) epochAware.SetEpoch(CurrentEpoch);
        model.train();
        WithLogContext(model, metrics, LogContext.EpochHook, () =>
        {
            EachCallback(c => c.OnTrainEpochStart(this, model));
            model.OnTrainEpochStart();
        });
        (phase, batchesDoneInEpoch) = (LoopPhase.MidEpoch, skip);

        using (var batches = new BatchIterator<TBatch>(trainLoader, NumTrainingBatches))
        {
            while (true)
            {
                bool accumulating;
                using (var scope = NewDisposeScope())
                {
                    if (!batches.MoveNext(scope)) break;
                    // Resuming mid-epoch: the batches the checkpoint had already trained on are drawn and dropped.
                    if (batches.Index < skip) continue;
                    accumulating = RunTrainingBatch(model, driver, batches.Current, batches.Index, batches.IsLast, metrics);
                }

                // Lightning's on_advance_end: validation when due, plateau step schedulers, then the stepped-batch count.
                if (valLoader is not null && ShouldCheckValidation(batches.Index, batches.IsLast, valCheckBatch))
                    RunEvaluation(model, driver, valLoader, EvaluationKind.Validation, ValidationLimit(valLoader), logResults: true);
                if (!accumulating)
                {
                    StepSchedulers(Interval.Step, plateau: true, batches.Index);
                    batchesThatStepped++;
                }
                totalBatchIdx++;
                batchesDoneInEpoch = batches.Index + 1;
                foreach (var callback in callbacks) callback.OnTrainBatchCompleted(this, model);
                if (MaxStepsReached || (ShouldStop && CanStopEarly)) break;
            }
        }

        foreach (var (name, value, progBar, _) in metrics.LatestStepValues())
        {
            callbackMetrics[name] = value;
            if (progBar) progressBarEpochMetrics[name] = value;
        }
        PublishEpochMetrics(metrics);
        WithLogContext(model, metrics, LogContext.EpochHook, () =>
        {
            EachCallback(c => c.OnTrainEpochEnd(this, model), monitoring: false);
            model.OnTrainEpochEnd();
        });
        PublishEpochMetrics(metrics);
        phase = LoopPhase.EpochEnd;
        EachCallback(c => c.OnTrainEpochEnd(this, model), monitoring: true);
        if (!FastDevRunning) LogToLoggers(Pairs(metrics.EpochValues()), Math.Max(0, batchesThatStepped - 1));
        StepSchedulers(Interval.Epoch, plateau: true, batchIdx: -1);
        foreach (var logger in Loggers) logger.Save();
        CurrentEpoch++;
        (phase, batchesDoneInEpoch) = (LoopPhase.BetweenEpochs, 0);
    }

    private int? ResolveValCheckBatch<TBatch>(int? trainBatches, IEnumerable<TBatch>? valLoader)
    {
        if (valLoader is null) return null;
        var interval = FastDevRunning ? BatchLimit.All : Options.ValCheckInterval;
        if (interval.Count is int count)
        {
            if (count < 1) throw new MisconfigurationException("ValCheckInterval must be a positive batch count or a fraction in (0, 1].");
            if (trainBatches is int n && count > n && Options.CheckValEveryNEpoch is not null)
                throw new MisconfigurationException(
                    $"ValCheckInterval ({count}) must be at most the number of training batches ({n}); use a smaller count, or set CheckValEveryNEpoch = null to count batches across epochs.");
            return count;
        }
        double fraction = interval.Fraction ?? 1.0;
        if (fraction <= 0) throw new MisconfigurationException("ValCheckInterval must be a positive batch count or a fraction in (0, 1].");
        if (trainBatches is int total) return Math.Max(1, (int)(total * fraction));
        return fraction == 1.0 ? null : throw new MisconfigurationException(
            "A fractional ValCheckInterval needs a training dataloader with a length (a collection); use a batch count instead.");
    }

    /// <summary>Lightning's <c>_should_check_val_fx</c>.</summary>
    private bool ShouldCheckValidation(int batchIdx, bool isLast, int? valCheckBatch)
    {
        if (Options.CheckValEveryNEpoch is int every && (CurrentEpoch + 1) % every != 0) return false;
        if (ShouldStop && CanStopEarly) return true;
        if (valCheckBatch is not int checkBatch) return isLast;
        long iteration = Options.CheckValEveryNEpoch is null ? totalBatchIdx : batchIdx;
        return (iteration + 1) % checkBatch == 0;
    }

    /// <summary>Lightning's <c>_should_accumulate</c>: neither the end of an accumulation window nor the epoch's last batch.</summary>
    private bool ShouldAccumulate(LightningModule model, int batchIdx, bool isLast)
        => model.AutomaticOptimization && (batchIdx + 1) % AccumulateGradBatches != 0 && !isLast;

    /// <summary>Runs one training batch; returns whether it only accumulated gradients (no optimizer step).</summary>
    private bool RunTrainingBatch<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, TBatch rawBatch, int batchIdx, bool isLast, MetricStore metrics)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        var batch = PrepareBatch(driver, rawBatch, 0);
        metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
        object? boxed = batchCallbacks.Length > 0 ? Box(batch) : null;
        model.ActiveMetrics = metrics;
        model.LogContext = LogContext.TrainingStep;

        foreach (var callback in batchCallbacks) callback.OnTrainBatchStart(this, model, boxed!, batchIdx);
        driver.OnTrainBatchStart(batch, batchIdx);
        var loss = driver.TrainingStep(batch, batchIdx);
        bool accumulating = ShouldAccumulate(model, batchIdx, isLast);
        if (model.AutomaticOptimization)
        {
            OptimizeAutomatically(model, loss, batchIdx, accumulating);
            if (!accumulating) StepSchedulers(Interval.Step, plateau: false, batchIdx);
            if (isLast) StepSchedulers(Interval.Epoch, plateau: false, batchIdx);
        }
        foreach (var callback in batchCallbacks) callback.OnTrainBatchEnd(this, model, loss, boxed!, batchIdx);
        driver.OnTrainBatchEnd(loss, batch, batchIdx);
        model.LogContext = LogContext.None;

        if (!accumulating && (batchesThatStepped + 1) % Options.LogEveryNSteps == 0 && metrics.HasStepValues && !FastDevRunning)
            LogToLoggers(metrics.StepValues().Where(v => v.Logger).Select(v => (v.Name, v.Value)), batchesThatStepped);
        metrics.EndStep();
        return accumulating;
    }

    /// <summary>
    /// Lightning's automatic optimization: zero_grad at the start of an accumulation window, backward of
    /// loss / AccumulateGradBatches, and at the window's end clipping and the optimizer step. A null loss skips the step.
    /// </summary>
    private void OptimizeAutomatically(LightningModule model, Tensor? loss, int batchIdx, bool accumulating)
    {
        var optimizer = LightningOptimizers[0].Optimizer;
        if (batchIdx % AccumulateGradBatches == 0)
        {
            foreach (var callback in callbacks) callback.OnBeforeZeroGrad(this, model, optimizer);
            model.OnBeforeZeroGrad(optimizer);
            optimizer.zero_grad();
        }
        if (loss is null) return;
        if (loss.numel() != 1)
            throw new MisconfigurationException($"TrainingStep returned a tensor of shape [{string.Join(", ", loss.shape)}]; return the scalar loss (e.g. .mean()).");
        if (!loss.requires_grad)
            throw new MisconfigurationException("TrainingStep returned a loss that does not require grad; compute it from the module's parameters, outside no_grad().");

        RunBackward(model, AccumulateGradBatches == 1 ? loss : loss / AccumulateGradBatches);
        if (accumulating) return;
        RunOptimizerStep(model, optimizer, clip: true);
    }

    internal void RunBackward(LightningModule model, Tensor loss)
    {
        foreach (var callback in callbacks) callback.OnBeforeBackward(this, model, loss);
        model.OnBeforeBackward(loss);
        loss.backward();
        foreach (var callback in callbacks) callback.OnAfterBackward(this, model);
        model.OnAfterBackward();
    }

    internal void RunOptimizerStep(LightningModule model, Optimizer optimizer, bool clip = false)
    {
        foreach (var callback in callbacks) callback.OnBeforeOptimizerStep(this, model, optimizer);
        model.OnBeforeOptimizerStep(optimizer);
        if (clip) model.ConfigureGradientClipping(optimizer, Options.GradientClipVal, Options.GradientClipAlgorithm);
        optimizer.step();
        GlobalStep++;
    }

    /// <summary>
    /// Lightning's <c>_update_learning_rates</c>: plateau and other schedulers step at different points; the frequency
    /// counts batches of the epoch (step interval) or epochs. Manual optimization steps schedulers itself.
    /// </summary>
    private void StepSchedulers(Interval interval, bool plateau, int batchIdx)
    {
        if (module is not { AutomaticOptimization: true }) return;
        long index = (interval == Interval.Step ? batchIdx : CurrentEpoch) + 1;
        for (int i = 0; i < SchedulerConfigs.Length; i++)
        {
            var config = SchedulerConfigs[i];
            if (config.ReduceOnPlateau != plateau || config.Interval != interval || index % config.Frequency != 0) continue;
            if (!plateau)
            {
                config.Scheduler.step();
                schedulerHistories[i].Add(null);
                continue;
            }
            if (CallbackMetrics.TryGetValue(config.Monitor!, out var metric))
            {
                config.Scheduler.step(metric);
                schedulerHistories[i].Add(metric);
            }
            else if (config.Strict)
                throw new MisconfigurationException(
                    $"ReduceLROnPlateau is conditioned on metric '{config.Monitor}', which is not available. Available metrics: [{string.Join(", ", CallbackMetrics.Keys.Order())}]. " +
                    "Log it, change LrSchedulerConfig.Monitor, or set Strict = false to skip the step with a warning.");
            else
                Console.Error.WriteLine($"Warning: ReduceLROnPlateau conditioned on metric '{config.Monitor}', which is not available; the scheduler step was skipped.");
        }
    }

    private void PublishEpochMetrics(MetricStore metrics)
    {
        foreach (var (name, loggedName, value, progBar, _) in metrics.EpochValues())
        {
            callbackMetrics[name] = value;
            if (loggedName != name) callbackMetrics[loggedName] = value;
            if (progBar) progressBarEpochMetrics[name] = value;
        }
    }

    private static void WithLogContext(LightningModule model, MetricStore? metrics, LogContext context, Action hooks)
    {
        model.ActiveMetrics = metrics;
        model.LogContext = metrics is null ? LogContext.None : context;
        hooks();
        model.LogContext = LogContext.None;
    }
}
