using System;
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
public class CsvLogger : Logger
{
    private readonly List<string> columns = [];
    // Rows not yet in metrics.csv; written rows are not kept (a long run would hold them all), and are read back from the
    // file on the rare save that rewrites it for a new column.
    private readonly List<(long Step, Dictionary<string, double> Values)> pending = [];
    private bool headerWritten;

    /// <summary>Rows logged and not yet written (what the logger holds in memory).</summary>
    internal int PendingRows => pending.Count;
    private int columnsWritten;
    private bool existingLoaded;
    private long lastDashboard;
    private bool dashboardWarned;

    /// <summary>Creates a CSV logger writing under <paramref name="saveDir"/>/<paramref name="name"/>.</summary>
    public CsvLogger(string saveDir = "lightning_logs", string name = "lightning_logs", int? version = null)
        : base(saveDir, name, version)
    {
    }

    /// <summary>Write the rows to <c>metrics.csv</c> every this many logging calls (default 100, Lightning's <c>flush_logs_every_n_steps</c>), and at every epoch end.</summary>
    public int FlushLogsEveryNSteps { get; init; } = 100;

    /// <summary>The path of <c>metrics.csv</c>.</summary>
    public string MetricsPath => Path.Combine(LogDir, "metrics.csv");

    /// <summary>Write <c>metrics.html</c>, the charts of <c>metrics.csv</c>, when the run ends (default true); see <see cref="MetricsReport"/>.</summary>
    public bool WriteReport { get; init; } = true;

    /// <summary>The path of <c>metrics.html</c>.</summary>
    public string ReportPath => Path.Combine(LogDir, "metrics.html");

    /// <summary>
    /// Keep <c>index.html</c>, the dashboard of every run in this logger's experiment folder, up to date (default true): at
    /// most every <see cref="DashboardInterval"/> while the run logs, and when it ends; see <see cref="RunsDashboard"/>.
    /// </summary>
    public bool WriteDashboard { get; init; } = true;

    /// <summary>The least time between two rewrites of the dashboard while the run logs (default 30 s).</summary>
    public TimeSpan DashboardInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The path of the experiment's dashboard, <c>{saveDir}/{name}/index.html</c>.</summary>
    public string DashboardPath => Path.Combine(SaveDir, Name, "index.html");

    /// <inheritdoc />
    public override void Finalize(RunStatus status)
    {
        Save();
        if (WriteReport && File.Exists(MetricsPath)) MetricsReport.Write(MetricsPath, ReportPath);
        if (WriteDashboard) UpdateDashboard(running: false);
    }

