using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LitGen;

/// <summary>
/// Saves checkpoints at the end of training epochs (Lightning's <c>ModelCheckpoint</c>): the latest one, or the
/// <see cref="SaveTopK"/> best by <see cref="Monitor"/>, plus <c>last.ckpt</c> when <see cref="SaveLast"/> is set.
/// </summary>
public sealed partial class ModelCheckpoint : Callback
{
    private readonly Dictionary<string, double> bestKModels = new(StringComparer.Ordinal);

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

    /// <summary>Save at the end of every this many epochs; default 1, or 0 (never) when <see cref="EveryNTrainSteps"/> is set.</summary>
    public int? EveryNEpochs { get; init; }

    /// <summary>Save every this many optimizer steps, inside epochs too (0 or null: never).</summary>
    public int? EveryNTrainSteps { get; init; }

    private int EpochInterval => EveryNEpochs ?? (EveryNTrainSteps is > 0 ? 0 : 1);

    /// <summary>Write <c>name=value</c> for each <c>{name}</c> in <see cref="Filename"/> (default true).</summary>
    public bool AutoInsertMetricName { get; init; } = true;

    /// <summary>The best checkpoint so far (the most recent when there is no monitor).</summary>
    public string? BestModelPath { get; private set; }

    /// <summary>The monitored value of <see cref="BestModelPath"/>.</summary>
    public double? BestModelScore { get; private set; }

    /// <summary>The path of <c>last.ckpt</c>, once written.</summary>
    public string? LastModelPath { get; private set; }

    /// <summary>The kept checkpoints and their scores.</summary>
    public IReadOnlyDictionary<string, double> BestKModels => bestKModels;

    /// <summary>The folder checkpoints are written to, resolved at the first save.</summary>
    public string? ResolvedDirPath { get; private set; }

    internal override bool IsMonitoring => true;

    /// <inheritdoc />
    public override string StateKey => Monitor is null ? nameof(ModelCheckpoint) : $"{nameof(ModelCheckpoint)}{{'monitor': '{Monitor}', 'mode': '{Mode.ToString().ToLowerInvariant()}'}}";

