using System.Text.Json;
using System.Text.RegularExpressions;
using LitGen.Runtime.Tests.Support;

namespace LitGen.Runtime.Tests.Loggers;

public class MetricsReportTests
{
    /// <summary>The data embedded in a report.</summary>
    private static JsonElement Embedded(string html) => PageData.Read(html, "litgen-metrics");

    [Fact]
    public void A_fit_writes_a_report_whose_data_is_exactly_metrics_csv()
    {
        using var dir = new TempDir();
        var csv = new CsvLogger(dir.Path, "run");
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 3, DefaultRootDir = dir.Path, EnableProgressBar = false, LogEveryNSteps = 1, Logger = [csv],
            Callbacks = [new LearningRateMonitor()],
        });
        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());

        Assert.True(File.Exists(csv.ReportPath));
        var data = Embedded(File.ReadAllText(csv.ReportPath));
        var lines = File.ReadAllLines(csv.MetricsPath);
        Assert.Equal(lines[0].Split(','), data.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var rows = data.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(lines.Length - 1, rows.Count);
        for (int i = 1; i < lines.Length; i++)
        {
            var expected = lines[i].Split(',').Select(f => f.Length == 0 ? (double?)null : double.Parse(f, System.Globalization.CultureInfo.InvariantCulture));
            var actual = rows[i - 1].EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble());
            Assert.Equal(expected, actual);
        }
        // Training and validation loss share a chart; the learning rate has its own.
        var families = data.GetProperty("families");
        Assert.Equal(["train_loss_epoch", "train_loss_step", "val_loss"], families.GetProperty("loss").EnumerateArray().Select(c => c.GetString()!).Order(StringComparer.Ordinal));
        Assert.True(families.TryGetProperty("learning rate", out _));
    }

    [Fact]
    public void Non_finite_values_become_gaps_and_markup_in_names_cannot_break_out()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "metrics.csv");
        File.WriteAllText(path, "step,epoch,loss,\"a</script><b>\"\n0,0,NaN,1\n1,0,0.5,2\n");
        var html = File.ReadAllText(MetricsReport.Write(path));
        var data = Embedded(html);
        Assert.Equal(JsonValueKind.Null, data.GetProperty("rows")[0][2].ValueKind);
        Assert.Equal("a</script><b>", data.GetProperty("columns")[3].GetString());
        Assert.Single(Regex.Matches(html, "</script>\\s*<script>"));
    }

    [Theory]
    [InlineData("train_loss_step", "loss")]
    [InlineData("val_loss/dataloader_idx_1", "loss")]
    [InlineData("test_acc", "acc")]
    [InlineData("lr-Adam", "learning rate")]
    [InlineData("grad_norm", "grad_norm")]
    public void Metrics_are_grouped_by_family(string metric, string family) => Assert.Equal(family, MetricsReport.Family(metric));
}

/// <summary>Runs where Debian's headless Chromium is installed (apt install chromium), to check the report really renders.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Path)) Skip = "needs a browser to render the report (apt install chromium); its data is checked without one";
    }
}

public class MetricsReportRenderingTests
{
    [ChromiumFact]
    public void The_report_draws_one_chart_per_family_in_a_real_browser()
    {
        using var dir = new TempDir();
        var path = System.IO.Path.Combine(dir.Path, "metrics.csv");
        File.WriteAllText(path, "step,epoch,train_loss,val_loss,val_acc,lr-Adam\n0,0,1.0,,,0.1\n1,0,0.8,0.9,0.5,0.1\n2,1,0.6,,,0.05\n3,1,0.5,0.7,0.7,0.05\n");
        var html = MetricsReport.Write(path);
        var start = new System.Diagnostics.ProcessStartInfo(ChromiumFactAttribute.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + html }) start.ArgumentList.Add(arg);
        using var browser = System.Diagnostics.Process.Start(start)!;
        var dom = browser.StandardOutput.ReadToEndAsync();
        _ = browser.StandardError.ReadToEndAsync();
        if (!browser.WaitForExit(TimeSpan.FromSeconds(60))) browser.Kill(entireProcessTree: true);
        // loss (train and val), acc, learning rate: three charts, with a line per series.
        Assert.Equal(3, Regex.Matches(dom.Result, "<svg").Count);
        Assert.Equal(4, Regex.Matches(dom.Result, "<polyline").Count);
    }
}
