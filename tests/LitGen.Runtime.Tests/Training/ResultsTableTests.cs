using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using Microsoft.Extensions.Logging;

namespace LitGen.Runtime.Tests.Training;

/// <summary>
/// The results table after Validate/Test, checked against the text Lightning 2.1.4's own printer writes for the same
/// results (Fixtures/results_tables.py → lightning-2.1.4-results-tables.json).
/// </summary>
[Collection(ConsoleCollection.Name)]
public class ResultsTableTests
{
    private static readonly JsonNode Fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Training", "Fixtures", "lightning-2.1.4-results-tables.json")))!;

    public static TheoryData<string> Cases() => [.. Fixture["tables"]!.AsArray().Select(c => (string)c!["name"]!)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_table_is_Lightnings_to_the_character(string name)
    {
        var table = Fixture["tables"]!.AsArray().Single(c => (string)c!["name"]! == name)!;
        var results = table["results"]!.AsArray()
            .Select(r => (IReadOnlyDictionary<string, double>)r!.AsObject().ToDictionary(p => p.Key, p => (double)p.Value!))
            .ToList();
        var stage = (string)table["stage"]! == "validate" ? Stage.Validate : Stage.Test;

        var text = ResultsTable.Format(results, stage, (int)table["width"]!);

        var printed = (string)table["printed"]!;
        Assert.Equal(printed.Length == 0 ? null : printed.TrimEnd('\n'), text);
    }

    [Fact]
    public void Values_are_written_as_Python_writes_floats()
    {
        foreach (var number in Fixture["floats"]!.AsArray())
            Assert.Equal((string)number!["repr"]!, ResultsTable.PythonFloat((double)number["value"]!));
    }

    [Fact]
    public void Test_prints_the_table_of_what_it_returns_on_the_console_and_verbose_false_prints_none()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
        });
        var model = new RegressionModule();
        var (fitOutput, _) = ConsoleCapture.Run(() => trainer.Fit(model, TestData.Line(), TestData.Line()));
        Assert.DoesNotContain(" metric ", fitOutput, StringComparison.Ordinal);

        IReadOnlyList<IReadOnlyDictionary<string, double>> results = [];
        var (output, errors) = ConsoleCapture.Run(() => results = trainer.Test(model, TestData.Line()));
        int width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0 ? columns : 120;
        Assert.Equal(ResultsTable.Format(results, Stage.Test, width) + Environment.NewLine, output);
        Assert.Contains(ResultsTable.PythonFloat(results[0]["test_loss"]), output, StringComparison.Ordinal);
        Assert.Equal("", errors);

        var (quiet, _) = ConsoleCapture.Run(() =>
        {
            trainer.Validate(model, TestData.Line(), verbose: false);
            trainer.Test(model, TestData.Line(), verbose: false);
        });
        Assert.Equal("", quiet);
    }

    [Fact]
    public void With_a_LoggerFactory_the_tables_rows_are_events_with_stage_dataloader_metric_and_value()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false,
            EnableModelSummary = false, LoggerFactory = factory,
        });
        var model = new RegressionModule();
        trainer.Fit(model, TestData.Line(), TestData.Line());
        Assert.DoesNotContain(factory.Messages, m => m.EventId.Id == TrainerEventIds.EvaluationResults);

        var results = trainer.Test(model, [TestData.Line(), TestData.Line(batches: 2)]);
        var rows = factory.Messages.Where(m => m.EventId.Id == TrainerEventIds.EvaluationResults).ToList();
        Assert.All(rows, r => Assert.Equal(("LitGen.Trainer", LogLevel.Information, nameof(TrainerEventIds.EvaluationResults)), (r.Category, r.Level, r.EventId.Name)));
        Assert.Equal(
            results.SelectMany((metrics, i) => metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => ((object?)Stage.Test, (object?)i, (object?)m.Key, (object?)m.Value))),
            rows.Select(r => (r["Stage"], r["DataloaderIndex"], r["Metric"], r["Value"])));

        factory.Messages.Clear();
        trainer.Validate(model, TestData.Line(), verbose: false);
        trainer.Test(model, TestData.Line(), verbose: false);
        Assert.DoesNotContain(factory.Messages, m => m.EventId.Id == TrainerEventIds.EvaluationResults);
    }
}
