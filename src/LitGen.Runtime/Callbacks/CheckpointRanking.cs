using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Which checkpoint files a <see cref="ModelCheckpoint"/> keeps and the bookkeeping a resumed run carries on with
/// (Lightning's <c>best_k_models</c>, <c>kth_best_model_path</c>, <c>best_model_path</c>/<c>score</c>,
/// <c>last_model_path</c>): whether a score enters the top k, which file it displaces, and the state in checkpoints.
/// It changes no file; the callback writes and deletes.
/// </summary>
internal sealed class CheckpointRanking(MonitorMode mode, int saveTopK)
{
    private readonly Dictionary<string, double> bestK = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, double> BestKModels => bestK;

    public string? BestModelPath { get; private set; }

    public double? BestModelScore { get; private set; }

    public string? KthBestModelPath { get; private set; }

    public string? LastModelPath { get; set; }

    /// <summary>The global step of the last file written, so that one step is never saved twice.</summary>
    public long LastGlobalStepSaved { get; private set; }

    /// <summary>The last file written (of this run), which <c>last.ckpt</c> may copy.</summary>
    public string? LastFileSaved { get; private set; }

    private Comparer<double> Comparer => mode == MonitorMode.Min
        ? Comparer<double>.Default
        : Comparer<double>.Create((a, b) => b.CompareTo(a));

    /// <summary>Whether <paramref name="score"/> earns a place (all places are taken and it beats the k-th, or one is free).</summary>
    public bool Admits(double score)
    {
        if (saveTopK == -1 || bestK.Count < saveTopK) return true;
        double kth = bestK[KthBestModelPath!];
        return mode == MonitorMode.Min ? score < kth : score > kth;
    }

    /// <summary>The file <see cref="Add"/> will displace to make room, if the top k are full.</summary>
    public string? Displaced => saveTopK != -1 && bestK.Count == saveTopK && saveTopK > 0 ? KthBestModelPath : null;

    /// <summary>Ranks <paramref name="path"/> with <paramref name="score"/>, dropping the displaced file from the ranking.</summary>
    public void Add(string path, double score)
    {
        if (Displaced is { } displaced) bestK.Remove(displaced);
        // A NaN score is the worst possible, so it never displaces a finite one.
        if (double.IsNaN(score)) score = mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
        bestK[path] = score;
        int k = saveTopK == -1 ? bestK.Count : saveTopK;
        if (bestK.Count == k) KthBestModelPath = Worst();
        BestModelPath = Best();
        BestModelScore = bestK[BestModelPath];
    }

    /// <summary>Without a monitor: <paramref name="path"/> is the latest (and with top-1 the only) file, ranked by its step.</summary>
    public void AddLatest(string path, long step)
    {
        if (saveTopK == 1 && BestModelPath is not null) bestK.Remove(BestModelPath);
        bestK[path] = step;
        BestModelPath = path;
    }

    /// <summary>Notes that <paramref name="path"/> was written at <paramref name="step"/>.</summary>
    public void Written(string path, long step) => (LastFileSaved, LastGlobalStepSaved) = (path, step);

    /// <summary>A copy of the bookkeeping, to go back to when a save fails.</summary>
    public Snapshot Save() => new(new Dictionary<string, double>(bestK, StringComparer.Ordinal), BestModelPath, BestModelScore, KthBestModelPath, LastModelPath,
        LastGlobalStepSaved, LastFileSaved);

    public void Restore(Snapshot snapshot)
    {
        bestK.Clear();
        foreach (var (path, score) in snapshot.BestK) bestK[path] = score;
        (BestModelPath, BestModelScore, KthBestModelPath, LastModelPath, LastGlobalStepSaved, LastFileSaved) =
            (snapshot.BestModelPath, snapshot.BestModelScore, snapshot.KthBestModelPath, snapshot.LastModelPath, snapshot.LastGlobalStepSaved, snapshot.LastFileSaved);
    }

    /// <summary>Every file the bookkeeping names.</summary>
    public IEnumerable<string> NamedFiles()
    {
        foreach (var path in bestK.Keys) yield return path;
        if (LastModelPath is not null) yield return LastModelPath;
    }

    public JsonObject StateDict(string? monitor, string? dirPath)
    {
        var best = new JsonObject();
        foreach (var (path, score) in bestK) best[path] = JsonDoubles.From(score);
        return new JsonObject
        {
            ["monitor"] = monitor,
            ["best_model_score"] = JsonDoubles.From(BestModelScore),
            ["best_model_path"] = BestModelPath,
            ["best_k_models"] = best,
            ["kth_best_model_path"] = KthBestModelPath,
            ["last_model_path"] = LastModelPath,
            ["dirpath"] = dirPath,
            ["last_saved_step"] = LastGlobalStepSaved,
        };
    }

    /// <summary>
    /// Restores the bookkeeping when the checkpoint was written to <paramref name="dirPath"/> (as Lightning), and says so;
    /// a checkpoint from another folder restores only <see cref="BestModelPath"/>, so its files are never touched.
    /// </summary>
    public bool LoadStateDict(JsonObject state, string? dirPath, bool monitored)
    {
        bool sameFolder = state["dirpath"] is JsonNode saved && (string?)saved is { } folder && Path.GetFullPath(folder) == dirPath;
        if (sameFolder)
        {
            bestK.Clear();
            foreach (var (path, score) in (JsonObject)state["best_k_models"]!) bestK[path] = JsonDoubles.Read(score!);
            BestModelScore = JsonDoubles.ReadNullable(state["best_model_score"]);
            KthBestModelPath = (string?)state["kth_best_model_path"];
            LastModelPath = (string?)state["last_model_path"];
            LastGlobalStepSaved = (long)state["last_saved_step"]!;
            if (monitored && bestK.Count > 0 && (saveTopK == -1 || bestK.Count >= saveTopK)) KthBestModelPath ??= Worst();
        }
        BestModelPath = (string?)state["best_model_path"];
        return sameFolder;
    }

    private string Best() => bestK.OrderBy(p => p.Value, Comparer).First().Key;

    private string Worst() => bestK.OrderBy(p => p.Value, Comparer).Last().Key;

    /// <summary>The bookkeeping at one moment.</summary>
    public sealed record Snapshot(Dictionary<string, double> BestK, string? BestModelPath, double? BestModelScore, string? KthBestModelPath,
        string? LastModelPath, long LastGlobalStepSaved, string? LastFileSaved);
}
