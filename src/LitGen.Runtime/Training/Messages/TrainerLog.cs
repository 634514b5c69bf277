using System;
using Microsoft.Extensions.Logging;

namespace LitGen;

/// <summary>
/// Every message of the trainer and the built-in callbacks, source-generated with <see cref="LoggerMessageAttribute"/>:
/// a stable <see cref="TrainerEventIds">EventId</see>, named properties, and no formatting work when the logger (or rank)
/// is not listening. The console renders the same templates (<see cref="TrainerMessages"/>).
/// </summary>
internal static partial class TrainerLog
{
    [LoggerMessage(EventId = TrainerEventIds.TrainingStopped, Level = LogLevel.Information,
        Message = "{StoppedBy} stopped training at epoch {Epoch}, step {Step}: {Reason}")]
    public static partial void TrainingStopped(ILogger logger, string stoppedBy, int epoch, long step, string reason);

    [LoggerMessage(EventId = TrainerEventIds.StopDeferred, Level = LogLevel.Information,
        Message = "Trainer was signaled to stop but MinEpochs = {MinEpochs} or MinSteps = {MinSteps} has not been reached; training continues until then.")]
    public static partial void StopDeferred(ILogger logger, int? minEpochs, long? minSteps);

    [LoggerMessage(EventId = TrainerEventIds.ResultsTable, Level = LogLevel.Information, Message = "{Table}")]
    public static partial void ResultsTable(ILogger logger, string table);

    [LoggerMessage(EventId = TrainerEventIds.EvaluationResults, Level = LogLevel.Information,
        Message = "{Stage} results, dataloader {DataloaderIndex}: {Metric} = {Value}")]
    public static partial void EvaluationResults(ILogger logger, Stage stage, int dataloaderIndex, string metric, double value);

    [LoggerMessage(EventId = TrainerEventIds.BestCheckpointAssumed, Level = LogLevel.Warning,
        Message = "{EntryPoint}() was called without a module: the best checkpoint of the last fit is used. Pass ckptPath: \"best\" or \"last\" (or a path) to choose and silence this, or pass the module to use its current weights.")]
    public static partial void BestCheckpointAssumed(ILogger logger, string entryPoint);

    [LoggerMessage(EventId = TrainerEventIds.NoLastCheckpoint, Level = LogLevel.Warning,
        Message = "{Stage}(ckptPath: \"last\") is set, but there is no last checkpoint available; no checkpoint will be loaded.")]
    public static partial void NoLastCheckpoint(ILogger logger, Stage? stage);

    [LoggerMessage(EventId = TrainerEventIds.CheckpointFromNewerVersion, Level = LogLevel.Warning,
        Message = "Checkpoint '{Path}' was written by LitGen {CheckpointVersion}, newer than this one ({RuntimeVersion}).")]
    public static partial void CheckpointFromNewerVersion(ILogger logger, string path, string checkpointVersion, string runtimeVersion);

    [LoggerMessage(EventId = TrainerEventIds.TrainingStepReturnedNull, Level = LogLevel.Warning,
        Message = "TrainingStep returned null at epoch {Epoch}, batch {BatchIndex}, so the batch was skipped (no backward); the optimizer step still runs, as in Lightning. Ignore this if it was on purpose.")]
    public static partial void TrainingStepReturnedNull(ILogger logger, int epoch, int batchIndex);

    [LoggerMessage(EventId = TrainerEventIds.NoOptimizer, Level = LogLevel.Warning,
        Message = "{Module}.ConfigureOptimizers returned no optimizer; this fit runs without one (its steps change no weights).")]
    public static partial void NoOptimizer(ILogger logger, string module);

    [LoggerMessage(EventId = TrainerEventIds.SchedulerMonitorMissing, Level = LogLevel.Warning,
        Message = "ReduceLROnPlateau conditioned on metric '{Monitor}', which is not available; the scheduler step was skipped.")]
    public static partial void SchedulerMonitorMissing(ILogger logger, string? monitor);

    [LoggerMessage(EventId = TrainerEventIds.EpochValueNotSynced, Level = LogLevel.Warning,
        Message = "Log(\"{Metric}\") accumulates an epoch value on each of the {WorldSize} processes separately; use Log(\"{Metric}\", …, syncDist: true) so that every process (and the callbacks that watch it) sees the value of the whole job.")]
    public static partial void EpochValueNotSynced(ILogger logger, string metric, int worldSize);

