using LitGen.Runtime.Tests.Support;

namespace LitGen.Runtime.Tests.Reliability;

/// <summary>A logger that fails at one step, as a logger on a full or vanished disk does.</summary>
public sealed class FailingLogger(long failAtStep) : Logger(Path.GetTempPath(), "failing-logger", 0)
{
    public override void LogHyperparams(IHyperparameters hyperparameters) { }

    public override void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step)
    {
        if (step == failAtStep) throw new IOException("the network share went away");
    }
}

/// <summary>Loggers on a disk that fills up, after a torn write, and beside a failing logger.</summary>
public class LogFaultTests
{
    private static TrainerOptions Options(string root, int epochs, LoggerSetting logger) => new()
    {
        MaxEpochs = epochs, DefaultRootDir = root, EnableProgressBar = false, EnableCheckpointing = false, EnableModelSummary = false, LogEveryNSteps = 1,
        Logger = logger, NumSanityValSteps = 0,
    };

    [Fact]
    public void A_disk_that_fills_while_logging_leaves_whole_rows_and_records_and_says_so()
    {
        using var dir = new TempDir();
        var logs = Path.Combine(dir.Path, "logs");
        Directory.CreateDirectory(logs);
        using var mount = SmallFileSystem.TryMount(logs, sizeKb: 256);
        if (mount is null) return; // a full disk needs a file system of its own (root); CI runs as root

        var tensorBoard = new TensorBoardLogger(logs, "run");
        var csv = new CsvLogger(logs, "run", tensorBoard.Version) { FlushLogsEveryNSteps = 1, WriteReport = false };
        // Leave some room: hparams and the first rows fit, then the writes run out of it.
        File.WriteAllBytes(Path.Combine(logs, "filler"), new byte[new DriveInfo(logs).AvailableFreeSpace - 24 * 1024]);
        var error = Assert.Throws<IOException>(() => new Trainer(Options(dir.Path, 200, new[] { (Logger)tensorBoard, csv })).Fit(new RegressionModule(), TestData.Line()));
        Assert.Contains("the disk is full", error.Message);
        Assert.Matches("Could not write '.*(metrics\\.csv|events\\.out\\.tfevents).*'", error.Message);

        var metrics = File.ReadAllText(csv.MetricsPath);
        Assert.EndsWith("\n", metrics);
        var lines = metrics.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int columns = lines[0].Split(',').Length;
        Assert.All(lines, line => Assert.Equal(columns, line.Split(',').Length));
        foreach (var events in Directory.GetFiles(tensorBoard.LogDir, "events.out.tfevents.*")) TensorBoardReader.ReadAll(events);
    }

    [Fact]
    public void A_resume_into_a_version_whose_last_row_is_torn_cuts_it_and_continues()
    {
        using var dir = new TempDir();
        var version = Path.Combine(dir.Path, "logs", "run", "version_0");
        Directory.CreateDirectory(version);
        var metrics = Path.Combine(version, "metrics.csv");
        File.WriteAllText(metrics, "step,train_loss,epoch\n0,1.5,0\n1,1.25,0\n2,1.0");

        var csv = new CsvLogger(Path.Combine(dir.Path, "logs"), "run", version: 0) { FlushLogsEveryNSteps = 1 };
        new Trainer(Options(dir.Path, 1, csv)).Fit(new RegressionModule(), TestData.Line());

        var lines = File.ReadAllLines(metrics);
        var header = lines[0].Split(',');
        Assert.All(lines, line => Assert.Equal(header.Length, line.Split(',').Length));
        // The two whole rows stay; the torn third is gone, and the new run's rows follow them.
        Assert.Equal(["0", "1.5"], lines[1].Split(',').Take(2));
        Assert.Equal(["1", "1.25"], lines[2].Split(',').Take(2));
        Assert.DoesNotContain(lines.Skip(3), line => line.Split(',')[Array.IndexOf(header, "train_loss")] == "1.0");
        Assert.Equal("0", lines[3].Split(',')[0]);
    }

    [Fact]
    public void One_loggers_failure_costs_the_other_loggers_nothing()
    {
        using var dir = new TempDir();
        var csv = new CsvLogger(Path.Combine(dir.Path, "logs"), "run") { FlushLogsEveryNSteps = 1 };
        var error = Assert.Throws<IOException>(() => new Trainer(Options(dir.Path, 1, new Logger[] { new FailingLogger(failAtStep: 2), csv })).Fit(new RegressionModule(), TestData.Line()));
        Assert.Equal("the network share went away", error.Message);
        // The CSV logger still got the row of the step the other logger failed at.
        Assert.Contains(File.ReadAllLines(csv.MetricsPath), line => line.StartsWith("2,", StringComparison.Ordinal));
    }
}
