using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Runs a <see cref="LightningModule{TBatch}"/>: the training loop, validation, testing and prediction, with
/// Lightning's hook order, logging, checkpointing and callbacks. The user writes no loop.
/// </summary>
public sealed partial class Trainer
{
    private readonly Dictionary<string, double> callbackMetrics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> loggedMetrics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> progressBarEpochMetrics = new(StringComparer.Ordinal);
    // Arrays, not interfaces: the per-step loops iterate them without allocating an enumerator.
    private Callback[] callbacks = [];
    private LightningModule? module;
    private MetricStore? trainMetrics;
    private readonly ScalarType floatingPointType;

    /// <summary>Creates a trainer; loggers are set up here so that <see cref="LogDir"/> is known before <c>Fit</c>.</summary>
    public Trainer(TrainerOptions? options = null)
    {
        Options = options ?? new TrainerOptions();
        floatingPointType = PrecisionSettings.Resolve(Options.Precision);
        Device = ResolveDevice(Options.Accelerator);
        if (Options.LogEveryNSteps < 1)
            throw new MisconfigurationException($"LogEveryNSteps must be 1 or more, got {Options.LogEveryNSteps}.");
        if (Options.MaxEpochs is < -1)
            throw new MisconfigurationException($"MaxEpochs must be -1 (no limit) or more, got {Options.MaxEpochs}.");
        if (Options.NumSanityValSteps < -1)
            throw new MisconfigurationException($"NumSanityValSteps must be -1 (all), 0 or more, got {Options.NumSanityValSteps}.");
        if (Options.AccumulateGradBatches < 1)
            throw new MisconfigurationException($"AccumulateGradBatches must be 1 or more, got {Options.AccumulateGradBatches}.");
        if (Options.CheckValEveryNEpoch is < 1)
            throw new MisconfigurationException($"CheckValEveryNEpoch must be 1 or more (or null to validate by batch count only), got {Options.CheckValEveryNEpoch}.");
        if (Options.FastDevRun < 0 || Options.ReloadDataloadersEveryNEpochs < 0)
            throw new MisconfigurationException("FastDevRun and ReloadDataloadersEveryNEpochs must be 0 or more.");
        if (Options.MinEpochs is < 0)
            throw new MisconfigurationException($"MinEpochs must be 0 or more, got {Options.MinEpochs}.");
        if (Options.Devices != 1)
            throw new MisconfigurationException(
                $"Devices = {Options.Devices}: LitGen trains on one device, because TorchSharp has no distributed backend (no torch.distributed). Use Devices = 1.");
        if (Options.Strategy is not ("auto" or "single_device"))
            throw new MisconfigurationException(
                $"Strategy \"{Options.Strategy}\" is not available: TorchSharp has no distributed backend. Use \"auto\" or \"single_device\".");
        if (Options.Deterministic && Options.Seed is null)
            throw new MisconfigurationException("Deterministic = true needs a Seed so that every run starts from the same random state; set TrainerOptions.Seed.");
        if (!Options.EnableCheckpointing && Options.Callbacks.OfType<ModelCheckpoint>().Any())
            throw new MisconfigurationException("EnableCheckpointing is false but a ModelCheckpoint callback was passed; remove one of them.");
        Loggers = CreateLoggers(Options);
    }

    /// <summary>The options this trainer was created with.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The device modules and batches are moved to.</summary>
    public Device Device { get; }

    /// <summary>The loggers receiving metrics.</summary>
    public IReadOnlyList<Logger> Loggers { get; }

    /// <summary>The callbacks of the current (or last) run, in the order they are called.</summary>
    public IReadOnlyList<Callback> Callbacks => callbacks;

    /// <summary>The first <see cref="ModelCheckpoint"/> of the run, if any.</summary>
    public ModelCheckpoint? CheckpointCallback => callbacks.OfType<ModelCheckpoint>().FirstOrDefault();

    /// <summary>The first <see cref="EarlyStopping"/> of the run, if any.</summary>
    public EarlyStopping? EarlyStoppingCallback => callbacks.OfType<EarlyStopping>().FirstOrDefault();

    /// <summary>The number of completed training epochs.</summary>
    public int CurrentEpoch { get; private set; }

    /// <summary>The number of optimizer steps taken.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Set to true (by a callback or the module) to stop training at the end of the current batch.</summary>
    public bool ShouldStop { get; set; }

    /// <summary>True while the sanity-check validation run is in progress.</summary>
    public bool SanityChecking { get; private set; }

    /// <summary>The run folder of the first logger, or the default root folder when there is no logger.</summary>
    public string LogDir => Loggers.Count > 0 ? Loggers[0].LogDir : DefaultRootDir;

    /// <summary>The root for logs and checkpoints.</summary>
    public string DefaultRootDir => Options.DefaultRootDir ?? Directory.GetCurrentDirectory();

