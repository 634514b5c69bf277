using System;
using System.Collections.Generic;
using System.Linq;
using LitGen.Data;
using LitGen.Training;
using TorchSharp;
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
        if (!Overrides(model, nameof(LightningModule<TBatch>.PredictStep)))
            throw new MisconfigurationException($"{model.GetType().Name} has no PredictStep: override PredictStep to use Trainer.Predict.");
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
                    var batch = PrepareBatch(model, batches.Current, 0);
                    object? boxed = callbacks.Count > 0 ? Box(batch) : null;
                    foreach (var callback in callbacks) callback.OnPredictBatchStart(this, model, boxed!, batchIdx, 0);
                    model.OnPredictBatchStart(batch, batchIdx, 0);
                    var prediction = model.PredictStep(batch, batchIdx);
                    foreach (var callback in callbacks) callback.OnPredictBatchEnd(this, model, prediction, boxed!, batchIdx, 0);
                    model.OnPredictBatchEnd(prediction, batch, batchIdx, 0);
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
        var step = validation ? nameof(LightningModule<TBatch>.ValidationStep) : nameof(LightningModule<TBatch>.TestStep);
        if (!Overrides(model, step))
            throw new MisconfigurationException($"{model.GetType().Name} has no {step}: override {step} to use Trainer.{(validation ? "Validate" : "Test")}.");
        return Run(model, validation ? Stage.Validate : Stage.Test, dataModule, () =>
        {
            var loader = validation
                ? dataloader ?? dataModule?.ValDataloader() ?? model.ValDataloader() ?? throw NoDataloader(model, "validation", "ValDataloader")
                : dataloader ?? dataModule?.TestDataloader() ?? model.TestDataloader() ?? throw NoDataloader(model, "test", "TestDataloader");
            var limit = validation
                ? ValidationLimit(loader)
                : (FastDevRunning ? Options.FastDevRun : Options.LimitTestBatches).Resolve(CountOf(loader), nameof(TrainerOptions.LimitTestBatches));
            LoadWeights(model, ckptPath);
            var results = RunEvaluation(model, loader, kind, limit, logResults: true);
            return (IReadOnlyList<IReadOnlyDictionary<string, double>>)[results];
        });
    }

    private static MisconfigurationException NoDataloader(LightningModule model, string what, string hook)
        => new($"No {what} dataloader: pass one to the trainer, or override {hook} in {model.GetType().Name} or its datamodule.");

    /// <summary>One validation or test epoch; returns its epoch metrics.</summary>
    private Dictionary<string, double> RunEvaluation<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch> loader, EvaluationKind kind, int? limit, bool logResults)
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
                        RunEvaluationBatch(model, batches.Current, batches.Index, metrics, validation, logResults);
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

    private void RunEvaluationBatch<TBatch>(LightningModule<TBatch> model, TBatch rawBatch, int batchIdx, MetricStore metrics, bool validation, bool logResults)
    {
        var batch = PrepareBatch(model, rawBatch, 0);
        metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
        object? boxed = callbacks.Count > 0 ? Box(batch) : null;
        model.ActiveMetrics = metrics;
        model.LogContext = LogContext.EvaluationStep;
        if (validation)
        {
            foreach (var callback in callbacks) callback.OnValidationBatchStart(this, model, boxed!, batchIdx, 0);
            model.OnValidationBatchStart(batch, batchIdx, 0);
            var output = model.ValidationStep(batch, batchIdx);
            foreach (var callback in callbacks) callback.OnValidationBatchEnd(this, model, output, boxed!, batchIdx, 0);
            model.OnValidationBatchEnd(output, batch, batchIdx, 0);
        }
        else
        {
            foreach (var callback in callbacks) callback.OnTestBatchStart(this, model, boxed!, batchIdx, 0);
            model.OnTestBatchStart(batch, batchIdx, 0);
            var output = model.TestStep(batch, batchIdx);
            foreach (var callback in callbacks) callback.OnTestBatchEnd(this, model, output, boxed!, batchIdx, 0);
            model.OnTestBatchEnd(output, batch, batchIdx, 0);
        }
        model.LogContext = LogContext.None;
        // Values logged with onStep: true in evaluation go to the loggers per batch, on the batch index axis.
        if (logResults && metrics.HasStepValues && !FastDevRunning)
            LogToLoggers(metrics.StepValues().Where(v => v.Logger).Select(v => (v.Name, v.Value)), batchIdx);
        metrics.EndStep();
    }
}
