using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace LitGen;

/// <summary>
/// <c>index.html</c> of an experiment folder (<c>lightning_logs/</c>): every <c>version_N</c> run in one self-contained,
/// offline page — charts of each metric family with a line per run (run toggles, hover values, smoothing, log scale,
/// zoom, round ticks, learning rates drawn as steps), a sortable table of hyperparameters and final metrics, and the
/// images and weight histograms of the runs' TensorBoard files. <see cref="CsvLogger"/> rewrites it while a run trains
/// (the page then reloads itself) and when the run ends.
/// </summary>
public static class RunsDashboard
{
    private const int HistogramSnapshotsPerTag = 6;
    private const string LearningRateFamily = "learning rate";

    /// <summary>Writes <c>index.html</c> into <paramref name="experimentDir"/> (the folder of the <c>version_N</c> runs) and returns its path.</summary>
    public static string Write(string experimentDir) => Write(experimentDir, runningVersion: null);

    /// <summary>As <see cref="Write(string)"/>, marking <paramref name="runningVersion"/> as still training (the page reloads itself).</summary>
    internal static string Write(string experimentDir, string? runningVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(experimentDir);
        if (!Directory.Exists(experimentDir)) throw new DirectoryNotFoundException($"'{experimentDir}' does not exist; a logger creates it when a run first logs.");
        var runs = Directory.GetDirectories(experimentDir)
            .Where(d => File.Exists(Path.Combine(d, "metrics.csv")) || Directory.GetFiles(d, "events.out.tfevents.*").Length > 0)
            .OrderBy(d => VersionNumber(Path.GetFileName(d)) ?? int.MaxValue).ThenBy(d => Path.GetFileName(d), StringComparer.Ordinal)
            .Select(d => Run(d, Path.GetFileName(d) == runningVersion))
            .ToList();
        var families = new JsonObject();
        // Families in the order the runs first logged them, learning rates last: what the runs are judged by comes first.
        foreach (var group in runs.SelectMany(r => r["columns"]!.AsArray().Select(c => (string)c!)).Where(c => c is not "step" and not "epoch")
                     .Distinct().GroupBy(MetricsReport.Family).OrderBy(g => g.Key == LearningRateFamily))
            families[group.Key] = new JsonArray(group.Select(c => (JsonNode)c).ToArray());
        var data = new JsonObject
        {
            ["title"] = Path.GetFileName(Path.GetFullPath(experimentDir).TrimEnd(Path.DirectorySeparatorChar)),
            ["running"] = runningVersion,
            ["written"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            ["families"] = families,
            ["runs"] = new JsonArray(runs.ToArray<JsonNode>()),
        };
        var json = data.ToJsonString().Replace("</", "<\\/", StringComparison.Ordinal);
        var html = Template.Value
            .Replace("{{TITLE}}", System.Net.WebUtility.HtmlEncode((string)data["title"]!), StringComparison.Ordinal)
            .Replace("{{REFRESH}}", runningVersion is null ? "" : "<meta http-equiv=\"refresh\" content=\"15\">", StringComparison.Ordinal)
            .Replace("{{DATA}}", json, StringComparison.Ordinal);
        var path = Path.Combine(experimentDir, "index.html");
        AtomicFile.WriteAllText(path, html);
        return path;
    }

    private static int? VersionNumber(string name)
        => name.StartsWith("version_", StringComparison.Ordinal) && int.TryParse(name.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    private static JsonObject Run(string dir, bool running)
    {
        var metricsCsv = Path.Combine(dir, "metrics.csv");
        var (columns, rows) = File.Exists(metricsCsv) ? MetricsReport.Read(metricsCsv) : ([], []);
        var final = new JsonObject();
        for (int c = 0; c < columns.Count; c++)
        {
            if (columns[c] is "step" or "epoch") continue;
            var last = rows.LastOrDefault(r => c < r.Length && r[c] is double v && double.IsFinite(v));
            if (last is not null) final[columns[c]] = last[c];
        }
        var (images, histograms) = ReadEvents(dir);
        return new JsonObject
        {
            ["name"] = Path.GetFileName(dir),
            ["running"] = running,
            ["columns"] = new JsonArray(columns.Select(c => (JsonNode)c).ToArray()),
            ["rows"] = MetricsReport.RowsJson(rows),
            ["final"] = final,
            ["hparams"] = ReadHparams(Path.Combine(dir, "hparams.yaml")),
            ["images"] = images,
            ["histograms"] = histograms,
        };
    }

    /// <summary>hparams.yaml as name → display text (nested values in YAML's flow style).</summary>
    private static JsonObject ReadHparams(string path)
    {
        var result = new JsonObject();
        if (!File.Exists(path)) return result;
        try
        {
            var yaml = new YamlStream();
            using (var reader = new StringReader(File.ReadAllText(path))) yaml.Load(reader);
            if (yaml.Documents.Count > 0 && yaml.Documents[0].RootNode is YamlMappingNode mapping)
                foreach (var (key, value) in mapping.Children)
                    result[key.ToString()] = Display(value);
        }
        catch (YamlDotNet.Core.YamlException)
        {
            // A hparams.yaml that is not YAML shows no hyperparameters rather than no dashboard.
        }
        return result;
    }

    private static string Display(YamlNode node) => node switch
    {
        YamlScalarNode scalar => scalar.Value ?? "null",
        YamlSequenceNode sequence => "[" + string.Join(", ", sequence.Children.Select(Display)) + "]",
        YamlMappingNode mapping => "{" + string.Join(", ", mapping.Children.Select(p => Display(p.Key) + ": " + Display(p.Value))) + "}",
        _ => node.ToString(),
    };

    /// <summary>The latest image of each tag, and up to six histograms of each tag spread over the run, from the run's event files.</summary>
    private static (JsonArray Images, JsonArray Histograms) ReadEvents(string dir)
    {
        var images = new List<EventFileReader.Image>();
        var histograms = new List<EventFileReader.HistogramSnapshot>();
        foreach (var file in Directory.GetFiles(dir, "events.out.tfevents.*").Order(StringComparer.Ordinal))
        {
            try
            {
                var (fileImages, fileHistograms) = EventFileReader.Read(file);
                images.AddRange(fileImages);
                histograms.AddRange(fileHistograms);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException or IOException)
            {
                // An event file another program wrote oddly, or one still being written, costs its own pictures only.
            }
        }
        var latestImages = images.GroupBy(i => i.Tag).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.MaxBy(i => i.Step)!)
            .Select(i => (JsonNode)new JsonObject { ["tag"] = i.Tag, ["step"] = i.Step, ["src"] = "data:image/png;base64," + Convert.ToBase64String(i.Png) });
        var snapshots = histograms.GroupBy(h => h.Tag).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var ordered = g.OrderBy(h => h.Step).ToList();
            var picked = Enumerable.Range(0, Math.Min(HistogramSnapshotsPerTag, ordered.Count))
                .Select(i => ordered[ordered.Count == 1 ? 0 : (int)Math.Round(i * (ordered.Count - 1) / (double)Math.Max(1, Math.Min(HistogramSnapshotsPerTag, ordered.Count) - 1))])
                .Distinct();
            return (JsonNode)new JsonObject
            {
                ["tag"] = g.Key,
                ["snapshots"] = new JsonArray(picked.Select(h => (JsonNode)new JsonObject
                {
                    ["step"] = h.Step,
                    ["min"] = double.IsFinite(h.Min) ? h.Min : null,
                    ["max"] = double.IsFinite(h.Max) ? h.Max : null,
                    ["limits"] = new JsonArray(h.BucketLimits.Select(v => (JsonNode?)(double.IsFinite(v) ? v : null)).ToArray()),
                    ["counts"] = new JsonArray(h.BucketCounts.Select(v => (JsonNode)v).ToArray()),
                }).ToArray()),
            };
        });
        return (new JsonArray(latestImages.ToArray()), new JsonArray(snapshots.ToArray()));
    }

    private static readonly Lazy<string> Template = new(() =>
    {
        using var stream = typeof(RunsDashboard).Assembly.GetManifestResourceStream("LitGen.Loggers.RunsDashboard.html")
            ?? throw new InvalidOperationException("The runs dashboard's page template is missing from LitGen.Runtime.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
