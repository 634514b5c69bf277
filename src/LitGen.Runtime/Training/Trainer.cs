using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Runs a <see cref="LightningModule{TBatch}"/>: the training loop, validation, testing and prediction, with
/// Lightning's hook order, logging, checkpointing and callbacks. The user writes no loop. The work is done by the
/// loops (<c>Training/Loops</c>) through the strategy; the trainer holds them and answers what they ask.
/// </summary>
public sealed partial class Trainer
{
    private int? accumulateGradBatches;
    private readonly string? sharedLogDir;

    /// <summary>Creates a trainer; loggers are set up here so that <see cref="LogDir"/> is known before <c>Fit</c>.</summary>
    public Trainer(TrainerOptions? options = null)
    {
        Options = options ?? new TrainerOptions();
        ValidateOptions(Options);
        Strategy = Options.Strategy.InstanceFor(Options);
        Messages = new TrainerMessages(Options.LoggerFactory, () => Strategy.IsGlobalZero);
        if (Strategy.Precision != Options.Precision) TrainerLog.MixedPrecisionFallback(Log, Options.Precision.Name, Strategy.Precision.Name);
        Hooks = new HookCaller(this);
        Strategy.Location = DescribeLocation;
        LoggerConnector = new LoggerConnector(CreateLoggers(Options)) { LoggersEnabled = !FastDevRunning && Strategy.IsGlobalZero };
        // Only rank 0 has loggers that pick a version folder; the other processes learn it from rank 0.
        if (Strategy.WorldSize > 1)
        {
            using var purpose = Strategy.ForPurpose("the log folder rank 0 chose");
            sharedLogDir = Strategy.Broadcast(Strategy.IsGlobalZero ? LocalLogDir : null);
        }
        CheckpointConnector = new CheckpointConnector(this);
        Optimization = new OptimizerSetup(this);
        DataConnector = new DataConnector(Options, Strategy);
        var loops = new LoopContext(this, DataConnector);
        FitLoop = new FitLoop(loops);
        ValidateLoop = new EvaluationLoop<ValidationStage>(loops);
        TestLoop = new EvaluationLoop<TestStage>(loops);
        PredictLoop = new PredictionLoop(loops);
    }

    /// <summary>Where the run is, for the reports of a ddp job: "in TrainingStep (fit, epoch 0, global step 12)".</summary>
    private string DescribeLocation()
    {
        // The strategy's first exchanges happen while the constructor runs, before the loops exist.
        if (FitLoop is null) return "while the trainer is created";
        var stage = Stage is { } current ? current.ToString().ToLowerInvariant() : "outside a run";
        return $"in {module?.CurrentHook ?? "the trainer"} ({stage}, epoch {CurrentEpoch}, global step {GlobalStep})";
    }

    /// <summary>The options this trainer was created with.</summary>
    public TrainerOptions Options { get; }

    /// <summary>How this trainer spreads the run over devices and processes: placement, reductions, barriers.</summary>
    public Strategy Strategy { get; }

    /// <summary>The device modules and batches are moved to.</summary>
    public Device Device => Strategy.RootDevice;

    /// <summary>The loggers receiving metrics.</summary>
    public IReadOnlyList<Logger> Loggers => LoggerConnector.Loggers;

    /// <summary>The callbacks of the current (or last) run, in the order they are called.</summary>
    public IReadOnlyList<Callback> Callbacks => Hooks.Callbacks;

    /// <summary>The first <see cref="ModelCheckpoint"/> of the run, if any.</summary>
    public ModelCheckpoint? CheckpointCallback => Hooks.Callbacks.OfType<ModelCheckpoint>().FirstOrDefault();

    /// <summary>The first <see cref="EarlyStopping"/> of the run, if any.</summary>
    public EarlyStopping? EarlyStoppingCallback => Hooks.Callbacks.OfType<EarlyStopping>().FirstOrDefault();

    /// <summary>The number of completed training epochs.</summary>
    public int CurrentEpoch => FitLoop.Progress.Epoch;

