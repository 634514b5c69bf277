namespace LitGen.Runtime.Tests.Loggers;

public class CsvLoggerTests
{
    private static readonly Dictionary<string, double> Loss = new() { ["loss"] = 0.5 };

    [Fact]
    public void Rows_reach_the_file_every_FlushLogsEveryNSteps_calls_without_waiting_for_the_epoch_end()
    {
        using var dir = new Support.TempDir();
        var logger = new CsvLogger(dir.Path, "run") { FlushLogsEveryNSteps = 2 };
        for (int step = 0; step < 5; step++) logger.LogMetrics(Loss, step);

        // Two flushes of two rows; the fifth row waits for the next flush or Save.
        Assert.Equal(["step,loss", "0,0.5", "1,0.5", "2,0.5", "3,0.5"], File.ReadAllLines(logger.MetricsPath));
        logger.Save();
        Assert.Equal(6, File.ReadAllLines(logger.MetricsPath).Length);
    }

    [Fact]
    public void Written_rows_are_not_kept_in_memory_and_a_new_column_rewrites_every_row_from_the_file()
    {
        using var dir = new Support.TempDir();
        var logger = new CsvLogger(dir.Path, "run") { FlushLogsEveryNSteps = 10 };
        for (int step = 0; step < 1000; step++)
        {
            var metrics = new Dictionary<string, double> { ["loss"] = step };
            if (step >= 600) metrics["acc"] = step / 1000.0;
            logger.LogMetrics(metrics, step);
            // A long run holds at most one flush's worth of rows (the soak's memory grew with every row before).
            Assert.InRange(logger.PendingRows, 0, 9);
        }
        logger.Save();
        Assert.Equal(0, logger.PendingRows);

        var lines = File.ReadAllLines(logger.MetricsPath);
        Assert.Equal(1001, lines.Length);
        Assert.Equal("step,loss,acc", lines[0]);
        Assert.Equal("599,599,", lines[600]);
        Assert.Equal("600,600,0.6", lines[601]);
        Assert.Equal("999,999,0.999", lines[^1]);
    }

    [Fact]
    public void Logging_into_a_folder_with_a_metrics_file_continues_it_instead_of_overwriting()
    {
        using var dir = new Support.TempDir();
        var first = new CsvLogger(dir.Path, "run", version: 0);
        first.LogMetrics(Loss, 0);
        first.Finalize(RunStatus.Success);

        var second = new CsvLogger(dir.Path, "run", version: 0);
        second.LogMetrics(new Dictionary<string, double> { ["loss"] = 0.25, ["acc"] = 0.75 }, 1);
        second.Finalize(RunStatus.Success);

        Assert.Equal(["step,loss,acc", "0,0.5,", "1,0.25,0.75"], File.ReadAllLines(second.MetricsPath));
    }

    [Fact]
    public void A_foreign_metrics_file_is_refused_and_left_as_it_was()
    {
        using var dir = new Support.TempDir();
        var logger = new CsvLogger(dir.Path, "run", version: 0);
        File.WriteAllText(logger.MetricsPath, "name,value\nmine,1\n");
        var error = Assert.Throws<IOException>(() => logger.LogMetrics(Loss, 0));
        Assert.Contains(logger.MetricsPath, error.Message);
        Assert.Equal("name,value\nmine,1\n", File.ReadAllText(logger.MetricsPath));
    }
}
