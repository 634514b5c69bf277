namespace LitGen;

/// <summary>
/// The <see cref="Microsoft.Extensions.Logging.EventId"/> of every message the trainer and the built-in callbacks write
/// through <see cref="TrainerOptions.LoggerFactory"/>: stable across versions, so a host can filter, alert and query
/// on them. The event's name is the constant's name; its structured properties are listed in docs/hosting.md.
/// Ranges: 1000s the trainer, 1100s ModelSummary, 1200s ProgressBar, 1300s EarlyStopping, 1400s ModelCheckpoint,
/// 1500s OnExceptionCheckpoint, 1600s LearningRateFinder, 1700s ParameterHistograms, 1800s the module's
/// <see cref="LightningModule.Print"/>, 9000s messages of user callbacks through <see cref="TrainerMessages.Info"/> and
/// <see cref="TrainerMessages.Warn"/>.
/// </summary>
public static class TrainerEventIds
{
    /// <summary>A callback, the timer or <see cref="Trainer.ShouldStop"/> ended the fit early (information).</summary>
    public const int TrainingStopped = 1001;

    /// <summary>A stop request waits for <c>MinEpochs</c>/<c>MinSteps</c> (information).</summary>
    public const int StopDeferred = 1002;

    /// <summary>Lightning's results table after <c>Validate</c>/<c>Test</c> on the console (information).</summary>
    public const int ResultsTable = 1003;

    /// <summary>One metric of one dataloader after <c>Validate</c>/<c>Test</c> (a row of the results table), for a logger factory (information).</summary>
    public const int EvaluationResults = 1004;

    /// <summary><c>Validate</c>/<c>Test</c>/<c>Predict</c> without a module loads the best checkpoint (warning).</summary>
    public const int BestCheckpointAssumed = 1010;

    /// <summary><c>ckptPath: "last"</c> found no last checkpoint; nothing is loaded (warning).</summary>
    public const int NoLastCheckpoint = 1011;

    /// <summary>A checkpoint written by a newer LitGen is resumed (warning).</summary>
    public const int CheckpointFromNewerVersion = 1012;

    /// <summary><c>TrainingStep</c> returned null, so the batch had no backward (warning, once).</summary>
    public const int TrainingStepReturnedNull = 1020;

    /// <summary><c>ConfigureOptimizers</c> returned no optimizer (warning, once).</summary>
    public const int NoOptimizer = 1021;

    /// <summary>A <c>ReduceLROnPlateau</c> monitor was missing; its step was skipped (warning, once).</summary>
    public const int SchedulerMonitorMissing = 1022;

    /// <summary>An epoch value is accumulated per process under ddp without <c>syncDist</c> (warning, once per name).</summary>
    public const int EpochValueNotSynced = 1023;

    /// <summary><c>"16-mixed"</c> was asked for on the CPU, which trains in <c>"bf16-mixed"</c> instead, as Lightning (warning).</summary>
    public const int MixedPrecisionFallback = 1024;

    /// <summary>SIGUSR1 stopped the fit and the trainer saved <c>hpc_ckpt_N.ckpt</c> to resume from (warning).</summary>
    public const int RequeueCheckpointSaved = 1040;

    /// <summary>The Slurm job was put back in the queue (<c>scontrol requeue</c>; information).</summary>
    public const int JobRequeued = 1041;

    /// <summary><c>scontrol requeue</c> failed; the checkpoint is saved all the same (warning).</summary>
    public const int RequeueFailed = 1042;

    /// <summary>A ddp job restarted after a failure (<see cref="TrainerOptions.MaxRestarts"/>) resumes from its newest checkpoint (warning).</summary>
    public const int RestartResuming = 1043;

    /// <summary>Handling a failed run failed as well; the original error follows (warning).</summary>
    public const int FailureWhileFailing = 1030;

    /// <summary>The model summary table on the console (information).</summary>
    public const int ModelSummaryTable = 1101;

    /// <summary>One layer of the model summary, for a logger factory (information).</summary>
    public const int ModelSummaryLayer = 1102;

    /// <summary>The model summary's parameter totals, for a logger factory (information).</summary>
    public const int ModelSummaryTotals = 1103;

    /// <summary>A training epoch ended (the progress bar's line, for a logger factory; information).</summary>
    public const int EpochCompleted = 1201;

    /// <summary>A validation, test or prediction run on its own ended (the progress bar's line, for a logger factory; information).</summary>
    public const int EvaluationCompleted = 1202;

    /// <summary>One metric at a training epoch's end, for a logger factory (information).</summary>
    public const int EpochMetric = 1203;

    /// <summary>EarlyStopping's verdict on an epoch: improved, or how it stops (information).</summary>
    public const int EarlyStoppingCheck = 1301;

    /// <summary>EarlyStopping's monitored metric was not logged and <c>Strict</c> is false (warning, once).</summary>
    public const int EarlyStoppingMonitorMissing = 1302;

    /// <summary>ModelCheckpoint saved a top-k checkpoint (information).</summary>
    public const int CheckpointSaved = 1401;

    /// <summary>ModelCheckpoint's monitored value did not make the top k (information).</summary>
    public const int CheckpointNotInTopK = 1402;

    /// <summary>ModelCheckpoint's monitored metric has not been logged yet (warning, once).</summary>
    public const int CheckpointMonitorMissing = 1403;

    /// <summary>The weights stopped being finite; ModelCheckpoint saves nothing while they are not (warning).</summary>
    public const int NonFiniteWeights = 1404;

    /// <summary>How many saves non-finite weights cost, at the end of training (warning).</summary>
    public const int NonFiniteSavesSkipped = 1405;

    /// <summary>OnExceptionCheckpoint saved a checkpoint of a failed or interrupted run (warning).</summary>
    public const int ExceptionCheckpointSaved = 1501;

    /// <summary>OnExceptionCheckpoint could not save (warning).</summary>
    public const int ExceptionCheckpointFailed = 1502;

    /// <summary>LearningRateFinder's suggestion (information).</summary>
    public const int LearningRateSuggested = 1601;

    /// <summary>LearningRateFinder had too few finite losses to suggest a rate (information).</summary>
    public const int NoLearningRateSuggestion = 1602;

    /// <summary>ParameterHistograms has no TensorBoardLogger to write to (warning, once).</summary>
    public const int NoTensorBoardLogger = 1701;

    /// <summary>A line of <see cref="LightningModule.Print"/> (information).</summary>
    public const int ModulePrint = 1801;

    /// <summary>A message of a user callback through <see cref="TrainerMessages.Info"/> (information).</summary>
    public const int CallbackInfo = 9001;

    /// <summary>A warning of a user callback through <see cref="TrainerMessages.Warn"/> or <see cref="TrainerMessages.WarnOnce"/>.</summary>
    public const int CallbackWarning = 9002;
}
