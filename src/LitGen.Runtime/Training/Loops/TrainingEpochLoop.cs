using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// One training epoch (Lightning's <c>_TrainingEpochLoop</c>): per batch the transfer and batch hooks, the step and its
/// optimization, validation when due, scheduler steps and step logging; at the end the epoch hooks and epoch logging.
/// Generic over the batch and the module's loop driver, so the JIT specializes it per module.
/// </summary>
internal sealed class TrainingEpochLoop
{
    private const string MetricsKey = "metrics";
    private readonly Trainer trainer;

    public TrainingEpochLoop(Trainer trainer)
    {
        this.trainer = trainer;
        Automatic = new AutomaticOptimization(trainer);
        Manual = new ManualOptimization(trainer);
        ValLoop = new EvaluationLoop<ValidationStage>(trainer);
    }

    public EpochProgress Progress { get; } = new();

    public AutomaticOptimization Automatic { get; }

    public ManualOptimization Manual { get; }

    public EvaluationLoop<ValidationStage> ValLoop { get; }

    /// <summary>The values the fit's training logs (Lightning's <c>_results</c> of the training loop); null outside a fit.</summary>
    public MetricStore? Metrics { get; private set; }

    /// <summary>Batches in the current epoch, when the dataloader has a length.</summary>
    public int? NumTrainingBatches { get; private set; }

    /// <summary>Optimizer steps of both optimization loops (Lightning's <c>global_step</c>).</summary>
    public long GlobalStep => Automatic.Progress.Steps + Manual.Progress.Steps;

    public void Reset()
    {
        Progress.Reset();
        Automatic.Progress.Reset();
        Manual.Progress.Reset();
    }

    public void StartFit() => trainer.LoggerConnector.TrainMetrics = Metrics = new MetricStore(trainer.Strategy, trainer.Warn);

    public void EndFit()
    {
        trainer.LoggerConnector.TrainMetrics = null;
        Metrics?.Dispose();
        Metrics = null;
    }

    public JsonObject Save()
    {
        var state = Progress.Save();
        if (trainer.FitLoop.Progress.Phase == FitPhase.MidEpoch && Metrics is not null) state[MetricsKey] = Metrics.Save();
        return state;
    }

    /// <summary>The partial epoch's metrics saved mid-epoch, or null.</summary>
    public static JsonArray? SavedMetrics(JsonObject state) => state[MetricsKey]?.DeepClone() as JsonArray;