    /// <summary>The number of optimizer steps taken.</summary>
    public long GlobalStep => FitLoop.EpochLoop.GlobalStep;

    /// <summary>Set to true (by a callback or the module) to stop training at the end of the current batch.</summary>
    public bool ShouldStop
    {
        get => FitLoop.Progress.ShouldStop;
        set
        {
            if (value && !FitLoop.Progress.ShouldStop) FitLoop.StopRequestedAt = (CurrentEpoch, GlobalStep);
            FitLoop.Progress.ShouldStop = value;
        }
    }

    /// <summary>True when the last run was stopped by an interrupt (SIGINT, SIGTERM) or its cancellation token (Lightning's <c>interrupted</c>).</summary>
    public bool Interrupted { get; private set; }

    /// <summary>
    /// What the last <c>Fit</c> reached, also when it was interrupted or failed: after catching the
    /// <see cref="OperationCanceledException"/> of a cancelled fit, this holds its checkpoints, metrics and step
    /// (<see cref="FitResult.Interrupted"/> true). Null before the first fit.
    /// </summary>
    public FitResult? LastFitResult { get; private set; }

    /// <summary>The signal that interrupted the last run (<c>"SIGINT"</c>, <c>"SIGTERM"</c>), or null.</summary>
    internal string? InterruptedBy { get; private set; }

    /// <summary>The stop request of the current run, checked at every batch boundary.</summary>
    internal Interruption? Interruption { get; private set; }

    /// <summary>True while the sanity-check validation run is in progress.</summary>
    public bool SanityChecking { get; internal set; }

    /// <summary>The run folder of the first logger, or the default root folder when there is no logger (rank 0's under ddp).</summary>
    public string LogDir => sharedLogDir ?? LocalLogDir;

    private string LocalLogDir => Loggers.Count > 0 ? Loggers[0].LogDir : DefaultRootDir;

    /// <summary>The root for logs and checkpoints.</summary>
    public string DefaultRootDir => Options.DefaultRootDir ?? Directory.GetCurrentDirectory();

    /// <summary>
    /// The latest value of every logged metric: epoch values from the last completed epoch or evaluation, and the current
    /// step values of the training loop. Reading it copies step values to the host.
    /// </summary>
    public IReadOnlyDictionary<string, double> CallbackMetrics => LoggerConnector.CallbackMetrics;

    /// <summary>The values last sent to the loggers.</summary>
    public IReadOnlyDictionary<string, double> LoggedMetrics => LoggerConnector.LoggedMetrics;

    /// <summary>The metrics logged with <c>progBar: true</c>: current step values and last epoch values.</summary>
    public IReadOnlyDictionary<string, double> ProgressBarMetrics => LoggerConnector.ProgressBarMetrics;

    /// <summary>The number of batches in the training dataloader when it is a collection, else null.</summary>
    public int? NumTrainingBatches => FitLoop.EpochLoop.NumTrainingBatches;

    /// <summary>The epoch limit in force: <see cref="TrainerOptions.MaxEpochs"/>, or 1000 when neither it nor MaxSteps is set; -1 for none; 1 under FastDevRun.</summary>
    public int MaxEpochs => Options.FastDevRun > 0 ? 1 : Options.MaxEpochs ?? (Options.MaxSteps == -1 ? 1000 : -1);

    /// <summary>The optimizer-step limit in force: <see cref="TrainerOptions.MaxSteps"/>, or the FastDevRun batch count; -1 for none.</summary>
    public long MaxSteps => Options.FastDevRun > 0 ? Options.FastDevRun : Options.MaxSteps;

