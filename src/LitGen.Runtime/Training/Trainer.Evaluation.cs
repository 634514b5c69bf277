using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

// Trainer.Validate / Test / Predict and the validation run inside Fit.
public sealed partial class Trainer
{
    private enum EvaluationKind { Validation, Test }

    /// <summary>
    /// Runs one validation epoch and returns the epoch metrics (one dictionary per dataloader).
    /// <paramref name="ckptPath"/>: <c>"best"</c>, <c>"last"</c> or a checkpoint path to load first; null uses the current weights.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Validate<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null, string? ckptPath = null)
        => Evaluate(model, dataloader, null, ckptPath, EvaluationKind.Validation);

    /// <summary>Runs one validation epoch on the datamodule's validation dataloader.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Validate<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null)
        => Evaluate(model, null, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), ckptPath, EvaluationKind.Validation);

    /// <summary>
    /// Runs one test epoch and returns the epoch metrics (one dictionary per dataloader).
    /// <paramref name="ckptPath"/>: <c>"best"</c>, <c>"last"</c> or a checkpoint path to load first; null uses the current weights.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Test<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null, string? ckptPath = null)
        => Evaluate(model, dataloader, null, ckptPath, EvaluationKind.Test);

    /// <summary>Runs one test epoch on the datamodule's test dataloader.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Test<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null)
        => Evaluate(model, null, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), ckptPath, EvaluationKind.Test);

    /// <summary>
    /// Runs <c>PredictStep</c> on every batch and returns the predictions, which the caller owns (dispose them).
    /// </summary>
    public IReadOnlyList<Tensor> Predict<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null, string? ckptPath = null)
        => Predict(model, dataloader, null, ckptPath);

    /// <summary>Runs <c>PredictStep</c> on the datamodule's prediction dataloader.</summary>
    public IReadOnlyList<Tensor> Predict<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null)
        => Predict(model, null, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), ckptPath);

    private IReadOnlyList<Tensor> Predict<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader, LightningDataModule<TBatch>? dataModule, string? ckptPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.OverriddenHooks.HasFlag(ModuleHooks.PredictStep))
            throw new MisconfigurationException($"{model.GetType().Name} has no PredictStep: override PredictStep to use Trainer.Predict.");
        return model.AcceptLoopVisitor(new PredictVisitor<TBatch>(this, model, dataloader, dataModule, ckptPath));
    }

    private sealed class PredictVisitor<TBatch>(Trainer trainer, LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader,
        LightningDataModule<TBatch>? dataModule, string? ckptPath) : ILoopVisitor<TBatch, IReadOnlyList<Tensor>>
    {
        public IReadOnlyList<Tensor> Visit<TDriver>(TDriver driver) where TDriver : struct, ILoopDriver<TBatch>
            => trainer.Predict(model, driver, dataloader, dataModule, ckptPath);
    }

    private IReadOnlyList<Tensor> Predict<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, IEnumerable<TBatch>? dataloader,
        LightningDataModule<TBatch>? dataModule, string? ckptPath) where TDriver : struct, ILoopDriver<TBatch>
    {
        return Run(model, Stage.Predict, dataModule, () =>
        {
            var loader = dataloader ?? dataModule?.PredictDataloader() ?? model.PredictDataloader() ?? throw NoDataloader(model, "prediction", "PredictDataloader");
            var limit = (FastDevRunning ? Options.FastDevRun : Options.LimitPredictBatches).Resolve(CountOf(loader), nameof(TrainerOptions.LimitPredictBatches));
            LoadWeights(model, ckptPath);
            var predictions = new List<Tensor>();
            model.eval();
            using var noGrad = no_grad();
            EachCallback(c => c.OnPredictStart(this, model));
            model.OnPredictStart();
            EachCallback(c => c.OnPredictEpochStart(this, model));
            model.OnPredictEpochStart();
            using (var batches = new BatchIterator<TBatch>(loader, limit))
            {
                while (true)
                {
                    using var scope = NewDisposeScope();
                    if (!batches.MoveNext(scope)) break;
                    int batchIdx = batches.Index;
                    var batch = PrepareBatch(driver, batches.Current, 0);
                    object? boxed = batchCallbacks.Length > 0 ? Box(batch) : null;
                    foreach (var callback in batchCallbacks) callback.OnPredictBatchStart(this, model, boxed!, batchIdx, 0);
                    driver.OnPredictBatchStart(batch, batchIdx, 0);
                    var prediction = driver.PredictStep(batch, batchIdx);
                    foreach (var callback in batchCallbacks) callback.OnPredictBatchEnd(this, model, prediction, boxed!, batchIdx, 0);
                    driver.OnPredictBatchEnd(prediction, batch, batchIdx, 0);
                    predictions.Add(scope.MoveToOuter(prediction.detach()));
                }
            }
            EachCallback(c => c.OnPredictEpochEnd(this, model));
            model.OnPredictEpochEnd();
            EachCallback(c => c.OnPredictEnd(this, model));
            model.OnPredictEnd();
            return (IReadOnlyList<Tensor>)predictions;
        });
    }

    private IReadOnlyList<IReadOnlyDictionary<string, double>> Evaluate<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader,
        LightningDataModule<TBatch>? dataModule, string? ckptPath, EvaluationKind kind)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool validation = kind == EvaluationKind.Validation;
        var (step, hook) = validation ? ("ValidationStep", ModuleHooks.ValidationStep) : ("TestStep", ModuleHooks.TestStep);
        if (!model.OverriddenHooks.HasFlag(hook))
            throw new MisconfigurationException($"{model.GetType().Name} has no {step}: override {step} to use Trainer.{(validation ? "Validate" : "Test")}.");
        return model.AcceptLoopVisitor(new EvaluationVisitor<TBatch>(this, model, dataloader, dataModule, ckptPath, kind));
    }

    private sealed class EvaluationVisitor<TBatch>(Trainer trainer, LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader,
        LightningDataModule<TBatch>? dataModule, string? ckptPath, EvaluationKind kind) : ILoopVisitor<TBatch, IReadOnlyList<IReadOnlyDictionary<string, double>>>
    {
        public IReadOnlyList<IReadOnlyDictionary<string, double>> Visit<TDriver>(TDriver driver) where TDriver : struct, ILoopDriver<TBatch>
            => trainer.Evaluate(model, driver, dataloader, dataModule, ckptPath, kind);
    }

    private IReadOnlyList<IReadOnlyDictionary<string, double>> Evaluate<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver,
        IEnumerable<TBatch>? dataloader, LightningDataModule<TBatch>? dataModule, string? ckptPath, EvaluationKind kind)
        where TDriver : struct, ILoopDriver<TBatch>
    {
        bool validation = kind == EvaluationKind.Validation;
        return Run(model, validation ? Stage.Validate : Stage.Test, dataModule, () =>
        {
            var loader = validation
                ? dataloader ?? dataModule?.ValDataloader() ?? model.ValDataloader() ?? throw NoDataloader(model, "validation", "ValDataloader")
                : dataloader ?? dataModule?.TestDataloader() ?? model.TestDataloader() ?? throw NoDataloader(model, "test", "TestDataloader");
            var limit = validation
                ? ValidationLimit(loader)
                : (FastDevRunning ? Options.FastDevRun : Options.LimitTestBatches).Resolve(CountOf(loader), nameof(TrainerOptions.LimitTestBatches));
            LoadWeights(model, ckptPath);
            var results = RunEvaluation(model, driver, loader, kind, limit, logResults: true);
            return (IReadOnlyList<IReadOnlyDictionary<string, double>>)[results];
        });
    }

    private static MisconfigurationException NoDataloader(LightningModule model, string what, string hook)
        => new($"No {what} dataloader: pass one to the trainer, or override {hook} in {model.GetType().Name} or its datamodule.");

    /// <summary>One validation or test epoch; returns its epoch metrics.</summary>
    private Dictionary<string, double> RunEvaluation<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, IEnumerable<TBatch> loader,
        EvaluationKind kind, int? limit, bool logResults) where TDriver : struct, ILoopDriver<TBatch>
    {
        bool validation = kind == EvaluationKind.Validation;
        using var metrics = new MetricStore();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using (no_grad())
            {
                WithLogContext(model, metrics, LogContext.EpochHook, () =>
                {
                    if (validation)
                    {
                        EachCallback(c => c.OnValidationStart(this, model));
                        model.OnValidationStart();
                        EachCallback(c => c.OnValidationEpochStart(this, model));
                        model.OnValidationEpochStart();
                    }
                    else
                    {
                        EachCallback(c => c.OnTestStart(this, model));
                        model.OnTestStart();
                        EachCallback(c => c.OnTestEpochStart(this, model));
                        model.OnTestEpochStart();
                    }
                });

                using (var batches = new BatchIterator<TBatch>(loader, limit))
                {
                    while (true)
                    {
                        using var scope = NewDisposeScope();
                        if (!batches.MoveNext(scope)) break;
                        RunEvaluationBatch(model, driver, batches.Current, batches.Index, metrics, validation, logResults);
                    }
                }

                WithLogContext(model, metrics, LogContext.EpochHook, () =>
                {
                    if (validation)
                    {
                        EachCallback(c => c.OnValidationEpochEnd(this, model));
                        model.OnValidationEpochEnd();
                    }
                    else
                    {
                        EachCallback(c => c.OnTestEpochEnd(this, model));
                        model.OnTestEpochEnd();
                    }
                });

                var results = metrics.EpochValues().ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
                if (logResults)
                {
                    PublishEpochMetrics(metrics);
                    if (!FastDevRunning) LogToLoggers(Pairs(metrics.EpochValues()), runningStage == Stage.Fit ? batchesThatStepped : GlobalStep);
                }

                WithLogContext(model, metrics, LogContext.EpochHook, () =>
                {
                    if (validation)
                    {
                        EachCallback(c => c.OnValidationEnd(this, model));
                        model.OnValidationEnd();
                    }
                    else
                    {
                        EachCallback(c => c.OnTestEnd(this, model));
                        model.OnTestEnd();
                    }
                });
                return results;
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }

    private void RunEvaluationBatch<TBatch, TDriver>(LightningModule<TBatch> model, TDriver driver, TBatch rawBatch, int batchIdx,
        MetricStore metrics, bool validation, bool logResults) where TDriver : struct, ILoopDriver<TBatch>
    {
        var batch = PrepareBatch(driver, rawBatch, 0);
        metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
        object? boxed = batchCallbacks.Length > 0 ? Box(batch) : null;
        model.ActiveMetrics = metrics;
        model.LogContext = LogContext.EvaluationStep;
        if (validation)
        {
            foreach (var callback in batchCallbacks) callback.OnValidationBatchStart(this, model, boxed!, batchIdx, 0);
            driver.OnValidationBatchStart(batch, batchIdx, 0);
            var output = driver.ValidationStep(batch, batchIdx);
            foreach (var callback in batchCallbacks) callback.OnValidationBatchEnd(this, model, output, boxed!, batchIdx, 0);
            driver.OnValidationBatchEnd(output, batch, batchIdx, 0);
        }
        else
        {
            foreach (var callback in batchCallbacks) callback.OnTestBatchStart(this, model, boxed!, batchIdx, 0);
            driver.OnTestBatchStart(batch, batchIdx, 0);
            var output = driver.TestStep(batch, batchIdx);
            foreach (var callback in batchCallbacks) callback.OnTestBatchEnd(this, model, output, boxed!, batchIdx, 0);
            driver.OnTestBatchEnd(output, batch, batchIdx, 0);
        }
        model.LogContext = LogContext.None;
        // Values logged with onStep: true in evaluation go to the loggers per batch, on the batch index axis.
        if (logResults && metrics.HasStepValues && !FastDevRunning)
            LogToLoggers(metrics.StepValues().Where(v => v.Logger).Select(v => (v.Name, v.Value)), batchIdx);
        metrics.EndStep();
    }
}
