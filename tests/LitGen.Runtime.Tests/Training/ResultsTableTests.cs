using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using Microsoft.Extensions.Logging;

namespace LitGen.Runtime.Tests.Training;

/// <summary>
/// The results table after Validate/Test, checked against the text Lightning 2.1.4's own printer writes for the same
/// results (Fixtures/results_tables.py → lightning-2.1.4-results-tables.json).
/// </summary>
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
    public void Test_prints_the_table_of_what_it_returns_and_verbose_false_prints_none()
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
        Assert.DoesNotContain(factory.Messages, m => m.Message.Contains(" metric ", StringComparison.Ordinal));

        var results = trainer.Test(model, TestData.Line());
        var table = Assert.Single(factory.Messages, m => m.Message.Contains("Test metric", StringComparison.Ordinal));
        Assert.Equal(("LitGen.Trainer", LogLevel.Information), (table.Category, table.Level));
        int width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0 ? columns : 120;
        Assert.Contains(ResultsTable.Format(results, Stage.Test, width)!, table.Message, StringComparison.Ordinal);
        Assert.Contains(ResultsTable.PythonFloat(results[0]["test_loss"]), table.Message, StringComparison.Ordinal);

        trainer.Validate(model, TestData.Line(), verbose: false);
        trainer.Test(model, TestData.Line(), verbose: false);
        Assert.DoesNotContain(factory.Messages, m => m.Message.Contains("Validate metric", StringComparison.Ordinal));
        Assert.Single(factory.Messages, m => m.Message.Contains("Test metric", StringComparison.Ordinal));
    }
}