    /// <summary>
    /// Optimizer steps the whole fit will take (Lightning's <c>estimated_stepping_batches</c>): ceil(batches /
    /// AccumulateGradBatches) × MaxEpochs, capped by MaxSteps; MaxSteps (or infinity) when the training dataloader has no
    /// length or MaxEpochs is -1. Asked before training starts (in <c>ConfigureOptimizers</c>, for a warm-up schedule),
    /// it loads the training dataloader to count its batches.
    /// </summary>
    public double EstimatedSteppingBatches
    {
        get
        {
            if (MaxEpochs == -1) return MaxSteps == -1 ? double.PositiveInfinity : MaxSteps;
            if ((NumTrainingBatches ?? FitLoop.EstimateTrainingBatches()) is not int n) return MaxSteps == -1 ? double.PositiveInfinity : MaxSteps;
            double total = Math.Ceiling(n / (double)AccumulateGradBatches) * Math.Max(MaxEpochs, 1);
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
        set
        {
            if (value < 1) throw new MisconfigurationException($"AccumulateGradBatches must be 1 or more, got {value}.");
            accumulateGradBatches = value;
        }
    }

    /// <summary>
    /// Writes a checkpoint of the module being (or last) trained to <paramref name="path"/>, atomically. With
    /// <paramref name="weightsOnly"/> it leaves out optimizer, scheduler and callback state: <c>LoadFromCheckpoint</c>
    /// reads it, a fit cannot resume from it.
    /// </summary>
    public void SaveCheckpoint(string path, bool weightsOnly = false)
    {
        var current = module ?? throw new InvalidOperationException("SaveCheckpoint needs a module: call it during or after Fit, Validate or Test.");
        Strategy.SaveCheckpoint(CheckpointConnector.Dump(current, weightsOnly), path);
    }

    /// <summary>The entry point running now (Lightning's <c>trainer.state.fn</c>), or null between runs.</summary>
    public Stage? Stage { get; private set; }

    /// <summary>The checkpoint the current fit resumed from (Lightning's <c>trainer.ckpt_path</c>), or null.</summary>
    public string? CkptPath { get; internal set; }

    internal HookCaller Hooks { get; }
    internal LoggerConnector LoggerConnector { get; }
    internal CheckpointConnector CheckpointConnector { get; }
    internal OptimizerSetup Optimization { get; }
    internal DataConnector DataConnector { get; }
    internal FitLoop FitLoop { get; }
    internal EvaluationLoop<ValidationStage> ValidateLoop { get; }
    internal EvaluationLoop<TestStage> TestLoop { get; }
    internal PredictionLoop PredictLoop { get; }

    /// <summary>The optimizers of the current fit, as <see cref="LightningModule.Optimizers"/> returns them (Lightning's <c>trainer.optimizers</c>).</summary>
    public IReadOnlyList<LightningOptimizer> Optimizers => Optimization.Optimizers;

    /// <summary>The learning-rate schedulers of the current fit (Lightning's <c>trainer.lr_scheduler_configs</c>).</summary>
    public IReadOnlyList<LrSchedulerConfig> LrSchedulerConfigs => Optimization.Schedulers;

    /// <summary>Training batches of the current epoch that are completely done.</summary>
    public int BatchesDoneInEpoch => FitLoop.EpochLoop.Progress.BatchesDone;

    /// <summary>
    /// Whether the training batch running now logs its step values to the loggers (every <see cref="TrainerOptions.LogEveryNSteps"/>
    /// stepped batches; Lightning's <c>should_update_logs</c>).
    /// </summary>
    public bool ShouldUpdateLogs => (FitLoop.EpochLoop.Progress.BatchesThatStepped + 1) % Options.LogEveryNSteps == 0 && !FastDevRunning;

    /// <summary>
    /// Sends values straight to the loggers at the current step, as Lightning's callbacks call <c>logger.log_metrics</c>
    /// (LearningRateMonitor does); they do not enter <see cref="CallbackMetrics"/>.
    /// </summary>
    public void LogMetrics(IEnumerable<(string Name, double Value)> metrics)
        => LoggerConnector.Log(metrics, FitLoop.EpochLoop.Progress.BatchesThatStepped, CurrentEpoch);

    /// <summary>
    /// Replaces the learning-rate schedulers of the current fit (StochasticWeightAveraging's SWALR; Lightning assigns
    /// <c>trainer.strategy.lr_scheduler_configs</c>); their history restarts.
    /// </summary>
    public void ReplaceLrSchedulers(params LrSchedulerConfig[] configs) => Optimization.ReplaceSchedulers(configs);

    internal void ResetAccumulation() => accumulateGradBatches = null;

    /// <summary>Where the trainer and its callbacks write what they have to say (the console, or <see cref="TrainerOptions.LoggerFactory"/>).</summary>
    public TrainerMessages Messages { get; }

    /// <summary>The trainer's own logger (category <c>LitGen.Trainer</c>), rank 0 only (<c>rank_zero_info</c>/<c>rank_zero_warn</c>).</summary>
    internal Microsoft.Extensions.Logging.ILogger Log => Messages.Logger("Trainer");

    /// <summary>Whether the current fit has validation data with batches to run (Lightning's <c>enable_validation</c>).</summary>
    public bool EnableValidation => FitLoop.HasValidation;

    /// <summary>Whether a validation run of the current fit has completed (the sanity check does not count).</summary>
    public bool ValidationHasRun => FitLoop.ValidationHasRun;

    /// <summary>The loggers' step for evaluation results: stepped batches inside a fit, optimizer steps otherwise.</summary>
    internal long EvaluationLogStep => Stage == LitGen.Stage.Fit ? FitLoop.EpochLoop.Progress.BatchesThatStepped : GlobalStep;

    /// <summary>Whether this is a <see cref="TrainerOptions.FastDevRun"/>: no loggers, no checkpoints, a few batches.</summary>
    public bool FastDevRunning => Options.FastDevRun > 0;

    private static void ValidateOptions(TrainerOptions options)
    {
        if (options.LogEveryNSteps < 1)
            throw new MisconfigurationException($"LogEveryNSteps must be 1 or more, got {options.LogEveryNSteps}.");
        if (options.MaxEpochs is < -1)
            throw new MisconfigurationException($"MaxEpochs must be -1 (no limit) or more, got {options.MaxEpochs}.");
        if (options.NumSanityValSteps < -1)
            throw new MisconfigurationException($"NumSanityValSteps must be -1 (all), 0 or more, got {options.NumSanityValSteps}.");
        if (options.AccumulateGradBatches < 1)
            throw new MisconfigurationException($"AccumulateGradBatches must be 1 or more, got {options.AccumulateGradBatches}.");
        if (options.CheckValEveryNEpoch is < 1)
            throw new MisconfigurationException($"CheckValEveryNEpoch must be 1 or more (or null to validate by batch count only), got {options.CheckValEveryNEpoch}.");
        if (options.FastDevRun < 0 || options.ReloadDataloadersEveryNEpochs < 0)
            throw new MisconfigurationException("FastDevRun and ReloadDataloadersEveryNEpochs must be 0 or more.");
        if (options.MinEpochs is < 0)
            throw new MisconfigurationException($"MinEpochs must be 0 or more, got {options.MinEpochs}.");
        if (options.MinSteps is < 0)
            throw new MisconfigurationException($"MinSteps must be 0 or more, got {options.MinSteps}.");
        if (options.MaxRestarts < 0)
            throw new MisconfigurationException($"MaxRestarts must be 0 or more, got {options.MaxRestarts}.");
        if (options.MaxRestarts > 0 && options.Devices * options.NumNodes == 1)
            throw new MisconfigurationException(
                $"MaxRestarts = {options.MaxRestarts} restarts a ddp job that LitGen starts itself (Devices > 1); this run has one process. Set MaxRestarts = 0, or train with Devices > 1.");
        if (!options.EnableCheckpointing && options.Callbacks.OfType<ModelCheckpoint>().Any())
            throw new MisconfigurationException("EnableCheckpointing is false but a ModelCheckpoint callback was passed; remove one of them.");
    }

    private IReadOnlyList<Logger> CreateLoggers(TrainerOptions options)
    {
        if (!options.Logger.IsDefault) return options.Logger.ToArray();
        var tensorBoard = new TensorBoardLogger(DefaultRootDir, "lightning_logs");
        // Both default loggers write into the same version folder, claimed when a run first needs it.
        var csv = new CsvLogger(DefaultRootDir, "lightning_logs");
        csv.ShareVersionOf(tensorBoard);
        return [tensorBoard, csv];
    }
}