    /// <summary>The dashboard is a view: failing to write it warns, and never fails the run whose rows are safe.</summary>
    private void UpdateDashboard(bool running)
    {
        lastDashboard = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            RunsDashboard.Write(Path.Combine(SaveDir, Name), running ? Path.GetFileName(LogDir) : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!dashboardWarned) RankZero.Warn($"Could not write the runs dashboard '{DashboardPath}' ({e.Message}); the run's own files are not affected.");
            dashboardWarned = true;
        }
    }

    /// <inheritdoc />
    public override void LogHyperparams(IHyperparameters hyperparameters) => WriteHparamsYaml(hyperparameters);

    /// <inheritdoc />
    public override void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step)
    {
        LoadExistingRows();
        foreach (var key in metrics.Keys)
            if (key != "step" && !columns.Contains(key)) columns.Add(key);
        pending.Add((step, new Dictionary<string, double>(metrics)));
        if (pending.Count >= Math.Max(1, FlushLogsEveryNSteps)) Save();
    }

    /// <summary>
    /// Appends new rows in one write; rewrites the file (through a temporary file and a rename, its rows read back) when
    /// new columns appeared since the last save. A killed process leaves whole rows only.
    /// </summary>
    public override void Save()
    {
        if (pending.Count == 0 && columns.Count == columnsWritten) return;
        var header = new[] { "step" }.Concat(columns.Where(c => c != "step")).ToList();
        bool rewrite = columns.Count != columnsWritten || !headerWritten;
        var text = new StringBuilder();
        if (rewrite)
        {
            text.AppendLine(string.Join(",", header.Select(Escape)));
            if (headerWritten) AppendRows(text, header, ReadRows().Rows);
        }
        AppendRows(text, header, pending);
        if (rewrite)
        {
            try
            {
                AtomicFile.WriteAllText(MetricsPath, text.ToString());
            }
            catch (IOException e)
            {
                throw RecordAppend.Failure(MetricsPath, e, "the file is as it was");
            }
        }
        else
        {
            using var file = new FileStream(MetricsPath, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
            RecordAppend.Write(file, Encoding.UTF8.GetBytes(text.ToString()), MetricsPath);
        }
        pending.Clear();
        headerWritten = true;
        columnsWritten = columns.Count;
        if (WriteDashboard && (lastDashboard == 0 || System.Diagnostics.Stopwatch.GetElapsedTime(lastDashboard) >= DashboardInterval)) UpdateDashboard(running: true);
    }

    private static void AppendRows(StringBuilder text, List<string> header, IEnumerable<(long Step, Dictionary<string, double> Values)> rows)
    {
        foreach (var (step, values) in rows)
        {
            text.Append(step.ToString(CultureInfo.InvariantCulture));
            foreach (var column in header.Skip(1))
            {
                text.Append(',');
                if (values.TryGetValue(column, out var value)) text.Append(value.ToString("R", CultureInfo.InvariantCulture));
            }
            text.AppendLine();
        }
    }

    // A run logging into a version folder that already has metrics.csv (an explicit version, a resume) continues the
    // file: its rows are kept, never overwritten.
    private void LoadExistingRows()
    {
        if (existingLoaded) return;
        existingLoaded = true;
        if (!File.Exists(MetricsPath)) return;
        CutTornLastRow();
        // Read once to check every row; the rows stay in the file.
        var (header, _) = ReadRows();
        if (header.Count == 0) return;
        columns.AddRange(header.Skip(1));
        (headerWritten, columnsWritten) = (true, columns.Count);
    }

    /// <summary>The header and rows of metrics.csv; a file that is not a metrics file, or a malformed row, is refused naming the file.</summary>
    private (List<string> Header, List<(long Step, Dictionary<string, double> Values)> Rows) ReadRows()
    {
        var rows = new List<(long Step, Dictionary<string, double> Values)>();
        var lines = File.ReadAllLines(MetricsPath);
        if (lines.Length == 0) return ([], rows);
        var header = MetricsReport.SplitCsv(lines[0]);
        if (header.Count == 0 || header[0] != "step")
            throw new IOException($"'{MetricsPath}' exists but is not a metrics file (its first column is not 'step'); log into another version or move the file away.");
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var fields = line.Split(',');
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            long step = 0;
            bool wellFormed = fields.Length == header.Count && long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out step);
            for (int i = 1; wellFormed && i < fields.Length; i++)
            {
                if (fields[i].Length == 0) continue;
                wellFormed = double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var value);
                values[header[i]] = value;
            }
            if (!wellFormed)
                throw new IOException($"'{MetricsPath}' has a malformed row ('{line}'); log into another version or repair the file.");
            rows.Add((step, values));
        }
        return (header, rows);
    }

    // A row cut short (a writer killed or out of disk before LitGen cut back its writes) is dropped, with a warning,
    // so that a resumed run continues after the last whole row.
    private void CutTornLastRow()
    {
        using var file = new FileStream(MetricsPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        if (file.Length == 0) return;
        var bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        if (bytes[^1] == (byte)'\n') return;
        int whole = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        file.SetLength(whole);
        RankZero.Warn($"'{MetricsPath}' ended in a partial row ({bytes.Length - whole} bytes, from a run that was killed or ran out of disk); it was cut back to its last whole row.");
    }

    private static string Escape(string field)
        => field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
