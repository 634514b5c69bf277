using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace LitGen;

/// <summary>
/// Writes <c>metrics.csv</c> (columns <c>epoch</c>, <c>step</c>, then every metric in first-seen order; one row per
/// logging call) and <c>hparams.yaml</c> into <c>{saveDir}/{name}/version_{n}/</c>.
/// </summary>
public sealed class CsvLogger : Logger
{
    private readonly List<string> columns = [];
    private readonly List<(long Step, Dictionary<string, double> Values)> rows = [];
    private int rowsWritten;
    private int columnsWritten;

    /// <summary>Creates a CSV logger writing under <paramref name="saveDir"/>/<paramref name="name"/>.</summary>
    public CsvLogger(string saveDir = "lightning_logs", string name = "lightning_logs", int? version = null)
        : base(saveDir, name, version)
    {
    }

    /// <summary>The path of <c>metrics.csv</c>.</summary>
    public string MetricsPath => Path.Combine(LogDir, "metrics.csv");

    /// <inheritdoc />
    public override void LogHyperparams(IHyperparameters hyperparameters) => WriteHparamsYaml(hyperparameters);

    /// <inheritdoc />
    public override void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step)
    {
        foreach (var key in metrics.Keys)
            if (key != "step" && !columns.Contains(key)) columns.Add(key);
        rows.Add((step, new Dictionary<string, double>(metrics)));
    }

    /// <summary>Appends new rows; rewrites the file when new columns appeared since the last save.</summary>
    public override void Save()
    {
        if (rows.Count == rowsWritten && columns.Count == columnsWritten) return;
        var header = new[] { "step" }.Concat(columns.Where(c => c != "step")).ToList();
        bool rewrite = columns.Count != columnsWritten || rowsWritten == 0;
        var text = new StringBuilder();
        if (rewrite) text.AppendLine(string.Join(",", header.Select(Escape)));
        foreach (var (step, values) in rows.Skip(rewrite ? 0 : rowsWritten))
        {
            text.Append(step.ToString(CultureInfo.InvariantCulture));
            foreach (var column in header.Skip(1))
            {
                text.Append(',');
                if (values.TryGetValue(column, out var value)) text.Append(value.ToString("R", CultureInfo.InvariantCulture));
            }
            text.AppendLine();
        }
        if (rewrite) File.WriteAllText(MetricsPath, text.ToString());
        else File.AppendAllText(MetricsPath, text.ToString());
        rowsWritten = rows.Count;
        columnsWritten = columns.Count;
    }

    private static string Escape(string field)
        => field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
