using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Loggers;

/// <summary>lightning_logs/index.html: the data it embeds, checked against the runs' own files, and the page as Chromium draws it.</summary>
public class RunsDashboardTests
{
    /// <summary>Logs a 4×4 image at the end of each training epoch.</summary>
    private sealed class ImageLogger : Callback
    {
        public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
        {
            using var image = linspace(0, 1, 16).reshape(1, 4, 4);
            trainer.Loggers.OfType<TensorBoardLogger>().Single().Experiment.AddImage("samples", image, trainer.GlobalStep);
        }
    }

    /// <summary>Three runs in one experiment folder (learning rates 0.05, 0.01 and 0.2), with the default loggers, a StepLR, histograms and images.</summary>
    internal static string ThreeRuns(string root)
    {
        foreach (var lr in new[] { 0.05, 0.01, 0.2 })
        {
            var trainer = new Trainer(new TrainerOptions
            {
                MaxEpochs = 4, DefaultRootDir = root, EnableProgressBar = false, EnableModelSummary = false, LogEveryNSteps = 1, Seed = 1,
                Callbacks = [new LearningRateMonitor(), new ParameterHistograms { EveryNSteps = 4 }, new ImageLogger()],
            });
            trainer.Fit(new StepLrModule(learningRate: lr), TestData.Line(), TestData.Line());
        }
        return Path.Combine(root, "lightning_logs");
    }

    internal static JsonElement Embedded(string html) => PageData.Read(html, "litgen-runs");

    [Fact]
    public void Every_run_of_the_experiment_is_in_the_page_with_its_metrics_hyperparameters_images_and_histograms()
    {
        using var dir = new TempDir();
        var experiment = ThreeRuns(dir.Path);
        var page = Path.Combine(experiment, "index.html");
        Assert.True(File.Exists(page));
        var html = File.ReadAllText(page);
        var data = Embedded(html);

        var runs = data.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["version_0", "version_1", "version_2"], runs.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, data.GetProperty("running").ValueKind);
        Assert.DoesNotContain("http-equiv=\"refresh\"", html);
        foreach (var (run, lr) in runs.Zip(new[] { "0.05", "0.01", "0.2" }))
        {
            var folder = Path.Combine(experiment, run.GetProperty("name").GetString()!);
            // The rows are metrics.csv's, and the final values are each column's last logged value.
            var lines = File.ReadAllLines(Path.Combine(folder, "metrics.csv"));
            var header = lines[0].Split(',');
            Assert.Equal(header, run.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
            Assert.Equal(lines.Length - 1, run.GetProperty("rows").GetArrayLength());
            int valLoss = Array.IndexOf(header, "val_loss");
            var lastValLoss = lines.Skip(1).Select(l => l.Split(',')[valLoss]).Last(f => f.Length > 0);
            Assert.Equal(double.Parse(lastValLoss, CultureInfo.InvariantCulture), run.GetProperty("final").GetProperty("val_loss").GetDouble());
            Assert.Equal(lr, run.GetProperty("hparams").GetProperty("LearningRate").GetString());
            // One image tag, its latest step; each histogram tag at up to six steps, the first and the last among them.
            var image = Assert.Single(run.GetProperty("images").EnumerateArray());
            Assert.Equal(("samples", 16L), (image.GetProperty("tag").GetString(), image.GetProperty("step").GetInt64()));
            Assert.StartsWith("data:image/png;base64,iVBORw0KGgo", image.GetProperty("src").GetString());
            var (histograms, _, _) = TensorBoardReader.ReadRich(Directory.GetFiles(folder, "events.out.tfevents.*").Single());
            var tags = histograms.Select(h => h.Tag).Distinct().Order(StringComparer.Ordinal).ToList();
            var embedded = run.GetProperty("histograms").EnumerateArray().ToList();
            Assert.Equal(tags, embedded.Select(h => h.GetProperty("tag").GetString()));
            var steps = embedded[0].GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("step").GetInt64()).ToList();
            var written = histograms.Where(h => h.Tag == tags[0]).Select(h => h.Step).ToList();
            Assert.Equal((written.Min(), written.Max()), (steps[0], steps[^1]));
            Assert.Equal(Math.Min(6, written.Count), steps.Count);
            var last = embedded[0].GetProperty("snapshots").EnumerateArray().Last();
            Assert.Equal(histograms.Last(h => h.Tag == tags[0]).BucketCounts, last.GetProperty("counts").EnumerateArray().Select(c => c.GetDouble()));
        }
        // Metric families span the runs: losses together, the learning rate on its own.
        var families = data.GetProperty("families");
        Assert.Equal(["train_loss_epoch", "train_loss_step", "val_loss"], families.GetProperty("loss").EnumerateArray().Select(m => m.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["lr-SGD"], families.GetProperty("learning rate").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void While_a_run_trains_the_page_names_it_and_reloads_itself_and_a_torn_row_is_skipped()
    {
        using var dir = new TempDir();
        var csv = new CsvLogger(dir.Path, "lightning_logs") { DashboardInterval = TimeSpan.Zero, FlushLogsEveryNSteps = 1 };
        JsonElement? duringRun = null;
        string? htmlDuringRun = null;
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, EnableModelSummary = false, Logger = [csv],
            Callbacks = [new LambdaCallback(onTrainEpochEnd: (_, _) =>
            {
                htmlDuringRun = File.ReadAllText(csv.DashboardPath);
                duringRun = Embedded(htmlDuringRun);
            })],
        });
        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());
        Assert.Equal("version_0", duringRun!.Value.GetProperty("running").GetString());
        Assert.Contains("<meta http-equiv=\"refresh\" content=\"15\">", htmlDuringRun);
        Assert.True(duringRun.Value.GetProperty("runs")[0].GetProperty("running").GetBoolean());

