using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using TorchSharp;

namespace LitGen;

/// <summary>
/// Saves checkpoints while fitting (Lightning's <c>ModelCheckpoint</c>): the latest one, or the <see cref="SaveTopK"/>
/// best by <see cref="Monitor"/>, plus <c>last.ckpt</c> when <see cref="SaveLast"/> is set; at the end of training
/// epochs, or after validation when it does not run once per epoch, or every N steps or a time interval. It deletes
/// only files in its own folder that it wrote, never the checkpoint the run resumed from.
/// </summary>
public partial class ModelCheckpoint : Callback
{
    private CheckpointRanking? ranking;
    // Written into every checkpoint this callback's lineage saves (its state), and the proof of ownership before a delete.
    private string owner = Guid.NewGuid().ToString("N");
    private long lastTimeChecked;
    private (int Count, long FirstStep) nonFiniteSkips;
    private bool validationSavePending;

    /// <summary>Folder for the files; default <c>{Trainer.LogDir}/checkpoints</c>.</summary>
    public string? DirPath { get; init; }

    /// <summary>File name template without extension, e.g. <c>"{epoch}-{val_loss:.2f}"</c>; default <c>"{epoch}-{step}"</c>.</summary>
    public string? Filename { get; init; }

    /// <summary>The logged metric that ranks checkpoints; null keeps the most recent ones.</summary>
    public string? Monitor { get; init; }

    /// <summary>Whether a lower or higher <see cref="Monitor"/> value is better.</summary>
    public MonitorMode Mode { get; init; } = MonitorMode.Min;

    /// <summary>How many best checkpoints to keep: -1 all, 0 none, default 1.</summary>
    public int SaveTopK { get; init; } = 1;

    /// <summary>Also write <c>last.ckpt</c> whenever a checkpoint is saved.</summary>
    public bool SaveLast { get; init; }

    /// <summary>Write weights (and progress) only: smaller files that <c>LoadFromCheckpoint</c> reads but a fit cannot resume from.</summary>
    public bool SaveWeightsOnly { get; init; }

    /// <summary>Save every this many epochs; default 1 when no other trigger is set, else 0 (never).</summary>
    public int? EveryNEpochs { get; init; }

    /// <summary>Save every this many optimizer steps, inside epochs too (0 or null: never).</summary>
    public int? EveryNTrainSteps { get; init; }

    /// <summary>Save whenever this much time passed since the last save, checked after every batch.</summary>
    public TimeSpan? TrainTimeInterval { get; init; }

    /// <summary>
    /// Save at the end of training epochs (true) or after validation runs (false). Default: at epoch end when validation
    /// runs once per epoch at its end or not at all, else after validation (Lightning's <c>save_on_train_epoch_end</c>).
    /// </summary>
    public bool? SaveOnTrainEpochEnd { get; init; }

    /// <summary>Write <c>name=value</c> for each <c>{name}</c> in <see cref="Filename"/> (default true).</summary>
    public bool AutoInsertMetricName { get; init; } = true;

    /// <summary>Add <c>-v1</c>, <c>-v2</c>… instead of overwriting a file of the same name (default true).</summary>
    public bool EnableVersionCounter { get; init; } = true;

    /// <summary>Say on the console what was saved and why.</summary>
    public bool Verbose { get; init; }

    /// <summary>The best checkpoint so far (the most recent when there is no monitor).</summary>
    public string? BestModelPath => Ranking.BestModelPath;

    /// <summary>The monitored value of <see cref="BestModelPath"/>.</summary>
    public double? BestModelScore => Ranking.BestModelScore;

    /// <summary>The path of <c>last.ckpt</c>, once written.</summary>
    public string? LastModelPath => Ranking.LastModelPath;

    /// <summary>The kept checkpoints and their scores (the step without a monitor).</summary>
    public IReadOnlyDictionary<string, double> BestKModels => Ranking.BestKModels;

    /// <summary>The worst of the kept top-k checkpoints, once there are k.</summary>
    public string? KthBestModelPath => Ranking.KthBestModelPath;

    /// <summary>The folder checkpoints are written to, resolved when the run starts.</summary>
    public string? ResolvedDirPath { get; private set; }

    /// <inheritdoc />
    public override bool IsMonitoring => true;

    // Made on first use: Mode and SaveTopK are init-only, set after construction.
    private CheckpointRanking Ranking => ranking ??= new CheckpointRanking(Mode, SaveTopK);

    private int EpochInterval => EveryNEpochs ?? (EveryNTrainSteps is > 0 || TrainTimeInterval is not null ? 0 : 1);