    [LoggerMessage(EventId = TrainerEventIds.MixedPrecisionFallback, Level = LogLevel.Warning,
        Message = "Precision \"{Requested}\" is for CUDA: float16 autocast with a gradient scaler is not supported on the CPU, so this run uses \"{Used}\" instead, as Lightning does.")]
    public static partial void MixedPrecisionFallback(ILogger logger, string requested, string used);

    [LoggerMessage(EventId = TrainerEventIds.RequeueCheckpointSaved, Level = LogLevel.Warning,
        Message = "SIGUSR1: saved {Path} to resume from (ckptPath: \"last\").")]
    public static partial void RequeueCheckpointSaved(ILogger logger, string path);

    [LoggerMessage(EventId = TrainerEventIds.JobRequeued, Level = LogLevel.Information,
        Message = "Requeued Slurm job {JobId}.")]
    public static partial void JobRequeued(ILogger logger, string jobId);

    [LoggerMessage(EventId = TrainerEventIds.RequeueFailed, Level = LogLevel.Warning,
        Message = "Could not requeue Slurm job {JobId} ({Reason}); the checkpoint is saved, resume it with ckptPath: \"last\".")]
    public static partial void RequeueFailed(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = TrainerEventIds.RestartResuming, Level = LogLevel.Warning,
        Message = "Restart {Attempt} of the job after a failure: resuming from {Path}.")]
    public static partial void RestartResuming(ILogger logger, int attempt, string path);

    [LoggerMessage(EventId = TrainerEventIds.FailureWhileFailing, Level = LogLevel.Warning,
        Message = "{Step} failed while the run was already failing ({ErrorType}: {ErrorMessage}); the original error follows.")]
    public static partial void FailureWhileFailing(ILogger logger, Exception exception, string step, string errorType, string errorMessage);

    [LoggerMessage(EventId = TrainerEventIds.ModelSummaryTable, Level = LogLevel.Information, Message = "{Table}")]
    public static partial void ModelSummaryTable(ILogger logger, string table);

    [LoggerMessage(EventId = TrainerEventIds.ModelSummaryLayer, Level = LogLevel.Information,
        Message = "Layer {Index} {Layer} ({LayerType}): {Parameters} params")]
    public static partial void ModelSummaryLayer(ILogger logger, int index, string layer, string layerType, long parameters);

    [LoggerMessage(EventId = TrainerEventIds.ModelSummaryTotals, Level = LogLevel.Information,
        Message = "{Module}: {TrainableParameters} trainable params, {NonTrainableParameters} non-trainable params, {TotalParameters} total params, {SizeMegabytes:0.000} MB estimated params size")]
    public static partial void ModelSummaryTotals(ILogger logger, string module, long trainableParameters, long nonTrainableParameters, long totalParameters, double sizeMegabytes);

    [LoggerMessage(EventId = TrainerEventIds.EpochCompleted, Level = LogLevel.Information,
        Message = "Epoch {Epoch} completed at step {Step}: {Batches} batches in {Seconds:0.00} s ({Metrics})")]
    public static partial void EpochCompleted(ILogger logger, int epoch, long step, int batches, double seconds, string metrics);

    [LoggerMessage(EventId = TrainerEventIds.EvaluationCompleted, Level = LogLevel.Information,
        Message = "{Stage} completed: {Batches} batches in {Seconds:0.00} s")]
    public static partial void EvaluationCompleted(ILogger logger, Stage stage, int batches, double seconds);

    [LoggerMessage(EventId = TrainerEventIds.EpochMetric, Level = LogLevel.Information,
        Message = "Epoch {Epoch}, step {Step}: {Metric} = {Value}")]
    public static partial void EpochMetric(ILogger logger, int epoch, long step, string metric, double value);

    [LoggerMessage(EventId = TrainerEventIds.EarlyStoppingCheck, Level = LogLevel.Information,
        Message = "EarlyStopping: {Reason}")]
    public static partial void EarlyStoppingCheck(ILogger logger, string reason);

    [LoggerMessage(EventId = TrainerEventIds.EarlyStoppingMonitorMissing, Level = LogLevel.Warning,
        Message = "Early stopping conditioned on metric '{Monitor}', which is not available. Available metrics: [{AvailableMetrics}]. Log it, change EarlyStopping.Monitor, or set Strict = false to skip the check.")]
    public static partial void EarlyStoppingMonitorMissing(ILogger logger, string monitor, string availableMetrics);

    [LoggerMessage(EventId = TrainerEventIds.CheckpointSaved, Level = LogLevel.Information,
        Message = "Epoch {Epoch}, global step {Step}: '{Monitor}' reached {Score:0.00000} (best {BestScore:0.00000}), saving model to '{Path}' as top {TopK}")]
    public static partial void CheckpointSaved(ILogger logger, int epoch, long step, string monitor, double score, double? bestScore, string path, int topK);

    [LoggerMessage(EventId = TrainerEventIds.CheckpointNotInTopK, Level = LogLevel.Information,
        Message = "Epoch {Epoch}, global step {Step}: '{Monitor}' was not in top {TopK}")]
    public static partial void CheckpointNotInTopK(ILogger logger, int epoch, long step, string monitor, int topK);

    [LoggerMessage(EventId = TrainerEventIds.CheckpointMonitorMissing, Level = LogLevel.Warning,
        Message = "ModelCheckpoint(Monitor = \"{Monitor}\") could not find the monitored key in the logged metrics: [{AvailableMetrics}]. Log it with Log(\"{Monitor}\", …) or change Monitor.")]
    public static partial void CheckpointMonitorMissing(ILogger logger, string monitor, string availableMetrics);

    [LoggerMessage(EventId = TrainerEventIds.NonFiniteWeights, Level = LogLevel.Warning,
        Message = "The weights hold NaN or infinite values at step {Step}; ModelCheckpoint saves nothing while they do, so {LatestGoodCheckpoint} stays the latest good one. Stop such runs early with EarlyStopping {{ CheckFinite = true }} or find the cause with TrainerOptions.DetectAnomaly.")]
    public static partial void NonFiniteWeights(ILogger logger, long step, string latestGoodCheckpoint);

    [LoggerMessage(EventId = TrainerEventIds.NonFiniteSavesSkipped, Level = LogLevel.Warning,
        Message = "ModelCheckpoint skipped {SkippedSaves} saves from step {FirstStep} on because the weights were not finite; {LatestGoodCheckpoint} is the latest good one.")]
    public static partial void NonFiniteSavesSkipped(ILogger logger, int skippedSaves, long firstStep, string latestGoodCheckpoint);

    [LoggerMessage(EventId = TrainerEventIds.ExceptionCheckpointSaved, Level = LogLevel.Warning,
        Message = "OnExceptionCheckpoint: saved {Path} after {ErrorType}: {ErrorMessage}")]
    public static partial void ExceptionCheckpointSaved(ILogger logger, string path, string errorType, string errorMessage);

    [LoggerMessage(EventId = TrainerEventIds.ExceptionCheckpointFailed, Level = LogLevel.Warning,
        Message = "OnExceptionCheckpoint: could not save {Path}: {ErrorMessage}")]
    public static partial void ExceptionCheckpointFailed(ILogger logger, Exception exception, string path, string errorMessage);

    [LoggerMessage(EventId = TrainerEventIds.LearningRateSuggested, Level = LogLevel.Information,
        Message = "LearningRateFinder: suggested learning rate {LearningRate:G3}")]
    public static partial void LearningRateSuggested(ILogger logger, double learningRate);

    [LoggerMessage(EventId = TrainerEventIds.NoLearningRateSuggestion, Level = LogLevel.Information,
        Message = "LearningRateFinder: not enough finite losses for a suggestion; the learning rate is unchanged.")]
    public static partial void NoLearningRateSuggestion(ILogger logger);

    [LoggerMessage(EventId = TrainerEventIds.NoTensorBoardLogger, Level = LogLevel.Warning,
        Message = "ParameterHistograms writes to TensorBoard, but the trainer has no TensorBoardLogger; it will write nothing.")]
    public static partial void NoTensorBoardLogger(ILogger logger);

    [LoggerMessage(EventId = TrainerEventIds.ModulePrint, Level = LogLevel.Information, Message = "{Message}")]
    public static partial void ModulePrint(ILogger logger, string message);

    [LoggerMessage(EventId = TrainerEventIds.CallbackInfo, Level = LogLevel.Information, Message = "{Message}")]
    public static partial void CallbackInfo(ILogger logger, string message);

    [LoggerMessage(EventId = TrainerEventIds.CallbackWarning, Level = LogLevel.Warning, Message = "{Message}")]
    public static partial void CallbackWarning(ILogger logger, string message);
}