        var after = Embedded(File.ReadAllText(csv.DashboardPath));
        Assert.Equal(JsonValueKind.Null, after.GetProperty("running").ValueKind);

        // A row cut by a kill is left out, the rest shown; a broken event file costs its pictures only.
        File.AppendAllText(csv.MetricsPath, "99,0.5");
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(csv.MetricsPath)!, "events.out.tfevents.1.host.1.1"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
        var rewritten = Embedded(File.ReadAllText(RunsDashboard.Write(Path.Combine(dir.Path, "lightning_logs"))));
        Assert.Equal(File.ReadAllLines(csv.MetricsPath).Length - 2, rewritten.GetProperty("runs")[0].GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public void A_corrupt_record_ends_the_reading_of_an_event_file_and_what_came_before_it_is_shown()
    {
        using var dir = new TempDir();
        new Trainer(new TrainerOptions
        {
            MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, EnableModelSummary = false, EnableCheckpointing = false,
            Callbacks = [new ImageLogger()],
        }).Fit(new StepLrModule(), TestData.Line());
        var version = Path.Combine(dir.Path, "lightning_logs", "version_0");
        var events = Directory.GetFiles(version, "events.out.tfevents.*").Single();
        // A record whose length is framed correctly but whose payload is garbage that fails its checksum (a flipped disk
        // block): parsing it would throw and lose the whole file's pictures.
        var payload = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        var record = new byte[12 + payload.Length + 4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)payload.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), EventFileWriter.MaskedCrc32C(record.AsSpan(0, 8)));
        payload.CopyTo(record, 12);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + payload.Length), 12345);
        using (var file = new FileStream(events, FileMode.Append)) file.Write(record);

        var run = Embedded(File.ReadAllText(RunsDashboard.Write(Path.Combine(dir.Path, "lightning_logs")))).GetProperty("runs")[0];
        var image = Assert.Single(run.GetProperty("images").EnumerateArray());
        Assert.Equal(("samples", 8L), (image.GetProperty("tag").GetString(), image.GetProperty("step").GetInt64()));
    }

    [Fact]
    public void A_missing_experiment_folder_is_refused_with_its_path()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => RunsDashboard.Write("/nonexistent/lightning_logs"));
        Assert.Contains("/nonexistent/lightning_logs", error.Message);
    }
}

/// <summary>The line regression with SGD and a StepLR that halves the learning rate every epoch.</summary>
[LightningModule]
public partial class StepLrModule : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public double LearningRate { get; }

    private readonly TorchSharp.Modules.Linear linear = TorchSharp.torch.nn.Linear(1, 1);

    public StepLrModule(double learningRate = 0.05) => LearningRate = learningRate;

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = TorchSharp.torch.nn.functional.mse_loss(linear.forward(batch.X), batch.Y);
        Log("train_loss", loss, onStep: true, onEpoch: true);
        return loss;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_loss", TorchSharp.torch.nn.functional.mse_loss(linear.forward(batch.X), batch.Y));
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers()
    {
        var optimizer = TorchSharp.torch.optim.SGD(parameters(), LearningRate);
        return new OptimizerConfig(optimizer, TorchSharp.torch.optim.lr_scheduler.StepLR(optimizer, 1, 0.5));
    }
}