    /// <inheritdoc />
    public override string StateKey => string.Create(CultureInfo.InvariantCulture,
        $"{nameof(ModelCheckpoint)}{{'monitor': {Python(Monitor)}, 'mode': '{Mode.ToString().ToLowerInvariant()}', 'every_n_train_steps': {EveryNTrainSteps ?? 0}, " +
        $"'every_n_epochs': {EpochInterval}, 'train_time_interval': {(TrainTimeInterval is { } t ? $"datetime.timedelta(seconds={t.TotalSeconds})" : "None")}}}");

    private static string Python(string? value) => value is null ? "None" : $"'{value}'";

    /// <inheritdoc />
    public override void Setup(Trainer trainer, LightningModule module, Stage stage)
    {
        if (SaveTopK < -1) throw new MisconfigurationException($"ModelCheckpoint.SaveTopK must be -1, 0 or more, got {SaveTopK}.");
        if (EveryNEpochs < 0) throw new MisconfigurationException($"ModelCheckpoint.EveryNEpochs must be 0 (never) or more, got {EveryNEpochs}.");
        if (EveryNTrainSteps < 0) throw new MisconfigurationException($"ModelCheckpoint.EveryNTrainSteps must be 0 (never) or more, got {EveryNTrainSteps}.");
        if ((EveryNEpochs is > 0 ? 1 : 0) + (EveryNTrainSteps is > 0 ? 1 : 0) + (TrainTimeInterval is not null ? 1 : 0) > 1)
            throw new MisconfigurationException("ModelCheckpoint: EveryNEpochs, EveryNTrainSteps and TrainTimeInterval are mutually exclusive; set one of them.");
        if (Monitor is null && SaveTopK > 1)
            throw new MisconfigurationException($"ModelCheckpoint(SaveTopK = {SaveTopK}) needs a Monitor to rank checkpoints; set Monitor or use SaveTopK = 1 or -1.");
        // A FastDevRun has no loggers (and must create no run folder): its unused folder is under the root, as in Lightning.
        var logDir = trainer.FastDevRunning ? trainer.DefaultRootDir : trainer.LogDir;
        ResolvedDirPath = trainer.Strategy.Broadcast(Path.GetFullPath(DirPath ?? Path.Combine(logDir, "checkpoints")));
        // What a killed run left half-written is never a checkpoint; clear it so the folder holds whole files only.
        if (trainer.Strategy.IsGlobalZero) AtomicFile.RemoveAbandoned(ResolvedDirPath);
    }

    /// <inheritdoc />
    public override void OnTrainStart(Trainer trainer, LightningModule module)
    {
        lastTimeChecked = Stopwatch.GetTimestamp();
        nonFiniteSkips = (0, 0);
    }

    /// <inheritdoc />
    public override void OnTrainEnd(Trainer trainer, LightningModule module)
    {
        // One warning when the weights first stopped being finite, and how many saves that cost, once, at the end.
        if (nonFiniteSkips.Count > 1)
            TrainerLog.NonFiniteSavesSkipped(trainer.Messages.Logger(nameof(ModelCheckpoint)), nonFiniteSkips.Count, nonFiniteSkips.FirstStep, BestModelPath ?? "no checkpoint");
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        if (!SkipSaving(trainer) && SavesOnTrainEpochEnd(trainer)) SaveForEpoch(trainer, module);
    }

    /// <inheritdoc />
    public override void OnValidationEnd(Trainer trainer, LightningModule module)
    {
        // Saved once the batch that ran validation is completely done, so that the file resumes after that batch.
        if (!SkipSaving(trainer) && !SavesOnTrainEpochEnd(trainer)) validationSavePending = true;
    }

