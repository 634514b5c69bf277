using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LitGen;

/// <summary>
/// A self-contained <c>metrics.html</c> made from a <c>metrics.csv</c>: one chart per metric family (the loss of
/// training and validation together, accuracies together, learning rates, …), by step or by epoch. It opens in any
/// browser, offline: the data is embedded (as JSON in <c>&lt;script id="litgen-metrics"&gt;</c>) and drawn as SVG by
/// a few lines of inline script. <see cref="CsvLogger"/> writes it when a run ends.
/// </summary>
public static partial class MetricsReport
{
    /// <summary>Writes the report of <paramref name="metricsCsv"/> to <paramref name="htmlPath"/> (default: <c>metrics.html</c> beside it) and returns its path.</summary>
    public static string Write(string metricsCsv, string? htmlPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(metricsCsv);
        if (!File.Exists(metricsCsv)) throw new FileNotFoundException($"'{metricsCsv}' does not exist; a CsvLogger writes it once metrics are logged.", metricsCsv);
        htmlPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(metricsCsv))!, "metrics.html");
        var (columns, rows) = Read(metricsCsv);
        AtomicFile.WriteAllText(htmlPath, Html(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(metricsCsv))) ?? "run", columns, rows));
        return htmlPath;
    }

    /// <summary>The family of a metric: its name without a stage prefix, a step/epoch suffix or a dataloader index.</summary>
    public static string Family(string metric)
    {
        var name = DataloaderSuffix().Replace(metric, "");
        name = StagePrefix().Replace(name, "");
        name = StepSuffix().Replace(name, "");
        if (name.StartsWith("lr-", StringComparison.Ordinal) || name == "lr") return "learning rate";
        return name;
    }

    /// <summary>
    /// The columns and rows of a <c>metrics.csv</c>, empty cells as null. A row cut short (a run killed mid-write, or one
    /// being written while this reads) is left out, not fatal: a report shows what is whole.
    /// </summary>
    internal static (List<string> Columns, List<double?[]> Rows) Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) return ([], []);
        var columns = SplitCsv(lines[0]);
        var rows = new List<double?[]>();
        foreach (var line in lines.Skip(1))
        {
            var fields = SplitCsv(line);
            if (fields.Count != columns.Count) continue;
            rows.Add(fields.Select(f => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : (double?)null).ToArray());
        }
        return (columns, rows);
    }

    /// <summary>Rows as the pages' JSON: NaN and infinities have no JSON form, so they are gaps in the lines, as empty cells are.</summary>
    internal static JsonArray RowsJson(IEnumerable<double?[]> rows)
        => new(rows.Select(r => (JsonNode)new JsonArray(r.Select(v => v is double d && double.IsFinite(d) ? (JsonNode)d : null).ToArray())).ToArray());

    /// <summary>The fields of one line of <c>metrics.csv</c> (double-quoted fields may hold commas and doubled quotes).</summary>
    internal static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    private static string Html(string title, List<string> columns, List<double?[]> rows)
    {
        var data = new JsonObject
        {
            ["columns"] = new JsonArray(columns.Select(c => (JsonNode)c).ToArray()),
            ["rows"] = RowsJson(rows),
            ["families"] = new JsonObject(columns.Where(c => c is not "step" and not "epoch").GroupBy(Family)
                .Select(g => KeyValuePair.Create(g.Key, (JsonNode?)new JsonArray(g.Select(c => (JsonNode)c).ToArray())))),
        };
        // "</" cannot end the script early: escape it inside the JSON.
        var json = data.ToJsonString().Replace("</", "<\\/", StringComparison.Ordinal);
        return Template.Replace("{{TITLE}}", System.Net.WebUtility.HtmlEncode(title), StringComparison.Ordinal).Replace("{{DATA}}", json, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"/dataloader_idx_\d+$")]
    private static partial Regex DataloaderSuffix();

    [GeneratedRegex("^(train|val|valid|validation|test|predict)[_/]")]
    private static partial Regex StagePrefix();

    [GeneratedRegex("_(step|epoch)$")]
    private static partial Regex StepSuffix();

    private const string Template = """
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{TITLE}} — LitGen metrics</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  .bar { margin: 8px 0 16px; color: #555; }
  .charts { display: flex; flex-wrap: wrap; gap: 16px; }
  .chart { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; width: 420px; }
  .chart h2 { font-size: 14px; margin: 4px 0; }
  .legend span { display: inline-block; margin-right: 12px; font-size: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
  svg text { font-size: 11px; fill: #555; }
</style>
</head>
<body>
<h1>{{TITLE}}</h1>
<div class="bar">x axis: <label><input type="radio" name="x" value="step" checked> step</label>
  <label><input type="radio" name="x" value="epoch"> epoch</label></div>
<div class="charts" id="charts"></div>
<noscript>This report draws its charts with JavaScript; the data is in metrics.csv beside it.</noscript>
<script type="application/json" id="litgen-metrics">{{DATA}}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById("litgen-metrics").textContent);
  var colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
  var W = 420, H = 240, L = 56, R = 12, T = 10, B = 30;
  function el(name, attrs, parent) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v, integral) { if (integral) return Math.round(v) + ""; var a = Math.abs(v); return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : +v.toPrecision(4) + ""; }
  function draw(axis) {
    var root = document.getElementById("charts");
    root.innerHTML = "";
    var xi = data.columns.indexOf(axis);
    Object.keys(data.families).forEach(function (family) {
      var series = data.families[family].map(function (name, i) {
        var ci = data.columns.indexOf(name), points = [];
        data.rows.forEach(function (r) { if (r[ci] !== null && r[xi] !== null) points.push([r[xi], r[ci]]); });
        return { name: name, color: colors[i % colors.length], points: points };
      }).filter(function (s) { return s.points.length > 0; });
      if (series.length === 0) return;
      var all = [].concat.apply([], series.map(function (s) { return s.points; }));
      var x0 = Math.min.apply(null, all.map(function (p) { return p[0]; })), x1 = Math.max.apply(null, all.map(function (p) { return p[0]; }));
      var y0 = Math.min.apply(null, all.map(function (p) { return p[1]; })), y1 = Math.max.apply(null, all.map(function (p) { return p[1]; }));
      if (x1 === x0) { x0 -= 1; x1 += 1; }
      if (y1 === y0) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
      function sx(v) { return L + (v - x0) / (x1 - x0) * (W - L - R); }
      function sy(v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); }
      var box = document.createElement("div"); box.className = "chart";
      box.innerHTML = "<h2></h2><div class='legend'></div>";
      box.firstChild.textContent = family;
      var svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H }, box);
      for (var t = 0; t <= 4; t++) {
        var yv = y0 + (y1 - y0) * t / 4, xv = x0 + (x1 - x0) * t / 4;
        el("line", { x1: L, x2: W - R, y1: sy(yv), y2: sy(yv), stroke: "#eee" }, svg);
        el("text", { x: L - 6, y: sy(yv) + 4, "text-anchor": "end" }, svg).textContent = fmt(yv);
        el("text", { x: sx(xv), y: H - B + 16, "text-anchor": "middle" }, svg).textContent = fmt(xv, true);
      }
      el("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#999" }, svg);
      el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#999" }, svg);
      el("text", { x: W - R, y: H - 2, "text-anchor": "end" }, svg).textContent = axis;
      series.forEach(function (s) {
        el("polyline", { fill: "none", stroke: s.color, "stroke-width": 1.6,
          points: s.points.map(function (p) { return sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1); }).join(" ") }, svg);
        if (s.points.length <= 60) s.points.forEach(function (p) { el("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.2, fill: s.color }, svg); });
        var item = document.createElement("span");
        item.innerHTML = "<i></i>"; item.firstChild.style.background = s.color;
        item.appendChild(document.createTextNode(s.name));
        box.querySelector(".legend").appendChild(item);
      });
      root.appendChild(box);
    });
  }
  document.querySelectorAll("input[name=x]").forEach(function (r) { r.addEventListener("change", function () { draw(r.value); }); });
  draw("step");
})();
</script>
</body>
</html>
""";
}