    /// <summary>
    /// The latest value of every logged metric: epoch values from the last completed epoch or evaluation, and the current
    /// step values of the training loop. Reading it copies step values to the host.
    /// </summary>
    public IReadOnlyDictionary<string, double> CallbackMetrics
    {
        get
        {
            var metrics = new Dictionary<string, double>(callbackMetrics, StringComparer.Ordinal);
            if (trainMetrics is not null)
                foreach (var (name, value, _, _) in trainMetrics.LatestStepValues()) metrics[name] = value;
            return metrics;
        }
    }

    /// <summary>The values last sent to the loggers.</summary>
    public IReadOnlyDictionary<string, double> LoggedMetrics => loggedMetrics;

    /// <summary>The metrics logged with <c>progBar: true</c>: current step values and last epoch values.</summary>
    public IReadOnlyDictionary<string, double> ProgressBarMetrics
    {
        get
        {
            var metrics = new Dictionary<string, double>(progressBarEpochMetrics, StringComparer.Ordinal);
            if (trainMetrics is not null)
                foreach (var (name, value, progBar, _) in trainMetrics.LatestStepValues())
                    if (progBar) metrics[name] = value;
            return metrics;
        }
    }

    /// <summary>The number of batches in the training dataloader when it is a collection, else null.</summary>
    public int? NumTrainingBatches { get; private set; }

    /// <summary>The epoch limit in force: <see cref="TrainerOptions.MaxEpochs"/>, or 1000 when neither it nor MaxSteps is set; -1 for none; 1 under FastDevRun.</summary>
    public int MaxEpochs => Options.FastDevRun > 0 ? 1 : Options.MaxEpochs ?? (Options.MaxSteps == -1 ? 1000 : -1);

    /// <summary>The optimizer-step limit in force: <see cref="TrainerOptions.MaxSteps"/>, or the FastDevRun batch count; -1 for none.</summary>
    public long MaxSteps => Options.FastDevRun > 0 ? Options.FastDevRun : Options.MaxSteps;

    private static Device ResolveDevice(string accelerator) => accelerator switch
    {
        "auto" => cuda.is_available() ? CUDA : CPU,
        "cpu" => CPU,
        "cuda" or "gpu" => cuda.is_available() ? CUDA : throw new MisconfigurationException(
            $"Accelerator \"{accelerator}\" was requested but no CUDA device is available to this libtorch " +
            "(TorchSharp-cpu has no CUDA support). Build with -p:LitGenTorchBackend=cuda on a machine with a GPU, or use \"auto\"/\"cpu\"."),
        _ => throw new MisconfigurationException($"Unknown accelerator \"{accelerator}\". Use \"auto\", \"cpu\", \"cuda\" or \"gpu\"."),
    };

    private IReadOnlyList<Logger> CreateLoggers(TrainerOptions options)
    {
        if (!options.Logger.IsDefault) return options.Logger.ToArray();
        var tensorBoard = new TensorBoardLogger(DefaultRootDir, "lightning_logs");
        // Both default loggers write into the same version folder.
        return [tensorBoard, new CsvLogger(DefaultRootDir, "lightning_logs", tensorBoard.Version)];
    }

    private Callback[] ResolveCallbacks(LightningModule current)
    {
        var resolved = Options.Callbacks.ToList();
        foreach (var extra in current.ConfigureCallbacks())
        {
            resolved.RemoveAll(c => c.GetType() == extra.GetType());
            resolved.Add(extra);
        }
        // FastDevRun is a smoke test: it must not write checkpoints or stop early.
        if (FastDevRunning) resolved.RemoveAll(c => c is ModelCheckpoint or EarlyStopping);
        else if (Options.EnableCheckpointing && !resolved.OfType<ModelCheckpoint>().Any()) resolved.Add(new ModelCheckpoint());
        if (Options.EnableProgressBar && !resolved.OfType<ProgressBar>().Any()) resolved.Add(new ProgressBar());
        if (Options.EnableModelSummary && !FastDevRunning && !resolved.OfType<ModelSummary>().Any()) resolved.Add(new ModelSummary());
        // MaxTime is a Timer, as in Lightning.
        if (Options.MaxTime is TimeSpan maxTime && !resolved.OfType<Timer>().Any()) resolved.Add(new Timer { Duration = maxTime });
        // Lightning runs checkpointing callbacks last so they see what the others changed.
        return resolved.Where(c => c is not ModelCheckpoint).Concat(resolved.OfType<ModelCheckpoint>()).ToArray();
    }

    private void LogToLoggers(IEnumerable<(string Name, double Value)> metrics, long step)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["epoch"] = CurrentEpoch };
        foreach (var (name, value) in metrics) values[name] = value;
        if (values.Count == 1) return;
        foreach (var (name, value) in values) loggedMetrics[name] = value;
        foreach (var logger in Loggers) logger.LogMetrics(values, step);
    }
}
