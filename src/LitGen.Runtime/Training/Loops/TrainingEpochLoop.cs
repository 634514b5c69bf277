using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The batches of one training epoch (Lightning's <c>_TrainingEpochLoop</c>): per batch the transfer and batch hooks,
/// the step and its optimization, validation when due, scheduler steps and step logging. The epoch's start and end
/// hooks are the fit loop's, as in Lightning. Generic over the batch and the module's loop driver, so the JIT
/// specializes it per module.
/// </summary>
internal sealed class TrainingEpochLoop
{
    private const string MetricsKey = "metrics";
    private readonly LoopContext context;
    private int? valCheckBatch;

    public TrainingEpochLoop(LoopContext context)
    {
        this.context = context;
        Automatic = new AutomaticOptimization(context);
        Manual = new ManualOptimization(context);
        ValLoop = new EvaluationLoop<ValidationStage>(context);
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

    /// <summary>Whether the step limit (<c>MaxSteps</c>, or FastDevRun's batch count) is reached.</summary>
    public bool MaxStepsReached => context.Trainer.MaxSteps != -1 && GlobalStep >= context.Trainer.MaxSteps;

    public void Reset()
    {
        Progress.Reset();
        Automatic.Progress.Reset();
        Manual.Progress.Reset();
    }

    public void StartFit() => context.Logging.TrainMetrics = Metrics = new MetricStore(context.Strategy, context.Messages);

    public void EndFit()
    {
        context.Logging.TrainMetrics = null;
        Metrics?.Dispose();
        Metrics = null;
    }

    /// <summary>The epoch's progress; <paramref name="midEpoch"/> adds its partial metrics (a checkpoint inside an epoch).</summary>
    public JsonObject Save(bool midEpoch)
    {
        var state = Progress.Save();
        if (midEpoch && Metrics is not null) state[MetricsKey] = Metrics.Save();
        return state;
    }

    /// <summary>The partial epoch's metrics saved mid-epoch, or null.</summary>
    public static JsonArray? SavedMetrics(JsonObject state) => state[MetricsKey]?.DeepClone() as JsonArray;

    /// <summary>
    /// Prepares epoch <paramref name="epoch"/>, before its start hooks: its batch count and validation interval, its
    /// metrics (restored with <paramref name="resume"/>), and the dataloader's epoch.
    /// </summary>
    public void StartEpoch<TBatch>(IEnumerable<TBatch> trainLoader, IReadOnlyList<IEnumerable<TBatch>>? valLoaders, int epoch, MidEpochResume? resume)
    {
        NumTrainingBatches = context.Data.TrainingBatches(trainLoader);
        valCheckBatch = valLoaders is null ? null : context.Data.ValCheckBatch(NumTrainingBatches);
        if (resume is null) Metrics!.Reset();
        else Metrics!.Restore(resume.Metrics, context.Strategy.RootDevice);
        Progress.BatchesDone = resume?.BatchesDone ?? 0;
        if (trainLoader is IEpochAware epochAware) epochAware.SetEpoch(epoch);
    }

    /// <summary>
    /// Runs the epoch's batches (the first <c>BatchesDone</c>, already trained before a resume, are drawn and dropped)
    /// until the dataloader ends, the step limit is reached or <paramref name="stopRequested"/> says so.
    /// </summary>
    public EpochOutcome Run<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, IEnumerable<TBatch> trainLoader, IReadOnlyList<IEnumerable<TBatch>>? valLoaders,
        int epoch, Func<bool> stopRequested) where TDriver : struct, ILoopDriver<TBatch>
    {
        var metrics = Metrics!;
        bool validationRan = false;
        var closure = module.AutomaticOptimization && module.GeneratedHooks.HasFlag(ModuleHooks.OptimizerStep)
            ? new OptimizerClosure<TBatch, TDriver>(Automatic, module)
            : null;
        using (var batches = new BatchIterator<TBatch>(trainLoader, NumTrainingBatches, Progress.BatchesDone))
        {
            while (true)
            {
                bool accumulating;
                context.Interruption?.ThrowIfRequested();
                using (var scope = NewDisposeScope())
                {
                    if (!batches.MoveNext(scope)) break;
                    accumulating = RunBatch(module, driver, batches.Current, batches.Index, batches.IsLast, epoch, metrics, closure);
                }

                // Lightning's on_advance_end: validation when due, plateau step schedulers, then the stepped-batch count.
                if (valLoaders is not null && ShouldCheckValidation(batches.Index, batches.IsLast, epoch, stopRequested))
                {
                    ValLoop.Run(module, driver, valLoaders, context.Data.ValidationBatches, logResults: true);
                    validationRan = true;
                }
                if (!accumulating)
                {
                    context.Optimization.StepSchedulers(module, Interval.Step, plateau: true, batches.Index);
                    Progress.BatchesThatStepped++;
                }
                Progress.TotalBatchIdx++;
                Progress.BatchesDone = batches.Index + 1;
                foreach (var callback in context.Hooks.Callbacks) callback.OnTrainBatchCompleted(context.Trainer, module);
                if (MaxStepsReached || stopRequested()) break;
            }
        }
        return new EpochOutcome(validationRan);
    }

    /// <summary>Runs one training batch; returns whether it only accumulated gradients (no optimizer step).</summary>
    private bool RunBatch<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, TBatch rawBatch, int batchIdx, bool isLast, int epoch, MetricStore metrics,
        OptimizerClosure<TBatch, TDriver>? closure) where TDriver : struct, ILoopDriver<TBatch>
    {
        var batch = context.Strategy.PrepareBatch(driver, rawBatch, 0);
        metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
        var batchCallbacks = context.Hooks.BatchCallbacks;
        object? boxed = batchCallbacks.Length > 0 ? (object?)batch : null;
        bool accumulating = ShouldAccumulate(module, batchIdx, isLast);

        using (context.Hooks.Logging(ModuleHooks.TrainingStep, metrics))
        {
            foreach (var callback in batchCallbacks) callback.OnTrainBatchStart(context.Trainer, module, boxed!, batchIdx);
            driver.OnTrainBatchStart(batch, batchIdx);
            Tensor? loss;
            // Lightning's order: the module's OptimizerStep first, whose closure runs the step (only when overridden).
            if (closure is not null && !accumulating) loss = closure.Step(driver, batch, epoch, batchIdx, context.Optimization.Optimizers[0]);
            else
            {
                // The step under the precision's autocast; backward and the optimizer step outside it, as Lightning.
                using (context.Strategy.StepScope()) loss = driver.TrainingStep(batch, batchIdx);
                metrics.SyncStepValues();
                if (module.AutomaticOptimization) Automatic.Run(module, loss, epoch, batchIdx, accumulating);
            }
            if (module.AutomaticOptimization)
            {
                if (!accumulating) context.Optimization.StepSchedulers(module, Interval.Step, plateau: false, batchIdx);
                if (isLast) context.Optimization.StepSchedulers(module, Interval.Epoch, plateau: false, batchIdx);
            }
            foreach (var callback in batchCallbacks) callback.OnTrainBatchEnd(context.Trainer, module, loss, boxed!, batchIdx);
            driver.OnTrainBatchEnd(loss, batch, batchIdx);
            metrics.SyncStepValues();
            module.ClearStepOutputs();
        }

        if (!accumulating && (Progress.BatchesThatStepped + 1) % context.Options.LogEveryNSteps == 0)
            context.Logging.LogStepValues(metrics, Progress.BatchesThatStepped, epoch);
        metrics.EndStep();
        return accumulating;
    }

    /// <summary>Lightning's <c>_should_accumulate</c>: neither the end of an accumulation window nor the epoch's last batch.</summary>
    private bool ShouldAccumulate(LightningModule module, int batchIdx, bool isLast)
        => module.AutomaticOptimization && (batchIdx + 1) % context.Trainer.AccumulateGradBatches != 0 && !isLast;

    /// <summary>Lightning's <c>_should_check_val_fx</c>.</summary>
    private bool ShouldCheckValidation(int batchIdx, bool isLast, int epoch, Func<bool> stopRequested)
    {
        if (context.Options.CheckValEveryNEpoch is int every && (epoch + 1) % every != 0) return false;
        if (stopRequested()) return true;
        if (valCheckBatch is not int checkBatch) return isLast;
        long iteration = context.Options.CheckValEveryNEpoch is null ? Progress.TotalBatchIdx : batchIdx;
        return (iteration + 1) % checkBatch == 0;
    }
}

/// <summary>What an epoch's batches did that the fit loop keeps: whether a validation run happened.</summary>
internal readonly record struct EpochOutcome(bool ValidationRan);

/// <summary>Where a resumed fit continues inside an epoch: batches already done and the epoch's partial metrics.</summary>
internal sealed record MidEpochResume(int BatchesDone, JsonArray Metrics);
