using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using static TorchSharp.torch;

namespace LitGen;

// The entry points (Lightning's trainer.fit/validate/test/predict and _run): each attaches the module, hands its
// generated loop driver to the loop it runs, and wraps the run in setup, teardown and exception handling.
public sealed partial class Trainer
{
    private LightningModule? module;
    private object? connectedDataModule;

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> (re-enumerated every epoch), validating on
    /// <paramref name="val"/> when given. Null dataloaders fall back to the module's dataloader hooks.
    /// With <paramref name="ckptPath"/> (a path, or <c>"best"</c>/<c>"last"</c> of this trainer's checkpoint callback)
    /// training resumes from that checkpoint exactly where it stopped, as if it had never been interrupted.
    /// Returns what the fit produced: the best and last checkpoints, the final metrics, the steps and epochs taken.
    /// </summary>
    public FitResult Fit<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? train = null, IEnumerable<TBatch>? val = null, string? ckptPath = null,
        CancellationToken cancellationToken = default)
        => Fit(model, new FitData<TBatch>(model, null, train, val is null ? null : [val]), ckptPath, cancellationToken);

    /// <summary>Trains <paramref name="model"/> and validates on several dataloaders (metrics get a <c>/dataloader_idx_N</c> suffix).</summary>
    public FitResult Fit<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? train, IReadOnlyList<IEnumerable<TBatch>> val, string? ckptPath = null,
        CancellationToken cancellationToken = default)
        => Fit(model, new FitData<TBatch>(model, null, train, RequireLoaders(val)), ckptPath, cancellationToken);

    /// <summary>Trains <paramref name="model"/> on the dataloaders of <paramref name="datamodule"/>, optionally resuming from <paramref name="ckptPath"/>.</summary>
    public FitResult Fit<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null, CancellationToken cancellationToken = default)
        => Fit(model, new FitData<TBatch>(model, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), null, null), ckptPath, cancellationToken);

    /// <summary>
    /// Runs one validation epoch and returns the epoch metrics (one dictionary per dataloader).
    /// <paramref name="ckptPath"/>: <c>"best"</c>, <c>"last"</c> or a checkpoint path to load first; null uses the current weights.
    /// <paramref name="verbose"/> prints Lightning's results table at the end (on rank 0, through <see cref="Messages"/>).
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Validate<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null, string? ckptPath = null,
        bool verbose = true, CancellationToken cancellationToken = default)
        => Evaluate<TBatch, ValidationStage>(model, dataloader is null ? null : [dataloader], null, ckptPath, verbose, cancellationToken);

    /// <summary>Runs one validation epoch over several dataloaders; one metrics dictionary per dataloader.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Validate<TBatch>(LightningModule<TBatch> model, IReadOnlyList<IEnumerable<TBatch>> dataloaders, string? ckptPath = null,
        bool verbose = true, CancellationToken cancellationToken = default)
        => Evaluate<TBatch, ValidationStage>(model, RequireLoaders(dataloaders), null, ckptPath, verbose, cancellationToken);

    /// <summary>Runs one validation epoch on the datamodule's validation dataloader.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Validate<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null,
        bool verbose = true, CancellationToken cancellationToken = default)
        => Evaluate<TBatch, ValidationStage>(model, null, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), ckptPath, verbose, cancellationToken);

    /// <summary>
    /// Runs one test epoch and returns the epoch metrics (one dictionary per dataloader).
    /// <paramref name="ckptPath"/>: <c>"best"</c>, <c>"last"</c> or a checkpoint path to load first; null uses the current weights.
    /// <paramref name="verbose"/> prints Lightning's results table at the end (on rank 0, through <see cref="Messages"/>).
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Test<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null, string? ckptPath = null,
        bool verbose = true, CancellationToken cancellationToken = default)
        => Evaluate<TBatch, TestStage>(model, dataloader is null ? null : [dataloader], null, ckptPath, verbose, cancellationToken);

    /// <summary>Runs one test epoch over several dataloaders; one metrics dictionary per dataloader.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Test<TBatch>(LightningModule<TBatch> model, IReadOnlyList<IEnumerable<TBatch>> dataloaders, string? ckptPath = null,
        bool verbose = true, CancellationToken cancellationToken = default)
        => Evaluate<TBatch, TestStage>(model, RequireLoaders(dataloaders), null, ckptPath, verbose, cancellationToken);

    /// <summary>Runs one test epoch on the datamodule's test dataloader.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Test<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null,
        bool verbose = true, CancellationToken cancellationToken = default)
        => Evaluate<TBatch, TestStage>(model, null, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), ckptPath, verbose, cancellationToken);

    /// <summary>
    /// Runs <c>PredictStep</c> on every batch and returns the predictions, which the caller owns (dispose them). With
    /// <paramref name="returnPredictions"/> false nothing is kept (a callback writes the predictions in
    /// <c>OnPredictBatchEnd</c>; memory stays flat) and the list is empty, where Lightning returns None.
    /// </summary>
    public IReadOnlyList<Tensor> Predict<TBatch>(LightningModule<TBatch> model, IEnumerable<TBatch>? dataloader = null, string? ckptPath = null,
        bool returnPredictions = true, CancellationToken cancellationToken = default)
        => Predict(model, dataloader is null ? null : [dataloader], null, ckptPath, returnPredictions, cancellationToken)[0];

    /// <summary>Runs <c>PredictStep</c> over several dataloaders; the predictions of each, which the caller owns.</summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> Predict<TBatch>(LightningModule<TBatch> model, IReadOnlyList<IEnumerable<TBatch>> dataloaders, string? ckptPath = null,
        bool returnPredictions = true, CancellationToken cancellationToken = default)
        => Predict(model, RequireLoaders(dataloaders), null, ckptPath, returnPredictions, cancellationToken);

    /// <summary>Runs <c>PredictStep</c> on the datamodule's prediction dataloader.</summary>
    public IReadOnlyList<Tensor> Predict<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch> datamodule, string? ckptPath = null,
        bool returnPredictions = true, CancellationToken cancellationToken = default)
        => Predict(model, null, datamodule ?? throw new ArgumentNullException(nameof(datamodule)), ckptPath, returnPredictions, cancellationToken)[0];

    /// <summary>
    /// Runs one validation epoch of the module this trainer last ran (the fitted one; Lightning's <c>trainer.validate()</c>
    /// without a model), on its datamodule's or its own validation data. Without <paramref name="ckptPath"/> it loads the
    /// best checkpoint of the last fit and says so, as Lightning; pass <c>"best"</c>, <c>"last"</c> or a path to choose,
    /// or pass the module to use its current weights.
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Validate(string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => Connected(nameof(Validate)).AcceptBatchTypeVisitor(new ConnectedEvaluation<ValidationStage>(this, null, ConnectedCkptPath(nameof(Validate), ckptPath), verbose, cancellationToken));

    /// <summary>Runs one validation epoch of the module this trainer last ran on <paramref name="dataloader"/> (see <see cref="Validate(string, bool, CancellationToken)"/>).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Validate<TBatch>(IEnumerable<TBatch> dataloader, string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => Connected(nameof(Validate)).AcceptBatchTypeVisitor(new ConnectedEvaluation<ValidationStage>(this, dataloader ?? throw new ArgumentNullException(nameof(dataloader)),
            ConnectedCkptPath(nameof(Validate), ckptPath), verbose, cancellationToken));

    /// <summary>
    /// Runs one test epoch of the module this trainer last ran (the fitted one), from the best checkpoint of the last fit
    /// unless <paramref name="ckptPath"/> says otherwise (Lightning's <c>trainer.test()</c> without a model).
    /// </summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Test(string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => Connected(nameof(Test)).AcceptBatchTypeVisitor(new ConnectedEvaluation<TestStage>(this, null, ConnectedCkptPath(nameof(Test), ckptPath), verbose, cancellationToken));

    /// <summary>Runs one test epoch of the module this trainer last ran on <paramref name="dataloader"/> (see <see cref="Test(string, bool, CancellationToken)"/>).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> Test<TBatch>(IEnumerable<TBatch> dataloader, string? ckptPath = null, bool verbose = true, CancellationToken cancellationToken = default)
        => Connected(nameof(Test)).AcceptBatchTypeVisitor(new ConnectedEvaluation<TestStage>(this, dataloader ?? throw new ArgumentNullException(nameof(dataloader)),
            ConnectedCkptPath(nameof(Test), ckptPath), verbose, cancellationToken));

    /// <summary>Predicts with the module this trainer last ran, from the best checkpoint of the last fit unless <paramref name="ckptPath"/> says otherwise.</summary>
    public IReadOnlyList<Tensor> Predict(string? ckptPath = null, bool returnPredictions = true, CancellationToken cancellationToken = default)
        => Connected(nameof(Predict)).AcceptBatchTypeVisitor(new ConnectedPrediction(this, null, ConnectedCkptPath(nameof(Predict), ckptPath), returnPredictions, cancellationToken));

    /// <summary>Predicts with the module this trainer last ran on <paramref name="dataloader"/> (see <see cref="Predict(string, bool, CancellationToken)"/>).</summary>
    public IReadOnlyList<Tensor> Predict<TBatch>(IEnumerable<TBatch> dataloader, string? ckptPath = null, bool returnPredictions = true, CancellationToken cancellationToken = default)
        => Connected(nameof(Predict)).AcceptBatchTypeVisitor(new ConnectedPrediction(this, dataloader ?? throw new ArgumentNullException(nameof(dataloader)),
            ConnectedCkptPath(nameof(Predict), ckptPath), returnPredictions, cancellationToken));

    private LightningModule Connected(string entryPoint) => module ?? throw new MisconfigurationException(
        $"Trainer.{entryPoint}() without a module runs the module this trainer last ran, and it has run none: pass the module, e.g. trainer.{entryPoint}(model, …).");

    /// <summary>Lightning's <c>_parse_ckpt_path</c> for a connected model: the best checkpoint when none is named, said in a warning.</summary>
    private string ConnectedCkptPath(string entryPoint, string? ckptPath)
    {
        if (ckptPath is not null) return ckptPath;
        TrainerLog.BestCheckpointAssumed(Log, entryPoint);
        return "best";
    }

    /// <summary>Lightning's results table after <c>Validate</c>/<c>Test</c> with <c>verbose</c>, said as the trainer's other messages are.</summary>
    private void PrintResults(IReadOnlyList<IReadOnlyDictionary<string, double>> results, Stage stage)
    {
        if (Messages.UsesLogger)
        {
            // For a logging pipeline, the table's rows as events: one per dataloader and metric.
            for (int i = 0; i < results.Count; i++)
                foreach (var (metric, value) in results[i].OrderBy(m => m.Key, StringComparer.Ordinal)) TrainerLog.EvaluationResults(Log, stage, i, metric, value);
        }
        else if (ResultsTable.Format(results, stage, TerminalWidth()) is string table) TrainerLog.ResultsTable(Log, table);
    }

    /// <summary>Python's <c>shutil.get_terminal_size</c> as Lightning asks it: <c>COLUMNS</c>, else the terminal's width, else 120.</summary>
    private int TerminalWidth()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out int columns) && columns > 0) return columns;
        if (Messages.UsesLogger || Console.IsOutputRedirected) return 120;
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }

    private static IReadOnlyList<IEnumerable<TBatch>>? TypedLoaders<TBatch>(LightningModule<TBatch> model, object? dataloader) => dataloader switch
    {
        null => null,
        IEnumerable<TBatch> typed => [typed],
        _ => throw new MisconfigurationException(
            $"The dataloader is a {dataloader.GetType().Name}, but {model.GetType().Name} takes batches of {typeof(TBatch).Name}: pass a dataloader of those."),
    };

    private sealed class ConnectedEvaluation<TStage>(Trainer trainer, object? dataloader, string ckptPath, bool verbose, CancellationToken cancellationToken)
        : IBatchTypeVisitor<IReadOnlyList<IReadOnlyDictionary<string, double>>> where TStage : struct, IEvaluationStage
    {
        public IReadOnlyList<IReadOnlyDictionary<string, double>> Visit<TBatch>(LightningModule<TBatch> model)
        {
            var loaders = TypedLoaders(model, dataloader);
            return trainer.Evaluate<TBatch, TStage>(model, loaders, loaders is null ? trainer.connectedDataModule as LightningDataModule<TBatch> : null, ckptPath, verbose, cancellationToken);
        }
    }

    private sealed class ConnectedPrediction(Trainer trainer, object? dataloader, string ckptPath, bool returnPredictions, CancellationToken cancellationToken)
        : IBatchTypeVisitor<IReadOnlyList<Tensor>>
    {
        public IReadOnlyList<Tensor> Visit<TBatch>(LightningModule<TBatch> model)
        {
            var loaders = TypedLoaders(model, dataloader);
            return trainer.Predict(model, loaders, loaders is null ? trainer.connectedDataModule as LightningDataModule<TBatch> : null, ckptPath, returnPredictions, cancellationToken)[0];
        }
    }

    private static IReadOnlyList<IEnumerable<TBatch>> RequireLoaders<TBatch>(IReadOnlyList<IEnumerable<TBatch>> loaders)
    {
        ArgumentNullException.ThrowIfNull(loaders);
        if (loaders.Count == 0 || loaders.Any(l => l is null))
            throw new MisconfigurationException("A list of dataloaders must hold at least one dataloader and no null entries.");
        return loaders;
    }

    private FitResult Fit<TBatch>(LightningModule<TBatch> model, FitData<TBatch> data, string? ckptPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        RequireStep(model, ModuleHooks.TrainingStep, "Fit");
        using var exclusive = EnterRun();
        FitResult result;
        try
        {
            model.RunGeneratedLoop(new FitVisitor<TBatch>(this, model, data, ckptPath, cancellationToken));
        }
        finally
        {
            // Also when the fit was interrupted or failed: what it reached stays readable beside the exception.
            LastFitResult = result = new FitResult(CheckpointCallback?.BestModelPath, CheckpointCallback?.BestModelScore, CheckpointCallback?.LastModelPath,
                new Dictionary<string, double>(CallbackMetrics, StringComparer.Ordinal), GlobalStep, CurrentEpoch, EarlyStoppingCallback?.StoppingReason is not null)
            { Interrupted = Interrupted };
        }
        return result;
    }

    private sealed class FitVisitor<TBatch>(Trainer trainer, LightningModule<TBatch> model, FitData<TBatch> data, string? ckptPath,
        CancellationToken cancellationToken) : ILoopVisitor<TBatch, bool>
    {
        public bool Visit<TDriver>(TDriver driver) where TDriver : struct, ILoopDriver<TBatch>
            => trainer.Run(model, LitGen.Stage.Fit, data.DataModule, cancellationToken, () => trainer.FitLoop.Run(model, driver, data, ckptPath));
    }

    private IReadOnlyList<IReadOnlyDictionary<string, double>> Evaluate<TBatch, TStage>(LightningModule<TBatch> model, IReadOnlyList<IEnumerable<TBatch>>? dataloaders,
        LightningDataModule<TBatch>? dataModule, string? ckptPath, bool verbose, CancellationToken cancellationToken) where TStage : struct, IEvaluationStage
    {
        ArgumentNullException.ThrowIfNull(model);
        RequireStep(model, TStage.Step, TStage.Stage.ToString());
        using var exclusive = EnterRun();
        return model.RunGeneratedLoop(new EvaluationVisitor<TBatch, TStage>(this, model, dataloaders, dataModule, ckptPath, verbose, cancellationToken));
    }

    private sealed class EvaluationVisitor<TBatch, TStage>(Trainer trainer, LightningModule<TBatch> model, IReadOnlyList<IEnumerable<TBatch>>? dataloaders,
        LightningDataModule<TBatch>? dataModule, string? ckptPath, bool verbose, CancellationToken cancellationToken)
        : ILoopVisitor<TBatch, IReadOnlyList<IReadOnlyDictionary<string, double>>>
        where TStage : struct, IEvaluationStage
    {
        public IReadOnlyList<IReadOnlyDictionary<string, double>> Visit<TDriver>(TDriver driver) where TDriver : struct, ILoopDriver<TBatch>
            => trainer.Run(model, TStage.Stage, dataModule, cancellationToken, () =>
            {
                var data = trainer.DataConnector;
                var loaders = data.EvaluationLoaders(model, dataloaders, dataModule, TStage.Stage);
                trainer.CheckpointConnector.LoadWeights(model, ckptPath);
                trainer.ValidateLoop.RestartLogSteps();
                trainer.TestLoop.RestartLogSteps();
                var results = TStage.Stage == LitGen.Stage.Validate
                    ? trainer.ValidateLoop.Run(model, driver, loaders, data.ValidationBatches, logResults: true)
                    : trainer.TestLoop.Run(model, driver, loaders, data.TestBatches, logResults: true);
                var metrics = results.Select(r => (IReadOnlyDictionary<string, double>)r).ToList();
                if (verbose) trainer.PrintResults(metrics, TStage.Stage);
                return metrics;
            });
    }

    private IReadOnlyList<IReadOnlyList<Tensor>> Predict<TBatch>(LightningModule<TBatch> model, IReadOnlyList<IEnumerable<TBatch>>? dataloaders,
        LightningDataModule<TBatch>? dataModule, string? ckptPath, bool returnPredictions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        RequireStep(model, ModuleHooks.PredictStep, "Predict");
        using var exclusive = EnterRun();
        return model.RunGeneratedLoop(new PredictVisitor<TBatch>(this, model, dataloaders, dataModule, ckptPath, returnPredictions, cancellationToken));
    }

    private sealed class PredictVisitor<TBatch>(Trainer trainer, LightningModule<TBatch> model, IReadOnlyList<IEnumerable<TBatch>>? dataloaders,
        LightningDataModule<TBatch>? dataModule, string? ckptPath, bool returnPredictions, CancellationToken cancellationToken)
        : ILoopVisitor<TBatch, IReadOnlyList<IReadOnlyList<Tensor>>>
    {
        public IReadOnlyList<IReadOnlyList<Tensor>> Visit<TDriver>(TDriver driver) where TDriver : struct, ILoopDriver<TBatch>
            => trainer.Run(model, LitGen.Stage.Predict, dataModule, cancellationToken, () =>
            {
                var loaders = trainer.DataConnector.PredictionLoaders(model, dataloaders, dataModule);
                trainer.CheckpointConnector.LoadWeights(model, ckptPath);
                return trainer.PredictLoop.Run(model, driver, loaders, trainer.DataConnector.PredictionBatches, returnPredictions);
            });
    }

    private int running;

    /// <summary>One run at a time per trainer: a second one (say, a FitAsync not yet awaited) is refused, not interleaved.</summary>
    private RunningFlag EnterRun()
    {
        if (Interlocked.Exchange(ref running, 1) == 1)
            throw new InvalidOperationException($"This trainer is already running {Stage?.ToString() ?? "a run"}; a trainer runs one thing at a time. " +
                "Await the running task first, or use a second Trainer for a concurrent run.");
        return new RunningFlag(this);
    }

    private readonly struct RunningFlag(Trainer trainer) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref trainer.running, 0);
    }

    private static void RequireStep(LightningModule model, ModuleHooks step, string entryPoint)
    {
        if (!model.GeneratedHooks.HasFlag(step))
            throw new MisconfigurationException($"{model.GetType().Name} has no {step}: override {step} to use Trainer.{entryPoint}.");
    }

    /// <summary>Lightning's <c>_run</c>: attach, prepare data, setup, place the module, run, teardown; exceptions reach the callbacks first.</summary>
    private T Run<TBatch, T>(LightningModule<TBatch> model, LitGen.Stage stage, LightningDataModule<TBatch>? dataModule, CancellationToken cancellationToken, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(model);
        module = model;
        // As Lightning's trainer.datamodule: a later run without one keeps the last one given.
        if (dataModule is not null) connectedDataModule = dataModule;
        Stage = stage;
        CkptPath = null;
        model.Trainer = this;
        model.EnsureComponentsRegistered();
        Hooks.Attach(model, ResolveCallbacks(model));
        if (Options.Seed is long seed) random.manual_seed(seed);
        using var anomalyDetection = Options.DetectAnomaly ? autograd.detect_anomaly() : null;
        using var interruption = Interruption = new Interruption(cancellationToken, Strategy, Options.HandleSignals);
        (Interrupted, InterruptedBy) = (false, null);
        try
        {
            dataModule?.PrepareData();
            model.PrepareData();
            dataModule?.Setup(stage);
            Hooks.Call(ModuleHooks.Setup, static (c, t, m, s) => c.Setup(t, m, s), static (m, s) => m.Setup(s), stage);
            model.ConfigureModel();
            model.RegisterLateComponents();
            Strategy.Setup(model);

            var result = body();

            dataModule?.Teardown(stage);
            Hooks.Call(ModuleHooks.Teardown, static (c, t, m, s) => c.Teardown(t, m, s), static (m, s) => m.Teardown(s), stage);
            LoggerConnector.Finalize(RunStatus.Success);
            return result;
        }
        catch (Exception exception)
        {
            Strategy.OnFailure(exception);
            Interrupted = exception is OperationCanceledException;
            InterruptedBy = Interrupted ? Interruption?.Signal : null;
            if (InterruptedBy is not null && Strategy.IsGlobalZero) MpiLauncher.ReportStop(Interruption.ExitCode(InterruptedBy));
            // SIGUSR1 (Slurm's warning before a time limit): a checkpoint to resume from, then the job back in the queue.
            if (InterruptedBy == Interruption.Requeue && stage == LitGen.Stage.Fit)
                Guard(() => Requeue.SaveAndRequeue(this), "saving the requeue checkpoint");
            // What the user must see is this exception: a failure while handling it is reported beside it, never instead.
            foreach (var callback in Hooks.Callbacks)
                Guard(() => callback.OnException(this, model, exception), $"{callback.GetType().Name}.OnException");
            Guard(() => LoggerConnector.Finalize(RunStatus.Failed), "finalizing the loggers");
            throw;
        }
        finally
        {
            Interruption = null;
            Stage = null;
            model.LogContext = HookLogging.None;
            model.ActiveMetrics = null;
            FitLoop.EpochLoop.EndFit();
        }
    }

    private void Guard(Action action, string what)
    {
        try
        {
            action();
        }
        catch (Exception secondary)
        {
            TrainerLog.FailureWhileFailing(Log, secondary, what, secondary.GetType().Name, secondary.Message);
        }
    }

    private Callback[] ResolveCallbacks(LightningModule current)
    {
        var resolved = Options.Callbacks.ToList();
        foreach (var extra in current.ConfigureCallbacks())
        {
            resolved.RemoveAll(c => c.GetType() == extra.GetType());
            resolved.Add(extra);
        }
        // Under FastDevRun, a smoke test, ModelCheckpoint and EarlyStopping stay (as in Lightning) and skip their work.
        if (Options.EnableCheckpointing && !resolved.OfType<ModelCheckpoint>().Any()) resolved.Add(DefaultCallback(static () => new ModelCheckpoint()));
        // Rank 0 speaks for the job on the console.
        if (Options.EnableProgressBar && Strategy.IsGlobalZero && !resolved.OfType<ProgressBar>().Any()) resolved.Add(DefaultCallback(static () => new ProgressBar()));
        if (Options.EnableModelSummary && Strategy.IsGlobalZero && !FastDevRunning && !resolved.OfType<ModelSummary>().Any()) resolved.Add(DefaultCallback(static () => new ModelSummary()));
        if (Options.Progress is { } progress && Strategy.IsGlobalZero) resolved.Add(new ProgressReporter(progress, Options.ProgressInterval));
        // MaxTime is a TrainingTimer, as it is a Timer in Lightning.
        if (Options.MaxTime is TimeSpan maxTime && !resolved.OfType<TrainingTimer>().Any()) resolved.Add(DefaultCallback(() => new TrainingTimer { Duration = maxTime }));
        // Lightning runs checkpointing callbacks last so they see what the others changed.
        return resolved.Where(c => c is not ModelCheckpoint).Concat(resolved.OfType<ModelCheckpoint>()).ToArray();
    }

    // Callbacks the trainer adds itself are made once, as Lightning makes them with the Trainer: the default
    // ModelCheckpoint's best path must outlive Fit for Test(ckptPath: "best").
    private readonly Dictionary<Type, Callback> defaultCallbacks = [];

    private T DefaultCallback<T>(Func<T> create) where T : Callback
    {
        if (!defaultCallbacks.TryGetValue(typeof(T), out var callback)) defaultCallbacks[typeof(T)] = callback = create();
        return (T)callback;
    }
}