    /// <inheritdoc />
    public override void Setup(Trainer trainer, LightningModule module, Stage stage)
    {
        if (SaveTopK < -1) throw new MisconfigurationException($"ModelCheckpoint.SaveTopK must be -1, 0 or more, got {SaveTopK}.");
        if (EveryNEpochs < 0) throw new MisconfigurationException($"ModelCheckpoint.EveryNEpochs must be 0 (never) or more, got {EveryNEpochs}.");
        if (EveryNTrainSteps < 0) throw new MisconfigurationException($"ModelCheckpoint.EveryNTrainSteps must be 0 (never) or more, got {EveryNTrainSteps}.");
        if (Monitor is null && SaveTopK > 1)
            throw new MisconfigurationException($"ModelCheckpoint(SaveTopK = {SaveTopK}) needs a Monitor to rank checkpoints; set Monitor or use SaveTopK = 1 or -1.");
    }

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        if (EpochInterval > 0 && (trainer.CurrentEpoch + 1) % EpochInterval == 0) Save(trainer);
    }

    internal override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        if (EveryNTrainSteps is int every && every > 0 && trainer.GlobalStep > 0 && trainer.GlobalStep % every == 0 && trainer.GlobalStep != lastSavedStep)
            Save(trainer);
    }

    private long lastSavedStep = -1;

    private void Save(Trainer trainer)
    {
        lastSavedStep = trainer.GlobalStep;
        ResolvedDirPath ??= DirPath ?? Path.Combine(trainer.LogDir, "checkpoints");
        var metrics = trainer.CallbackMetrics;
        string? saved = null;
        if (SaveTopK != 0)
        {
            if (Monitor is null) saved = SaveLatest(trainer, metrics);
            else saved = SaveIfTopK(trainer, metrics);
        }
        if (SaveLast)
        {
            LastModelPath = Path.Combine(ResolvedDirPath, "last.ckpt");
            if (saved is not null) File.Copy(saved, LastModelPath, overwrite: true);
            else trainer.SaveCheckpoint(LastModelPath);
        }
    }

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
            ["last_model_path"] = LastModelPath,
            ["dirpath"] = ResolvedDirPath,
            ["last_saved_step"] = lastSavedStep,
        };
    }

    /// <inheritdoc />
    public override void LoadStateDict(JsonObject state)
    {
        bestKModels.Clear();
        foreach (var (path, score) in (JsonObject)state["best_k_models"]!) bestKModels[path] = JsonDoubles.Read(score!);
        BestModelScore = JsonDoubles.ReadNullable(state["best_model_score"]);
        BestModelPath = (string?)state["best_model_path"];
        LastModelPath = (string?)state["last_model_path"];
        ResolvedDirPath = DirPath ?? (string?)state["dirpath"];
        lastSavedStep = (long)state["last_saved_step"]!;
    }

    private string SaveLatest(Trainer trainer, IReadOnlyDictionary<string, double> metrics)
    {
        var path = NewPath(trainer, metrics);
        var replaced = SaveTopK == 1 ? bestKModels.Keys.Where(p => p != path).ToList() : [];
        foreach (var previous in replaced) bestKModels.Remove(previous);
        bestKModels[path] = trainer.GlobalStep;
        BestModelPath = path;
        // The bookkeeping is updated first so that the checkpoint holds it; older files go only once the new one exists.
        trainer.SaveCheckpoint(path);
        foreach (var previous in replaced) DeleteCheckpoint(previous);
        return path;
    }

    private string? SaveIfTopK(Trainer trainer, IReadOnlyDictionary<string, double> metrics)
    {
        if (!metrics.TryGetValue(Monitor!, out var score))
            throw new MisconfigurationException(
                $"ModelCheckpoint(Monitor = \"{Monitor}\") could not find the monitored key in the logged metrics: [{string.Join(", ", metrics.Keys.Order())}]. " +
                "Log it with Log(\"" + Monitor + "\", …) or change Monitor.");
        if (double.IsNaN(score)) score = Mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity;

        if (SaveTopK != -1 && bestKModels.Count >= SaveTopK && !IsBetter(score, WorstScore())) return null;

        var path = NewPath(trainer, metrics);
        bestKModels[path] = score;
        string? dropped = null;
        if (SaveTopK != -1 && bestKModels.Count > SaveTopK)
        {
            dropped = bestKModels.OrderBy(p => p.Value, Comparer).Last().Key;
            bestKModels.Remove(dropped);
        }
        var best = bestKModels.OrderBy(p => p.Value, Comparer).First();
        BestModelPath = best.Key;
        BestModelScore = best.Value;
        trainer.SaveCheckpoint(path);
        if (dropped is not null) DeleteCheckpoint(dropped);
        return path;
    }

    private Comparer<double> Comparer => Mode == MonitorMode.Min
        ? Comparer<double>.Default
        : Comparer<double>.Create((a, b) => b.CompareTo(a));

    private double WorstScore() => bestKModels.Values.OrderBy(v => v, Comparer).Last();

    private bool IsBetter(double candidate, double reference) => Mode == MonitorMode.Min ? candidate < reference : candidate > reference;

    private void DeleteCheckpoint(string path)
    {
        if (path != LastModelPath && File.Exists(path)) File.Delete(path);
    }

    private string NewPath(Trainer trainer, IReadOnlyDictionary<string, double> metrics)
    {
        var name = FormatName(Filename ?? "{epoch}-{step}", trainer.CurrentEpoch, trainer.GlobalStep, metrics, AutoInsertMetricName);
        var path = Path.Combine(ResolvedDirPath!, name + ".ckpt");
        // A file from an earlier run is never overwritten: Lightning's version counter (-v1, -v2, …).
        for (int version = 1; File.Exists(path) && !bestKModels.ContainsKey(path); version++)
            path = Path.Combine(ResolvedDirPath!, $"{name}-v{version.ToString(CultureInfo.InvariantCulture)}.ckpt");
        return path;
    }

    /// <summary>
    /// Fills a file name template: <c>{epoch}</c>, <c>{step}</c> and any logged metric, with Python-style format specs
    /// (<c>{val_loss:.2f}</c>, <c>{epoch:02d}</c>).
    /// </summary>
    public static string FormatName(string template, int epoch, long step, IReadOnlyDictionary<string, double> metrics, bool autoInsertMetricName = true)
    {
        return Placeholder().Replace(template, match =>
        {
            var key = match.Groups["name"].Value;
            var spec = match.Groups["spec"].Success ? match.Groups["spec"].Value : null;
            string value = key switch
            {
                "epoch" => FormatNumber(epoch, spec, integral: true),
                "step" => FormatNumber(step, spec, integral: true),
                _ when metrics.TryGetValue(key, out var metric) => FormatNumber(metric, spec, integral: false),
                _ => throw new MisconfigurationException(
                    $"ModelCheckpoint filename template \"{template}\" uses '{{{key}}}', which was not logged. Logged: [{string.Join(", ", metrics.Keys.Order())}]."),
            };
            return autoInsertMetricName ? $"{key}={value}" : value;
        });
    }

    private static string FormatNumber(double value, string? spec, bool integral)
    {
        if (spec is null) return integral ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        var parsed = FormatSpec().Match(spec);
        if (!parsed.Success) throw new MisconfigurationException($"Unsupported format spec ':{spec}' in a ModelCheckpoint filename; use forms like :.2f, :03d or :.3e.");
        int width = parsed.Groups["width"].Success ? int.Parse(parsed.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        int? precision = parsed.Groups["precision"].Success ? int.Parse(parsed.Groups["precision"].Value, CultureInfo.InvariantCulture) : null;
        var text = parsed.Groups["type"].Value switch
        {
            "d" => ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture),
            "e" => value.ToString((precision ?? 6) == 0 ? "0e+00" : "0." + new string('0', precision ?? 6) + "e+00", CultureInfo.InvariantCulture),
            "g" => value.ToString("G" + (precision ?? 6).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            _ => value.ToString("F" + (precision ?? 6).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        };
        bool zeroPad = parsed.Groups["zero"].Success;
        if (text.Length >= width) return text;
        if (!zeroPad) return text.PadLeft(width);
        bool negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        return (negative ? "-" : "") + digits.PadLeft(width - (negative ? 1 : 0), '0');
    }

    [GeneratedRegex(@"\{(?<name>[^{}:]+)(?::(?<spec>[^{}]+))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<zero>0)?(?<width>[1-9][0-9]*)?(?:\.(?<precision>[0-9]+))?(?<type>[dfeg])?$")]
    private static partial Regex FormatSpec();
}
