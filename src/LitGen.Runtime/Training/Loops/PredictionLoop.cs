using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// One prediction epoch (Lightning's <c>_PredictionLoop</c>): the module in eval mode without gradients; every
/// prediction is detached and moved out of its step's dispose scope, so the caller owns it.
/// </summary>
internal sealed class PredictionLoop(LoopContext context)
{
    /// <summary>
    /// Predicts every batch; without <paramref name="returnPredictions"/> each prediction is freed once its batch hooks
    /// have seen it (callbacks write them out), so memory stays flat, and the lists come back empty.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> Run<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, IReadOnlyList<IEnumerable<TBatch>> loaders,
        Func<IEnumerable<TBatch>, int?> limit, bool returnPredictions) where TDriver : struct, ILoopDriver<TBatch>
    {
        var hooks = context.Hooks;
        var predictions = new List<IReadOnlyList<Tensor>>();
        using (hooks.Logging(ModuleHooks.OnPredictModelEval, null)) module.OnPredictModelEval();
        using var noGrad = no_grad();
        hooks.Call(ModuleHooks.OnPredictStart, static (c, t, m) => c.OnPredictStart(t, m), static m => m.OnPredictStart());
        hooks.Call(ModuleHooks.OnPredictEpochStart, static (c, t, m) => c.OnPredictEpochStart(t, m), static m => m.OnPredictEpochStart());
        try
        {
            for (int dataloaderIdx = 0; dataloaderIdx < loaders.Count; dataloaderIdx++)
            {
                module.DataloaderIdx = dataloaderIdx;
                predictions.Add(RunDataloader(module, driver, loaders[dataloaderIdx], limit(loaders[dataloaderIdx]), dataloaderIdx, returnPredictions));
            }
        }
        finally
        {
            module.DataloaderIdx = 0;
        }
        foreach (var callback in hooks.Callbacks) callback.OnEvaluationCompleted(context.Trainer, Stage.Predict);
        hooks.Call(ModuleHooks.OnPredictEpochEnd, static (c, t, m) => c.OnPredictEpochEnd(t, m), static m => m.OnPredictEpochEnd());
        hooks.Call(ModuleHooks.OnPredictEnd, static (c, t, m) => c.OnPredictEnd(t, m), static m => m.OnPredictEnd());
        return predictions;
    }

    private List<Tensor> RunDataloader<TBatch, TDriver>(LightningModule<TBatch> module, TDriver driver, IEnumerable<TBatch> loader, int? limit, int dataloaderIdx,
        bool returnPredictions) where TDriver : struct, ILoopDriver<TBatch>
    {
        var predictions = new List<Tensor>();
        var batchCallbacks = context.Hooks.BatchCallbacks;
        using var batches = new BatchIterator<TBatch>(loader, limit);
        while (true)
        {
            using var scope = NewDisposeScope();
            bool hasBatch = batches.MoveNext(scope);
            // Prediction shards are unequal under ddp: the processes go on together while any has a batch.
            if (!(context.Interruption?.ThrowIfRequested(hasBatch) ?? hasBatch)) break;
            if (!hasBatch) continue;
            int batchIdx = batches.Index;
            var batch = context.Strategy.PrepareBatch(driver, batches.Current, dataloaderIdx);
            object? boxed = batchCallbacks.Length > 0 ? (object?)batch : null;
            foreach (var callback in batchCallbacks) callback.OnPredictBatchStart(context.Trainer, module, boxed!, batchIdx, dataloaderIdx);
            driver.OnPredictBatchStart(batch, batchIdx, dataloaderIdx);
            Tensor prediction;
            using (context.Strategy.StepScope()) prediction = driver.PredictStep(batch, batchIdx);
            foreach (var callback in batchCallbacks) callback.OnPredictBatchEnd(context.Trainer, module, prediction, boxed!, batchIdx, dataloaderIdx);
            driver.OnPredictBatchEnd(prediction, batch, batchIdx, dataloaderIdx);
            if (returnPredictions) predictions.Add(scope.MoveToOuter(prediction.detach()));
            foreach (var callback in context.Hooks.Callbacks) callback.OnEvaluationBatchCompleted(context.Trainer, Stage.Predict, batchIdx + 1, limit);
        }
        return predictions;
    }
}
