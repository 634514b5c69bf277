using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>What differs between validation and test runs: their hooks and step (Lightning's <c>_EvaluationLoop</c> stages).</summary>
internal interface IEvaluationStage
{
    /// <summary>The trainer entry point of the stage when run on its own.</summary>
    static abstract Stage Stage { get; }

    /// <summary>The step the module must override.</summary>
    static abstract ModuleHooks Step { get; }

    /// <summary>OnXStart, then OnXEpochStart.</summary>
    static abstract void OnStart(HookCaller hooks, MetricStore metrics);

    /// <summary>OnXEpochEnd.</summary>
    static abstract void OnEpochEnd(HookCaller hooks, MetricStore metrics);

    /// <summary>OnXEnd.</summary>
    static abstract void OnEnd(HookCaller hooks, MetricStore metrics);

    /// <summary>OnXModelEval (the module's eval mode, by default).</summary>
    static abstract void ModelEval(HookCaller hooks, LightningModule module);

    /// <summary>OnXModelTrain (the module's training mode, by default).</summary>
    static abstract void ModelTrain(HookCaller hooks, LightningModule module);

    /// <summary>The batch hooks and the step for one batch.</summary>
    static abstract void RunBatch<TBatch, TDriver>(Trainer trainer, LightningModule module, Callback[] batchCallbacks, TDriver driver, TBatch batch, int batchIdx,
        int dataloaderIdx, object? boxed) where TDriver : struct, ILoopDriver<TBatch>;
}

internal readonly struct ValidationStage : IEvaluationStage
{
    public static Stage Stage => Stage.Validate;

    public static ModuleHooks Step => ModuleHooks.ValidationStep;

    public static void OnStart(HookCaller hooks, MetricStore metrics)
    {
        hooks.Call(ModuleHooks.OnValidationStart, static (c, t, m) => c.OnValidationStart(t, m), static m => m.OnValidationStart(), metrics);
        hooks.Call(ModuleHooks.OnValidationEpochStart, static (c, t, m) => c.OnValidationEpochStart(t, m), static m => m.OnValidationEpochStart(), metrics);
    }

    public static void OnEpochEnd(HookCaller hooks, MetricStore metrics)
        => hooks.Call(ModuleHooks.OnValidationEpochEnd, static (c, t, m) => c.OnValidationEpochEnd(t, m), static m => m.OnValidationEpochEnd(), metrics);

    public static void OnEnd(HookCaller hooks, MetricStore metrics)
        => hooks.Call(ModuleHooks.OnValidationEnd, static (c, t, m) => c.OnValidationEnd(t, m), static m => m.OnValidationEnd(), metrics);

    public static void ModelEval(HookCaller hooks, LightningModule module)
    {
        using var scope = hooks.Logging(ModuleHooks.OnValidationModelEval, null);
        module.OnValidationModelEval();
    }

    public static void ModelTrain(HookCaller hooks, LightningModule module)
    {
        using var scope = hooks.Logging(ModuleHooks.OnValidationModelTrain, null);
        module.OnValidationModelTrain();
    }

    public static void RunBatch<TBatch, TDriver>(Trainer trainer, LightningModule module, Callback[] batchCallbacks, TDriver driver, TBatch batch, int batchIdx,
        int dataloaderIdx, object? boxed) where TDriver : struct, ILoopDriver<TBatch>
    {
        foreach (var callback in batchCallbacks) callback.OnValidationBatchStart(trainer, module, boxed!, batchIdx, dataloaderIdx);
        driver.OnValidationBatchStart(batch, batchIdx, dataloaderIdx);
        Tensor? output;
        using (trainer.Strategy.StepScope()) output = driver.ValidationStep(batch, batchIdx);
        foreach (var callback in batchCallbacks) callback.OnValidationBatchEnd(trainer, module, output, boxed!, batchIdx, dataloaderIdx);
        driver.OnValidationBatchEnd(output, batch, batchIdx, dataloaderIdx);
    }
}

internal readonly struct TestStage : IEvaluationStage
{
    public static Stage Stage => Stage.Test;

    public static ModuleHooks Step => ModuleHooks.TestStep;

    public static void OnStart(HookCaller hooks, MetricStore metrics)
    {
        hooks.Call(ModuleHooks.OnTestStart, static (c, t, m) => c.OnTestStart(t, m), static m => m.OnTestStart(), metrics);
        hooks.Call(ModuleHooks.OnTestEpochStart, static (c, t, m) => c.OnTestEpochStart(t, m), static m => m.OnTestEpochStart(), metrics);
    }

    public static void OnEpochEnd(HookCaller hooks, MetricStore metrics)
        => hooks.Call(ModuleHooks.OnTestEpochEnd, static (c, t, m) => c.OnTestEpochEnd(t, m), static m => m.OnTestEpochEnd(), metrics);

    public static void OnEnd(HookCaller hooks, MetricStore metrics)
        => hooks.Call(ModuleHooks.OnTestEnd, static (c, t, m) => c.OnTestEnd(t, m), static m => m.OnTestEnd(), metrics);

    public static void ModelEval(HookCaller hooks, LightningModule module)
    {
        using var scope = hooks.Logging(ModuleHooks.OnTestModelEval, null);
        module.OnTestModelEval();
    }

    public static void ModelTrain(HookCaller hooks, LightningModule module)
    {
        using var scope = hooks.Logging(ModuleHooks.OnTestModelTrain, null);
        module.OnTestModelTrain();
    }

    public static void RunBatch<TBatch, TDriver>(Trainer trainer, LightningModule module, Callback[] batchCallbacks, TDriver driver, TBatch batch, int batchIdx,
        int dataloaderIdx, object? boxed) where TDriver : struct, ILoopDriver<TBatch>
    {
        foreach (var callback in batchCallbacks) callback.OnTestBatchStart(trainer, module, boxed!, batchIdx, dataloaderIdx);
        driver.OnTestBatchStart(batch, batchIdx, dataloaderIdx);
        Tensor? output;
        using (trainer.Strategy.StepScope()) output = driver.TestStep(batch, batchIdx);
        foreach (var callback in batchCallbacks) callback.OnTestBatchEnd(trainer, module, output, boxed!, batchIdx, dataloaderIdx);
        driver.OnTestBatchEnd(output, batch, batchIdx, dataloaderIdx);
    }
}

/// <summary>
/// One validation or test epoch (Lightning's <c>_EvaluationLoop</c>) over one or more dataloaders: the module in eval
/// mode without gradients, the start/epoch/batch hooks, and the epoch values it logged, one dictionary per dataloader.
/// With several dataloaders each value logged in a step gets Lightning's <c>/dataloader_idx_N</c> suffix.
/// </summary>
internal sealed class EvaluationLoop<TStage>(LoopContext context) where TStage : struct, IEvaluationStage
{
    /// <summary>Runs the epoch; <paramref name="limit"/> gives each dataloader's batch limit. Results are published when <paramref name="logResults"/>.</summary>
    public List<Dictionary<string, double>> Run<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, IReadOnlyList<IEnumerable<TBatch>> loaders,
        Func<IEnumerable<TBatch>, int?> limit, bool logResults) where TDriver : struct, ILoopDriver<TBatch>
    {
        var hooks = context.Hooks;
        using var metrics = new MetricStore(context.Strategy, context.Messages);
        bool wasTraining = module.training, completed = false;
        TStage.ModelEval(hooks, module);
        try
        {
            using var noGrad = no_grad();
            TStage.OnStart(hooks, metrics);
            for (int dataloaderIdx = 0; dataloaderIdx < loaders.Count; dataloaderIdx++)
            {
                var loader = loaders[dataloaderIdx];
                metrics.NameSuffix = loaders.Count > 1 ? DataloaderSuffix(dataloaderIdx) : null;
                module.DataloaderIdx = dataloaderIdx;
                int? total = limit(loader);
                using var batches = new BatchIterator<TBatch>(loader, total);
                // Under ddp the shards are unequal (every sample once): the processes go on while any has a batch, and one
                // without takes part in the exchanges of the others' step.
                while (true)
                {
                    using var scope = NewDisposeScope();
                    bool hasBatch = batches.MoveNext(scope);
                    if (!(context.Interruption?.ThrowIfRequested(hasBatch) ?? hasBatch)) break;
                    if (!hasBatch)
                    {
                        metrics.SyncStepValues(always: true, present: false);
                        continue;
                    }
                    RunBatch(module, driver, batches.Current, batches.Index, dataloaderIdx, metrics, logResults);
                    foreach (var callback in hooks.Callbacks) callback.OnEvaluationBatchCompleted(context.Trainer, TStage.Stage, batches.Index + 1, total);
                }
            }
            foreach (var callback in hooks.Callbacks) callback.OnEvaluationCompleted(context.Trainer, TStage.Stage);
            (metrics.NameSuffix, module.DataloaderIdx) = (null, 0);
            metrics.AgreeOnEpochValues();
            TStage.OnEpochEnd(hooks, metrics);

            var epochValues = metrics.EpochValues().ToList();
            var results = Enumerable.Range(0, loaders.Count)
                .Select(i => epochValues
                    .Where(v => v.Logger && (loaders.Count == 1 || !v.Name.Contains("/dataloader_idx_", StringComparison.Ordinal) || v.Name.EndsWith(DataloaderSuffix(i), StringComparison.Ordinal)))
                    .ToDictionary(v => v.LoggedName, v => v.Value, StringComparer.Ordinal))
                .ToList();
            if (logResults)
            {
                context.Logging.PublishEpochValues(metrics);
                context.Logging.LogEpochValues(metrics, context.Trainer.EvaluationLogStep, context.Trainer.CurrentEpoch);
            }
            TStage.OnEnd(hooks, metrics);
            // As Lightning 2.1, training mode again after every run, by the module's OnXModelTrain.
            TStage.ModelTrain(hooks, module);
            completed = true;
            return results;
        }
        finally
        {
            module.DataloaderIdx = 0;
            if (!completed && wasTraining) module.train();
        }
    }

    private readonly List<long> seenBatches = [];

    /// <summary>Starts the evaluation step counter again (each Validate or Test, each fit, and when dataloaders are reloaded).</summary>
    public void RestartLogSteps() => seenBatches.Clear();

    private long NextLogStep(int dataloaderIdx)
    {
        while (seenBatches.Count <= dataloaderIdx) seenBatches.Add(0);
        return seenBatches[dataloaderIdx]++;
    }

    private static string DataloaderSuffix(int dataloaderIdx) => "/dataloader_idx_" + dataloaderIdx.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void RunBatch<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, TBatch rawBatch, int batchIdx, int dataloaderIdx, MetricStore metrics, bool logResults)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        var batch = context.Strategy.PrepareBatch(driver, rawBatch, dataloaderIdx);
        metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
        var batchCallbacks = context.Hooks.BatchCallbacks;
        object? boxed = batchCallbacks.Length > 0 ? (object?)batch : null;
        using (context.Hooks.Logging(TStage.Step, metrics))
            TStage.RunBatch(context.Trainer, module, batchCallbacks, driver, batch, batchIdx, dataloaderIdx, boxed);
        metrics.SyncStepValues(always: true);
        // Values logged with onStep: true in evaluation go to the loggers per batch, at a step of their own per dataloader
        // that runs on across the validation runs of a fit (Lightning's _seen_batches_per_dataloader), with no epoch.
        if (logResults) context.Logging.LogStepValues(metrics, NextLogStep(dataloaderIdx), epoch: null);
        metrics.EndStep();
    }
}
