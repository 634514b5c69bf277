using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Which checkpoints a <see cref="ModelCheckpoint"/> keeps: the top-k ranking by <see cref="ModelCheckpoint.Monitor"/> (or
/// the latest file), <c>last.ckpt</c>, which older files go, and the bookkeeping a resumed run carries on with.
/// </summary>
public partial class ModelCheckpoint
{
    private static Dictionary<string, double> MonitorCandidates(Trainer trainer)
    {
        var candidates = new Dictionary<string, double>(trainer.CallbackMetrics, StringComparer.Ordinal);
        candidates.TryAdd("epoch", trainer.CurrentEpoch);
        candidates.TryAdd("step", trainer.GlobalStep);
        return candidates;
    }

    private void SaveTopKCheckpoint(Trainer trainer, Dictionary<string, double> candidates)
    {
        if (SaveTopK == 0) return;
        if (Monitor is null)
        {
            SaveLatest(trainer, candidates);
            return;
        }
        if (!candidates.TryGetValue(Monitor, out var current))
        {
            var message = $"ModelCheckpoint(Monitor = \"{Monitor}\") could not find the monitored key in the logged metrics: [{string.Join(", ", candidates.Keys.Order())}]. " +
                $"Log it with Log(\"{Monitor}\", …) or change Monitor.";
            // Not yet logged is expected before the first validation run; after one, the key is missing for good.
            if (trainer.ValidationHasRun) throw new MisconfigurationException(message);
            trainer.Messages.WarnOnce(nameof(ModelCheckpoint), message);
            return;
        }
        if (IsInTopK(current)) UpdateBestAndSave(trainer, current, candidates);
        else if (Verbose) trainer.Messages.Info(nameof(ModelCheckpoint), $"Epoch {trainer.CurrentEpoch}, global step {trainer.GlobalStep}: '{Monitor}' was not in top {SaveTopK}");
    }

    private bool IsInTopK(double current)
    {
        if (SaveTopK == -1 || bestKModels.Count < SaveTopK) return true;
        double kth = bestKModels[KthBestModelPath!];
        return Mode == MonitorMode.Min ? current < kth : current > kth;
    }

    private void UpdateBestAndSave(Trainer trainer, double current, Dictionary<string, double> candidates)
    {
        int k = SaveTopK == -1 ? bestKModels.Count + 1 : SaveTopK;
        string? dropped = null;
        if (bestKModels.Count == k && k > 0)
        {
            dropped = KthBestModelPath;
            bestKModels.Remove(dropped!);
        }
        // A NaN score is the worst possible, so it never displaces a finite one.
        if (double.IsNaN(current)) current = Mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
        var path = VersionedPath(trainer, FormatTemplate(trainer, candidates), dropped);
        bestKModels[path] = current;
        if (bestKModels.Count == k) KthBestModelPath = Worst();
        BestModelPath = Best();
        BestModelScore = bestKModels[BestModelPath];
        if (Verbose)
            trainer.Messages.Info(nameof(ModelCheckpoint), string.Create(CultureInfo.InvariantCulture,
                $"Epoch {trainer.CurrentEpoch}, global step {trainer.GlobalStep}: '{Monitor}' reached {current:0.00000} (best {BestModelScore:0.00000}), saving model to '{path}' as top {k}"));
        Save(trainer, path);
        if (dropped is not null && ShouldRemove(trainer, dropped, path)) trainer.Strategy.RemoveCheckpoint(dropped);
    }

    private void SaveLatest(Trainer trainer, Dictionary<string, double> candidates)
    {
        var path = VersionedPath(trainer, FormatTemplate(trainer, candidates), BestModelPath);
        var previous = BestModelPath;
        // The bookkeeping is updated first so that the checkpoint holds it; the older file goes only once the new one exists.
        if (SaveTopK == 1 && previous is not null) bestKModels.Remove(previous);
        bestKModels[path] = trainer.GlobalStep;
        BestModelPath = path;
        Save(trainer, path);
        if (SaveTopK == 1 && previous is not null && ShouldRemove(trainer, previous, path)) trainer.Strategy.RemoveCheckpoint(previous);
    }

    private void SaveLastCheckpoint(Trainer trainer, string? previous)
    {
        var path = LastModelPath!;
        // A copy of the top-k file only when that file was written at this very step: Lightning 2.1 links last.ckpt to
        // whatever was saved last, which leaves it steps behind whenever the score did not improve.
        if (lastCheckpointSaved is not null && lastGlobalStepSaved == trainer.GlobalStep && SaveTopK != 0 && trainer.Strategy.Broadcast(File.Exists(lastCheckpointSaved)))
            trainer.Strategy.CopyCheckpoint(lastCheckpointSaved, path);
        else
            Save(trainer, path);
        if (previous is not null && ShouldRemove(trainer, previous, path)) trainer.Strategy.RemoveCheckpoint(previous);
    }

    private void Save(Trainer trainer, string path)
    {
        trainer.SaveCheckpoint(path, SaveWeightsOnly);
        lastGlobalStepSaved = trainer.GlobalStep;
        lastCheckpointSaved = path;
    }

    /// <summary>
    /// Lightning's <c>_should_remove_checkpoint</c>: never the file just written, never the checkpoint the run resumed
    /// from, and never a file outside this callback's folder (a checkpoint's state cannot name files to delete).
    /// </summary>
    private bool ShouldRemove(Trainer trainer, string previous, string current)
    {
        if (previous == current) return false;
        var full = Path.GetFullPath(previous);
        if (trainer.CkptPath is { } resumed && full == Path.GetFullPath(resumed)) return false;
        var folder = ResolvedDirPath!.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(folder, StringComparison.Ordinal);
    }

    private string Best() => bestKModels.OrderBy(p => p.Value, Comparer).First().Key;

    private string Worst() => bestKModels.OrderBy(p => p.Value, Comparer).Last().Key;

    private Comparer<double> Comparer => Mode == MonitorMode.Min
        ? Comparer<double>.Default
        : Comparer<double>.Create((a, b) => b.CompareTo(a));

    /// <inheritdoc />
    public override JsonObject StateDict()
    {
        var best = new JsonObject();
        foreach (var (path, score) in bestKModels) best[path] = JsonDoubles.From(score);
        return new JsonObject
        {
            ["monitor"] = Monitor,
            ["best_model_score"] = JsonDoubles.From(BestModelScore),
            ["best_model_path"] = BestModelPath,
            ["best_k_models"] = best,
            ["kth_best_model_path"] = KthBestModelPath,
            ["last_model_path"] = LastModelPath,
            ["dirpath"] = ResolvedDirPath,
            ["last_saved_step"] = lastGlobalStepSaved,
        };
    }

    /// <summary>
    /// Restores the bookkeeping when the checkpoint was written to this callback's folder (as Lightning); a checkpoint from
    /// another folder restores only <see cref="BestModelPath"/>, so its files are never touched.
    /// </summary>
    public override void LoadStateDict(JsonObject state)
    {
        if (state["dirpath"] is JsonNode dirpath && (string?)dirpath is { } saved && Path.GetFullPath(saved) == ResolvedDirPath)
        {
            bestKModels.Clear();
            foreach (var (path, score) in (JsonObject)state["best_k_models"]!) bestKModels[path] = JsonDoubles.Read(score!);
            BestModelScore = JsonDoubles.ReadNullable(state["best_model_score"]);
            KthBestModelPath = (string?)state["kth_best_model_path"];
            LastModelPath = (string?)state["last_model_path"];
            lastGlobalStepSaved = (long)state["last_saved_step"]!;
            if (Monitor is not null && bestKModels.Count > 0 && (SaveTopK == -1 || bestKModels.Count >= SaveTopK)) KthBestModelPath ??= Worst();
        }
        BestModelPath = (string?)state["best_model_path"];
    }
}
