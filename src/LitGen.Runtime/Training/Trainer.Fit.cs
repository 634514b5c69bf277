using System;
using System.Collections.Generic;
using System.Linq;
using LitGen.Callbacks;
using LitGen.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

// Trainer.Fit: Lightning's fit loop with automatic optimization.
public sealed partial class Trainer
{
    private long batchesThatStepped;

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> (re-enumerated every epoch), validating on
    /// <paramref name="val"/> after each epoch when given. Null dataloaders fall back to the module's dataloader hooks.
    /// </summary>
    public void Fit<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? train = null, IEnumerable<TBatch>? val = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!Overrides(model, nameof(LightningModule<TBatch>.TrainingStep)))
            throw new MisconfigurationException($"{model.GetType().Name} has no TrainingStep: override TrainingStep to use Trainer.Fit.");
        var trainLoader = Require(train, model.TrainDataloader, "training", nameof(LightningModule<TBatch>.TrainDataloader));
        var valLoader = val ?? model.ValDataloader();
        if (valLoader is not null && !Overrides(model, nameof(LightningModule<TBatch>.ValidationStep))) valLoader = null;

        Run(model, Stage.Fit, () =>
        {
            ConfigureOptimizers(model);
            foreach (var logger in Loggers) logger.LogHyperparams(model.CurrentHyperparameters);
            NumTrainingBatches = CountOf(trainLoader);
            ShouldStop = false;

            WithLogContext(model, null, LogContext.EpochHook, () =>
            {
                EachCallback(c => c.OnFitStart(this, model));
                model.OnFitStart();
            });
            if (valLoader is not null && Options.NumSanityValSteps != 0) RunSanityCheck(model, valLoader);

            trainMetrics = new MetricStore();
            WithLogContext(model, trainMetrics, LogContext.EpochHook, () =>
            {
                EachCallback(c => c.OnTrainStart(this, model));
                model.OnTrainStart();
            });
            while (!ShouldStop && (MaxEpochs == -1 || CurrentEpoch < MaxEpochs) && !MaxStepsReached)
                RunTrainingEpoch(model, trainLoader, valLoader);
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
            return 0;
        });
    }

    private bool MaxStepsReached => Options.MaxSteps != -1 && GlobalStep >= Options.MaxSteps;

    private void ConfigureOptimizers(LightningModule model)
    {
        var config = model.ConfigureOptimizers() ?? OptimizerConfig.None;
        if (config.Optimizers.Count == 0)
            throw new MisconfigurationException($"{model.GetType().Name}.ConfigureOptimizers returned no optimizer; return one, e.g. optim.Adam(parameters(), 1e-3).");
        if (config.Optimizers.Count > 1)
            throw new MisconfigurationException(
                $"{model.GetType().Name}.ConfigureOptimizers returned {config.Optimizers.Count} optimizers; automatic optimization steps exactly one. Combine the parameter groups into one optimizer.");
        foreach (var scheduler in config.Schedulers) scheduler.Validate();
        optimizers = config.Optimizers;
        schedulers = config.Schedulers;
    }

    private void RunSanityCheck<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch> valLoader)
    {
        SanityChecking = true;
        EachCallback(c => c.OnSanityCheckStart(this, model));
        RunEvaluation(model, valLoader, EvaluationKind.Validation, Options.NumSanityValSteps, logResults: false);
        EachCallback(c => c.OnSanityCheckEnd(this, model));
        SanityChecking = false;
        // Lightning discards what the sanity check logged.
        callbackMetrics.Clear();
        progressBarEpochMetrics.Clear();
    }

    private void RunTrainingEpoch<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch> trainLoader, IEnumerable<TBatch>? valLoader)
    {
        var metrics = trainMetrics!;
        metrics.Reset();
        model.train();
        WithLogContext(model, metrics, LogContext.EpochHook, () =>
        {
            EachCallback(c => c.OnTrainEpochStart(this, model));
            model.OnTrainEpochStart();
        });

        using (var batches = trainLoader.GetEnumerator())
        {
            for (int batchIdx = 0; ; batchIdx++)
            {
                using (NewDisposeScope())
                {
                    if (!batches.MoveNext()) break;
                    RunTrainingBatch(model, batches.Current, batchIdx, metrics);
                }
                if (ShouldStop || MaxStepsReached) break;
            }
        }

        if (valLoader is not null) RunEvaluation(model, valLoader, EvaluationKind.Validation, limit: -1, logResults: true);

        // Lightning: epoch values are reduced, then the epoch-end hooks run (monitoring callbacks last), then loggers get them.
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
        EachCallback(c => c.OnTrainEpochEnd(this, model), monitoring: true);
        LogToLoggers(Pairs(metrics.EpochValues()), Math.Max(0, batchesThatStepped - 1));
        StepSchedulers(Interval.Epoch);
        foreach (var logger in Loggers) logger.Save();
        CurrentEpoch++;
    }

    private void RunTrainingBatch<TBatch>(LightningModule<TBatch> model, TBatch rawBatch, int batchIdx, MetricStore metrics)
    {
        var batch = PrepareBatch(model, rawBatch, 0);
        metrics.CurrentBatchSize = BatchTransfer.InferBatchSize(batch);
        object? boxed = callbacks.Count > 0 ? Box(batch) : null;
        model.ActiveMetrics = metrics;
        model.LogContext = LogContext.TrainingStep;

        foreach (var callback in callbacks) callback.OnTrainBatchStart(this, model, boxed!, batchIdx);
        model.OnTrainBatchStart(batch, batchIdx);
        var loss = model.TrainingStep(batch, batchIdx);
        if (loss is not null) Optimize(model, loss);
        foreach (var callback in callbacks) callback.OnTrainBatchEnd(this, model, loss, boxed!, batchIdx);
        model.OnTrainBatchEnd(loss, batch, batchIdx);
        model.LogContext = LogContext.None;

        if ((batchesThatStepped + 1) % Options.LogEveryNSteps == 0 && metrics.HasStepValues)
            LogToLoggers(metrics.StepValues().Where(v => v.Logger).Select(v => (v.Name, v.Value)), batchesThatStepped);
        batchesThatStepped++;
        metrics.EndStep();
    }

    private void Optimize(LightningModule model, Tensor loss)
    {
        if (loss.numel() != 1)
            throw new MisconfigurationException($"TrainingStep returned a tensor of shape [{string.Join(", ", loss.shape)}]; return the scalar loss (e.g. .mean()).");
        if (!loss.requires_grad)
            throw new MisconfigurationException("TrainingStep returned a loss that does not require grad; compute it from the module's parameters, outside no_grad().");

        var optimizer = optimizers[0];
        foreach (var callback in callbacks) callback.OnBeforeZeroGrad(this, model, optimizer);
        model.OnBeforeZeroGrad(optimizer);
        optimizer.zero_grad();

        foreach (var callback in callbacks) callback.OnBeforeBackward(this, model, loss);
        model.OnBeforeBackward(loss);
        loss.backward();
        foreach (var callback in callbacks) callback.OnAfterBackward(this, model);
        model.OnAfterBackward();

        foreach (var callback in callbacks) callback.OnBeforeOptimizerStep(this, model, optimizer);
        model.OnBeforeOptimizerStep(optimizer);
        model.ConfigureGradientClipping(optimizer, Options.GradientClipVal, Options.GradientClipAlgorithm);
        optimizer.step();
        GlobalStep++;
        StepSchedulers(Interval.Step);
    }

    private void StepSchedulers(Interval interval)
    {
        long count = interval == Interval.Step ? GlobalStep : CurrentEpoch + 1;
        foreach (var config in schedulers)
        {
            if (config.Interval != interval || count % config.Frequency != 0) continue;
            if (!config.ReduceOnPlateau)
            {
                config.Scheduler.step();
                continue;
            }
            if (callbackMetrics.TryGetValue(config.Monitor!, out var metric))
                config.Scheduler.step(metric);
            else if (config.Strict)
                throw new MisconfigurationException(
                    $"ReduceLROnPlateau is conditioned on metric '{config.Monitor}', which was not logged. Logged: [{string.Join(", ", callbackMetrics.Keys)}]. " +
                    "Log it, change LrSchedulerConfig.Monitor, or set Strict = false to skip the step.");
            else
                Console.Error.WriteLine($"Warning: ReduceLROnPlateau skipped: metric '{config.Monitor}' was not logged.");
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