    /// <summary>Runs one epoch; with <paramref name="resume"/>, the first <c>BatchesDone</c> batches are drawn and dropped.</summary>
    public void Run<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, IEnumerable<TBatch> trainLoader, IReadOnlyList<IEnumerable<TBatch>>? valLoaders,
        MidEpochResume? resume) where TDriver : struct, ILoopDriver<TBatch>
    {
        NumTrainingBatches = trainer.TrainingLimit.Resolve(Trainer.CountOf(trainLoader), nameof(TrainerOptions.LimitTrainBatches));
        int? valCheckBatch = ResolveValCheckBatch(NumTrainingBatches, valLoaders);

        var metrics = Metrics!;
        if (resume is null) metrics.Reset();
        else metrics.Restore(resume.Metrics, trainer.Strategy.RootDevice);
        int skip = resume?.BatchesDone ?? 0;
        if (trainLoader is IEpochAware epochAware) epochAware.SetEpoch(trainer.CurrentEpoch);
        module.train();
        trainer.Hooks.Call(ModuleHooks.OnTrainEpochStart, static (c, t, m) => c.OnTrainEpochStart(t, m), static m => m.OnTrainEpochStart(), metrics);
        trainer.FitLoop.Progress.Phase = FitPhase.MidEpoch;
        Progress.BatchesDone = skip;

        using (var batches = new BatchIterator<TBatch>(trainLoader, NumTrainingBatches, skip))
        {
            while (true)
            {
                bool accumulating;
                trainer.Interruption?.ThrowIfRequested();
                using (var scope = NewDisposeScope())
                {
                    if (!batches.MoveNext(scope)) break;
                    accumulating = RunBatch(module, driver, batches.Current, batches.Index, batches.IsLast, metrics);
                }

                // Lightning's on_advance_end: validation when due, plateau step schedulers, then the stepped-batch count.
                if (valLoaders is not null && ShouldCheckValidation(batches.Index, batches.IsLast, valCheckBatch))
                {
                    ValLoop.Run(module, driver, valLoaders, trainer.ValidationLimit, logResults: true);
                    trainer.FitLoop.ValidationHasRun = true;
                }
                if (!accumulating)
                {
                    trainer.Optimization.StepSchedulers(module, Interval.Step, plateau: true, batches.Index);
                    Progress.BatchesThatStepped++;
                }
                Progress.TotalBatchIdx++;
                Progress.BatchesDone = batches.Index + 1;
                foreach (var callback in trainer.Hooks.Callbacks) callback.OnTrainBatchCompleted(trainer, module);
                if (trainer.MaxStepsReached || (trainer.ShouldStop && trainer.CanStopEarly)) break;
            }
        }

        var logger = trainer.LoggerConnector;
        logger.PublishLatestStepValues(metrics);
        logger.PublishEpochValues(metrics);
        trainer.Hooks.Call(ModuleHooks.OnTrainEpochEnd, static (c, t, m) => c.OnTrainEpochEnd(t, m), static m => m.OnTrainEpochEnd(), metrics, monitoring: false);
        logger.PublishEpochValues(metrics);
        trainer.FitLoop.Progress.Phase = FitPhase.EpochEnd;
        trainer.Hooks.CallCallbacks(static (c, t, m) => c.OnTrainEpochEnd(t, m), monitoring: true);
        logger.LogEpochValues(metrics, Math.Max(0, Progress.BatchesThatStepped - 1), trainer.CurrentEpoch);
    }

    /// <summary>Runs one training batch; returns whether it only accumulated gradients (no optimizer step).</summary>
    private bool RunBatch<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, TBatch rawBatch, int batchIdx, bool isLast, MetricStore metrics)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        var batch = trainer.Strategy.PrepareBatch(driver, rawBatch, 0);
        metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
        var batchCallbacks = trainer.Hooks.BatchCallbacks;
        object? boxed = batchCallbacks.Length > 0 ? (object?)batch : null;
        bool accumulating = ShouldAccumulate(module, batchIdx, isLast);

        using (trainer.Hooks.Logging(ModuleHooks.TrainingStep, metrics))
        {
            foreach (var callback in batchCallbacks) callback.OnTrainBatchStart(trainer, module, boxed!, batchIdx);
            driver.OnTrainBatchStart(batch, batchIdx);
            var loss = driver.TrainingStep(batch, batchIdx);
            if (module.AutomaticOptimization)
            {
                Automatic.Run(module, loss, batchIdx, accumulating);
                if (!accumulating) trainer.Optimization.StepSchedulers(module, Interval.Step, plateau: false, batchIdx);
                if (isLast) trainer.Optimization.StepSchedulers(module, Interval.Epoch, plateau: false, batchIdx);
            }
            foreach (var callback in batchCallbacks) callback.OnTrainBatchEnd(trainer, module, loss, boxed!, batchIdx);
            driver.OnTrainBatchEnd(loss, batch, batchIdx);
            module.ClearStepOutputs();
        }

        if (!accumulating && (Progress.BatchesThatStepped + 1) % trainer.Options.LogEveryNSteps == 0)
            trainer.LoggerConnector.LogStepValues(metrics, Progress.BatchesThatStepped, trainer.CurrentEpoch);
        metrics.EndStep();
        return accumulating;
    }

    /// <summary>Lightning's <c>_should_accumulate</c>: neither the end of an accumulation window nor the epoch's last batch.</summary>
    private bool ShouldAccumulate(LightningModule module, int batchIdx, bool isLast)
        => module.AutomaticOptimization && (batchIdx + 1) % trainer.AccumulateGradBatches != 0 && !isLast;

    private int? ResolveValCheckBatch<TBatch>(int? trainBatches, IReadOnlyList<IEnumerable<TBatch>>? valLoaders)
    {
        if (valLoaders is null) return null;
        var options = trainer.Options;
        var interval = trainer.FastDevRunning ? BatchLimit.All : options.ValCheckInterval;
        if (interval.Count is int count)
        {
            if (count < 1) throw new MisconfigurationException("ValCheckInterval must be a positive batch count or a fraction in (0, 1].");
            if (trainBatches is int n && count > n && options.CheckValEveryNEpoch is not null)
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
        if (trainer.Options.CheckValEveryNEpoch is int every && (trainer.CurrentEpoch + 1) % every != 0) return false;
        if (trainer.ShouldStop && trainer.CanStopEarly) return true;
        if (valCheckBatch is not int checkBatch) return isLast;
        long iteration = trainer.Options.CheckValEveryNEpoch is null ? Progress.TotalBatchIdx : batchIdx;
        return (iteration + 1) % checkBatch == 0;
    }
}

/// <summary>Where a resumed fit continues inside an epoch: batches already done and the epoch's partial metrics.</summary>
internal sealed record MidEpochResume(int BatchesDone, JsonArray Metrics);