    /// <inheritdoc />
    public override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        if (validationSavePending)
        {
            validationSavePending = false;
            if (!SkipSaving(trainer)) SaveForEpoch(trainer, module);
        }
        if (SkipSaving(trainer)) return;
        bool skipBatch = EveryNTrainSteps is not > 0 || trainer.GlobalStep % EveryNTrainSteps != 0;
        bool skipTime = true;
        long now = Stopwatch.GetTimestamp();
        if (TrainTimeInterval is TimeSpan interval) skipTime = trainer.Strategy.Broadcast(Stopwatch.GetElapsedTime(lastTimeChecked, now) < interval);
        if (skipBatch && skipTime) return;
        if (!skipTime) lastTimeChecked = now;
        SaveChecked(trainer, module, topK: true);
    }

    private void SaveForEpoch(Trainer trainer, LightningModule module)
        => SaveChecked(trainer, module, topK: EpochInterval >= 1 && (trainer.CurrentEpoch + 1) % EpochInterval == 0);

    /// <summary>
    /// Saves unless the weights are no longer finite (a diverged run must not replace the last good checkpoint). Every
    /// file of the save is written before any older file is deleted; when a write fails, the bookkeeping goes back to
    /// what it was and the files this save did write are removed, so the bookkeeping only ever names files that exist
    /// and a failed save leaves no file behind (the disk may be full).
    /// </summary>
    private void SaveChecked(Trainer trainer, LightningModule module, bool topK)
    {
        if (!AllFinite(module))
        {
            if (nonFiniteSkips.Count++ == 0)
            {
                nonFiniteSkips.FirstStep = trainer.GlobalStep;
                TrainerLog.NonFiniteWeights(trainer.Messages.Logger(nameof(ModelCheckpoint)), trainer.GlobalStep, BestModelPath ?? "no checkpoint");
            }
            return;
        }
        // Every process decides on rank 0's metrics, so the bookkeeping (and which files exist) is the same everywhere.
        var candidates = trainer.Strategy.Broadcast(MonitorCandidates(trainer));
        var before = Ranking.Save();
        var save = new SaveOperation();
        try
        {
            // last.ckpt may be a copy of the top-k file written just before it, so that file's state must already name it:
            // a run resumed from last.ckpt then keeps writing last.ckpt instead of starting last-v1.ckpt.
            var previousLast = Ranking.LastModelPath;
            if (SaveLast) Ranking.LastModelPath = VersionedPath(trainer, FormatTemplate(trainer, candidates, "last"), previousLast);
            if (topK) SaveTopKCheckpoint(trainer, candidates, save);
            if (SaveLast) SaveLastCheckpoint(trainer, previousLast, save);
        }
        catch
        {
            Ranking.Restore(before);
            var named = Ranking.NamedFiles().ToHashSet(StringComparer.Ordinal);
            foreach (var orphan in save.Written.Where(path => !named.Contains(path))) trainer.Strategy.RemoveCheckpoint(orphan);
            throw;
        }
        var kept = Ranking.NamedFiles().ToHashSet(StringComparer.Ordinal);
        foreach (var obsolete in save.Obsolete.Distinct(StringComparer.Ordinal))
            if (!kept.Contains(obsolete) && ShouldRemove(trainer, obsolete) && WrittenByThisCallback(obsolete)) trainer.Strategy.RemoveCheckpoint(obsolete);
    }

    /// <summary>What one save wrote, and the older files it made obsolete (deleted once every write succeeded).</summary>
    private sealed class SaveOperation
    {
        public List<string> Written { get; } = [];

        public List<string> Obsolete { get; } = [];
    }

    private static bool AllFinite(LightningModule module)
    {
        using var scope = torch.NewDisposeScope();
        return module.parameters().All(p => torch.isfinite(p).all().item<bool>());
    }

    private static Dictionary<string, double> MonitorCandidates(Trainer trainer)
    {
        var candidates = new Dictionary<string, double>(trainer.CallbackMetrics, StringComparer.Ordinal);
        candidates.TryAdd("epoch", trainer.CurrentEpoch);
        candidates.TryAdd("step", trainer.GlobalStep);
        return candidates;
    }

    private void SaveTopKCheckpoint(Trainer trainer, Dictionary<string, double> candidates, SaveOperation save)
    {
        if (SaveTopK == 0) return;
        if (Monitor is null)
        {
            SaveLatest(trainer, candidates, save);
            return;
        }
        if (!candidates.TryGetValue(Monitor, out var current))
        {
            var available = string.Join(", ", candidates.Keys.Order());
            // Not yet logged is expected before the first validation run; after one, the key is missing for good.
            if (trainer.ValidationHasRun)
                throw new MisconfigurationException($"ModelCheckpoint(Monitor = \"{Monitor}\") could not find the monitored key in the logged metrics: [{available}]. " +
                    $"Log it with Log(\"{Monitor}\", …) or change Monitor.");
            if (trainer.Messages.FirstTime($"{nameof(ModelCheckpoint)}.{Monitor} missing: {available}"))
                TrainerLog.CheckpointMonitorMissing(trainer.Messages.Logger(nameof(ModelCheckpoint)), Monitor, available);
            return;
        }
        if (!Ranking.Admits(current))
        {
            if (Verbose) TrainerLog.CheckpointNotInTopK(trainer.Messages.Logger(nameof(ModelCheckpoint)), trainer.CurrentEpoch, trainer.GlobalStep, Monitor, SaveTopK);
            return;
        }
        var displaced = Ranking.Displaced;
        var path = VersionedPath(trainer, FormatTemplate(trainer, candidates), displaced);
        Ranking.Add(path, current);
        if (Verbose)
            TrainerLog.CheckpointSaved(trainer.Messages.Logger(nameof(ModelCheckpoint)), trainer.CurrentEpoch, trainer.GlobalStep, Monitor, current, BestModelScore, path,
                SaveTopK == -1 ? BestKModels.Count : SaveTopK);
        Write(trainer, path, save);
        if (displaced is not null) save.Obsolete.Add(displaced);
    }

    private void SaveLatest(Trainer trainer, Dictionary<string, double> candidates, SaveOperation save)
    {
        var previous = Ranking.BestModelPath;
        var path = VersionedPath(trainer, FormatTemplate(trainer, candidates), previous);
        Ranking.AddLatest(path, trainer.GlobalStep);
        Write(trainer, path, save);
        if (SaveTopK == 1 && previous is not null) save.Obsolete.Add(previous);
    }

    private void SaveLastCheckpoint(Trainer trainer, string? previous, SaveOperation save)
    {
        var path = Ranking.LastModelPath!;
        // A copy of the top-k file only when that file was written at this very step: Lightning 2.1 links last.ckpt to
        // whatever was saved last, which leaves it steps behind whenever the score did not improve.
        if (Ranking.LastFileSaved is { } source && Ranking.LastGlobalStepSaved == trainer.GlobalStep && SaveTopK != 0 && trainer.Strategy.Broadcast(File.Exists(source)))
        {
            trainer.Strategy.CopyCheckpoint(source, path);
            save.Written.Add(path);
        }
        else
        {
            Write(trainer, path, save);
        }
        if (previous is not null) save.Obsolete.Add(previous);
    }

    private void Write(Trainer trainer, string path, SaveOperation save)
    {
        trainer.SaveCheckpoint(path, SaveWeightsOnly);
        save.Written.Add(path);
        Ranking.Written(path, trainer.GlobalStep);
    }

    /// <summary>
    /// Lightning's <c>_should_remove_checkpoint</c>: never the checkpoint the run resumed from, and never a file outside
    /// this callback's folder (a checkpoint's state cannot name files to delete).
    /// </summary>
    private bool ShouldRemove(Trainer trainer, string previous)
    {
        var full = Path.GetFullPath(previous);
        if (trainer.CkptPath is { } resumed && full == Path.GetFullPath(resumed)) return false;
        var folder = ResolvedDirPath!.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(folder, StringComparison.Ordinal);
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a LitGen checkpoint this callback (or the run it resumed) wrote: its stored state
    /// of this callback carries the same owner. A name in a checkpoint's state proves nothing, a file's own content does,
    /// so no state can make this callback delete a file it did not write.
    /// </summary>
    private bool WrittenByThisCallback(string path)
        => CheckpointMetadata.TryReadCallbackStates(path)?[StateKey]?["owner"] is JsonValue value && value.TryGetValue<string>(out var written) && written == owner;

    /// <inheritdoc />
    public override JsonObject StateDict()
    {
        var state = Ranking.StateDict(Monitor, ResolvedDirPath);
        state["owner"] = owner;
        return state;
    }

    /// <inheritdoc />
    public override void LoadStateDict(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // The files of the run this one continues are this callback's too: the same folder, and their owner carries on.
        if (Ranking.LoadStateDict(state, ResolvedDirPath, monitored: Monitor is not null) && (string?)state["owner"] is { } restored) owner = restored;
    }

    /// <summary>Lightning's <c>_should_skip_saving_checkpoint</c>: not fitting, sanity check, FastDevRun, or this step already saved.</summary>
    private bool SkipSaving(Trainer trainer)
        => trainer.FastDevRunning || trainer.Stage != LitGen.Stage.Fit || trainer.SanityChecking || Ranking.LastGlobalStepSaved == trainer.GlobalStep;

    /// <summary>Lightning's <c>_should_save_on_train_epoch_end</c>.</summary>
    private bool SavesOnTrainEpochEnd(Trainer trainer)
    {
        if (SaveOnTrainEpochEnd is bool explicitly) return explicitly;
        if (trainer.Options.CheckValEveryNEpoch != 1) return false;
        if (!trainer.EnableValidation) return true;
        return trainer.Options.ValCheckInterval == BatchLimit.All;
    }
}