/// <summary>The dashboard as headless Chromium draws it: its DOM for each view (the view is in the page's address), and a screenshot.</summary>
public class RunsDashboardRenderingTests
{
    private static string Chromium(params string[] arguments)
    {
        var start = new ProcessStartInfo(ChromiumFactAttribute.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars" }.Concat(arguments)) start.ArgumentList.Add(argument);
        using var browser = Process.Start(start)!;
        var output = browser.StandardOutput.ReadToEndAsync();
        _ = browser.StandardError.ReadToEndAsync();
        if (!browser.WaitForExit(TimeSpan.FromSeconds(90))) browser.Kill(entireProcessTree: true);
        return output.Result;
    }

    private static string Dom(string page, string view = "") => Chromium("--dump-dom", "file://" + page + view);

    private static List<string> Attributes(string dom, string element, string attribute)
        => Regex.Matches(dom, $"<{element}\\b[^>]*?\\b{attribute}=\"([^\"]*)\"").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    private static List<string> Texts(string dom, string @class)
        => Regex.Matches(dom, $"<text[^>]*class=\"{@class}\"[^>]*>([^<]*)</text>").Select(m => m.Groups[1].Value).ToList();

    [ChromiumFact]
    public void The_page_draws_every_run_in_each_family_with_round_ticks_step_lines_the_table_images_and_histograms()
    {
        using var dir = new TempDir();
        var page = Path.Combine(RunsDashboardTests.ThreeRuns(dir.Path), "index.html");
        var dom = Dom(page);

        Assert.Contains("data-ready=\"1\"", dom);
        Assert.Equal(["loss", "learning rate"], Attributes(dom, "div", "data-family"));
        // A line per run and metric: three runs × three loss series, three learning rates.
        var runsOfLines = Attributes(dom, "path", "data-run");
        Assert.Equal(12, runsOfLines.Count);
        Assert.Equal(4, runsOfLines.Count(r => r == "version_1"));
        // Learning rates are steps (horizontal then vertical moves), the losses straight segments.
        var paths = Regex.Matches(dom, "<path [^>]*d=\"([^\"]*)\"[^>]*data-metric=\"([^\"]*)\"").Select(m => (D: m.Groups[1].Value, Metric: m.Groups[2].Value)).ToList();
        Assert.All(paths.Where(p => p.Metric == "lr-SGD"), p => Assert.Matches(@"^M[\d.]+ [\d.]+( H[\d.]+ V[\d.]+)+$", p.D));
        Assert.All(paths.Where(p => p.Metric != "lr-SGD"), p => Assert.DoesNotContain("H", p.D));
        // Round ticks: every label is a multiple of one step of 1, 2 or 5 times a power of ten.
        foreach (var labels in new[] { Texts(dom, "ytick"), Texts(dom, "xtick") })
        {
            Assert.NotEmpty(labels);
            Assert.All(labels, l => Assert.Matches(@"^-?\d+(\.\d{1,4})?$|^\d(\.\d+)?e-?\d+$", l));
        }
        var xticks = Texts(dom, "xtick").Take(3).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
        var step = xticks[1] - xticks[0];
        Assert.Contains(step / Math.Pow(10, Math.Floor(Math.Log10(step))), new[] { 1.0, 2.0, 5.0 });
        // The table: a row per run; images and histograms of each run.
        Assert.Equal(["version_0", "version_1", "version_2"], Attributes(dom, "tr", "data-run"));
        Assert.Contains("<th data-key=\"hp:LearningRate\"", dom);
        Assert.Equal(3, Regex.Matches(dom, "<img src=\"data:image/png;base64,").Count);
        Assert.Equal(3 * 4, Regex.Matches(dom, "<figure [^>]*class=\"histogram\"").Count);
    }

    [ChromiumFact]
    public void A_view_hides_runs_sorts_the_table_smooths_zooms_uses_a_log_scale_and_shows_hover_values()
    {
        using var dir = new TempDir();
        var page = Path.Combine(RunsDashboardTests.ThreeRuns(dir.Path), "index.html");
        var plain = Dom(page);
        var view = Dom(page, "#smooth=0.8&log=1&hide=version_0&sort=val_loss:desc&zoom=4,12&hover=8");

        // version_0 is hidden from the charts and images, and greyed in the table.
        Assert.DoesNotContain("version_0", Attributes(view, "path", "data-run"));
        Assert.Contains("<tr data-run=\"version_0\" class=\"hidden\">", view);
        // Sorted by the final val_loss, largest first, as the embedded data orders them.
        var data = RunsDashboardTests.Embedded(File.ReadAllText(page));
        var byLoss = data.GetProperty("runs").EnumerateArray().OrderByDescending(r => r.GetProperty("final").GetProperty("val_loss").GetDouble()).Select(r => r.GetProperty("name").GetString()!).ToList();
        Assert.Equal(byLoss, Attributes(view, "tr", "data-run"));
        Assert.Contains("class=\"sorted-desc\"", view);
        // Smoothing draws the raw line faintly behind the smoothed one, which differs from it.
        Assert.Contains("class=\"raw\"", view);
        Assert.DoesNotContain("class=\"raw\"", plain);
        // A log scale: positive losses on a log axis, ticks at powers of ten (and 2, 5 times them).
        Assert.Contains("data-scale=\"log\"", view);
        Assert.DoesNotContain("data-scale=\"log\"", plain);
        // Zoomed to steps 4..12: the x ticks lie in that range.
        Assert.All(Texts(view, "xtick").Select(l => double.Parse(l, CultureInfo.InvariantCulture)), x => Assert.InRange(x, 4, 12));
        // Hover at step 8: the tooltip names each visible run's value there.
        var tooltip = Regex.Match(view, "<div class=\"tooltip\"[^>]*>(.*?)</div></div>", RegexOptions.Singleline).Groups[1].Value;
        Assert.True(tooltip.Contains("step 8", StringComparison.Ordinal), tooltip);
        var csv = File.ReadAllLines(Path.Combine(Path.GetDirectoryName(page)!, "version_1", "metrics.csv")).Select(l => l.Split(',')).ToList();
        int column = Array.IndexOf(csv[0], "train_loss_step");
        var raw = double.Parse(csv.Single(r => r[0] == "8" && r[column].Length > 0)[column], CultureInfo.InvariantCulture);
        var shown = double.Parse(raw.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        Assert.Matches($"version_1 · train_loss_step: [0-9.]+ \\(raw {Regex.Escape(shown)}\\)", tooltip);
        Assert.Contains("version_2 · train_loss_step: ", tooltip);
    }

    [ChromiumFact]
    public void The_screenshot_shows_the_charts()
    {
        using var dir = new TempDir();
        var page = Path.Combine(RunsDashboardTests.ThreeRuns(dir.Path), "index.html");
        var shot = Path.Combine(dir.Path, "dashboard.png");
        Chromium("--window-size=1280,1400", "--screenshot=" + shot, "file://" + page);
        Assert.True(File.Exists(shot));
        var (width, height, pixels) = PngPixels(shot);
        Assert.Equal((1280, 1400), (width, height));
        // The runs' three colours are drawn (lines, swatches), not a blank or an error page.
        foreach (var color in new[] { (0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c) })
            Assert.True(pixels.Count(p => p == color) > 200, $"too few pixels of {color}");
    }

    /// <summary>The RGB pixels of a PNG written by Chromium (8-bit RGB or RGBA, any filter).</summary>
    private static (int Width, int Height, List<(int R, int G, int B)> Pixels) PngPixels(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        int channels = bytes[25] == 6 ? 4 : 3;
        using var idat = new MemoryStream();
        for (int at = 8; at < bytes.Length;)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            if (System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4) == "IDAT") idat.Write(bytes, at + 8, length);
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionMode.Decompress)) zlib.CopyTo(inflated);
        var raw = inflated.ToArray();
        int stride = width * channels;
        var previous = new byte[stride];
        var pixels = new List<(int, int, int)>(width * height);
        for (int row = 0; row < height; row++)
        {
            int filter = raw[row * (stride + 1)];
            var line = raw.AsSpan(row * (stride + 1) + 1, stride).ToArray();
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? line[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                int predictor = filter switch
                {
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Math.Abs(b - c) <= Math.Abs(a - c) && Math.Abs(b - c) <= Math.Abs(a + b - 2 * c) ? b : Math.Abs(a - c) <= Math.Abs(a + b - 2 * c) ? a : c,
                    _ => 0,
                };
                if (filter == 4)
                {
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                }
                line[i] = (byte)(line[i] + predictor);
            }
            for (int x = 0; x < width; x++) pixels.Add((line[x * channels], line[x * channels + 1], line[x * channels + 2]));
            previous = line;
        }
        return (width, height, pixels);
    }
}
