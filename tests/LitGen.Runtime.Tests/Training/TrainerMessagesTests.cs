using LitGen.Runtime.Tests.Support;
using Microsoft.Extensions.Logging;

namespace LitGen.Runtime.Tests.Training;

/// <summary>A message as a host's logging receives it: category, level, EventId, rendered text and structured properties.</summary>
public sealed record LoggedMessage(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Properties, Exception? Exception)
{
    public object? this[string property] => Properties[property];
}

/// <summary>An ILoggerFactory that keeps every message, as a host's logging would receive them.</summary>
public sealed class CollectingLoggerFactory : ILoggerFactory
{
    public List<LoggedMessage> Messages { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Collector(CollectingLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // Structured providers (Serilog, OpenTelemetry, the JSON console) read the state as name/value pairs.
            var properties = (state as IEnumerable<KeyValuePair<string, object?>>)?.ToDictionary(p => p.Key, p => p.Value) ?? [];
            lock (factory.Messages) factory.Messages.Add(new LoggedMessage(category, logLevel, eventId, formatter(state, exception), properties, exception));
        }
    }
}

[Collection(ConsoleCollection.Name)]
public class TrainerMessagesTests
{
    [Fact]
    public void With_a_LoggerFactory_every_message_goes_to_ILogger_and_none_to_the_console()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var console = new StringWriter();
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(console);
        Console.SetError(console);
        try
        {
            var trainer = new Trainer(new TrainerOptions
            {
                MaxEpochs = 3, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, LoggerFactory = factory,
                Callbacks = [new EarlyStopping { Monitor = "val_loss", Verbose = true, Patience = 1 }],
            });
            trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());
            trainer.Test(new RegressionModule(), TestData.Line());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }

        Assert.Equal("", console.ToString());
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.ModelSummary" && m.Level == LogLevel.Information && m.Message.Contains("trainable params"));
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.ProgressBar" && m.Message.StartsWith("Epoch 0 completed", StringComparison.Ordinal));
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.ProgressBar" && m.Message.StartsWith("Test completed", StringComparison.Ordinal));
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.EarlyStopping" && m.Message.StartsWith("EarlyStopping:", StringComparison.Ordinal));
        // Progress lines are whole lines, never the terminal's carriage returns or escape codes.
        Assert.DoesNotContain(factory.Messages, m => m.Message.Contains('\r') || m.Message.Contains('\u001b'));
    }

    [Fact]
    public void Warnings_reach_ILogger_as_warnings()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, Logger = false, EnableProgressBar = false, LoggerFactory = factory });
        trainer.Fit(new NullOptimizerModule(), TestData.Line());
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.Trainer" && m.Level == LogLevel.Warning && m.Message.Contains("no optimizer"));
    }

    [Fact]
    public void A_live_progress_bar_draws_training_validation_and_the_fits_ETA()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 2, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableModelSummary = false,
            Callbacks = [new ProgressBar { Output = output, Live = true, RefreshInterval = TimeSpan.Zero }],
        });
        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());
        var text = output.ToString();
        Assert.Contains("\rEpoch 1/1:  50%|█████     | 2/4 [", text);
        Assert.Matches(@"it/s, fit \d\d:\d\d left, ", text);
        Assert.Contains("\rValidation:  25%|██▌       | 1/4 [", text);
        Assert.Contains("\rSanity checking:  50%|█████     | 1/2 [", text);
        Assert.Contains("val_loss=", text);
    }

    private static readonly Dictionary<int, string> EventNames = typeof(TrainerEventIds).GetFields()
        .ToDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);

    [Fact]
    public void Every_message_of_a_run_has_its_stable_EventId_and_named_properties()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var checkpoints = new ModelCheckpoint { DirPath = Path.Combine(dir.Path, "ckpt"), Monitor = "val_loss", SaveTopK = 1, Verbose = true };
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 3, DefaultRootDir = dir.Path, Logger = false, LoggerFactory = factory, NumSanityValSteps = 0,
            Callbacks = [checkpoints, new EarlyStopping { Monitor = "val_loss", Verbose = true, Patience = 5 }],
        });
        var model = new RegressionModule();
        trainer.Fit(model, TestData.Line(), TestData.Line());
        var tested = trainer.Test(model, TestData.Line())[0];

        Assert.NotEmpty(factory.Messages);
        foreach (var message in factory.Messages)
        {
            // Each EventId is one of TrainerEventIds, named as its constant, and the template travels with the values.
            Assert.True(EventNames.TryGetValue(message.EventId.Id, out var name), $"EventId {message.EventId.Id} of '{message.Message}' is not in TrainerEventIds");
            Assert.Equal(name, message.EventId.Name);
            Assert.True(message.Properties.ContainsKey("{OriginalFormat}"));
        }

        var layers = factory.Messages.Where(m => m.EventId.Id == TrainerEventIds.ModelSummaryLayer).ToList();
        Assert.Equal([("input", "Linear", 16L), ("output", "Linear", 9L)], layers.Select(l => ((string)l["Layer"]!, (string)l["LayerType"]!, (long)l["Parameters"]!)));
        var totals = Assert.Single(factory.Messages, m => m.EventId.Id == TrainerEventIds.ModelSummaryTotals);
        Assert.Equal((25L, 25L, 0L), ((long)totals["TotalParameters"]!, (long)totals["TrainableParameters"]!, (long)totals["NonTrainableParameters"]!));

        var epochs = factory.Messages.Where(m => m.EventId.Id == TrainerEventIds.EpochCompleted).ToList();
        Assert.Equal([(0, 4L, 4), (1, 8L, 4), (2, 12L, 4)], epochs.Select(e => ((int)e["Epoch"]!, (long)e["Step"]!, (int)e["Batches"]!)));
        // The last epoch's metrics, one event each: the progress bar's and validation's, as the bar's last line shows them.
        var lastEpoch = factory.Messages.Where(m => m.EventId.Id == TrainerEventIds.EpochMetric && (int)m["Epoch"]! == 2).ToDictionary(m => (string)m["Metric"]!, m => (double)m["Value"]!);
        var expected = trainer.ProgressBarMetrics.ToDictionary();
        expected["val_loss"] = trainer.CallbackMetrics["val_loss"];
        Assert.Equal(expected.OrderBy(m => m.Key), lastEpoch.OrderBy(m => m.Key));
        Assert.Contains("train_loss_step", lastEpoch.Keys);

        var saved = factory.Messages.Where(m => m.EventId.Id == TrainerEventIds.CheckpointSaved).ToList();
        Assert.NotEmpty(saved);
        Assert.All(saved, s => Assert.Equal("val_loss", s["Monitor"]));
        Assert.Equal(checkpoints.BestModelPath, saved[^1]["Path"]);
        Assert.Equal(checkpoints.BestModelScore, (double)saved[^1]["Score"]!);
        Assert.True(File.Exists((string)saved[^1]["Path"]!));

        Assert.Equal(3, factory.Messages.Count(m => m.EventId.Id == TrainerEventIds.EarlyStoppingCheck && ((string)m["Reason"]!).Contains("val_loss", StringComparison.Ordinal)));
        var testEnd = Assert.Single(factory.Messages, m => m.EventId.Id == TrainerEventIds.EvaluationCompleted);
        Assert.Equal((Stage.Test, 4), ((Stage)testEnd["Stage"]!, (int)testEnd["Batches"]!));
        var result = Assert.Single(factory.Messages, m => m.EventId.Id == TrainerEventIds.EvaluationResults);
        Assert.Equal(tested["test_loss"], (double)result["Value"]!);
    }

    [Fact]
    public void Warnings_carry_their_EventId_level_and_properties_and_a_repeated_one_is_said_once()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, Logger = false, EnableProgressBar = false, EnableModelSummary = false, LoggerFactory = factory });
        trainer.Fit(new NullOptimizerModule(), TestData.Line());
        var warning = Assert.Single(factory.Messages, m => m.EventId.Id == TrainerEventIds.NoOptimizer);
        Assert.Equal((LogLevel.Warning, nameof(NullOptimizerModule)), (warning.Level, warning["Module"]));
    }

    [Fact]
    public void Only_rank_zero_speaks_and_the_other_ranks_format_nothing()
    {
        var factory = new CollectingLoggerFactory();
        var rankOne = new TrainerMessages(factory, isGlobalZero: () => false);
        Assert.False(rankOne.Logger("Trainer").IsEnabled(LogLevel.Warning));
        rankOne.Info("MyCallback", "hello");
        rankOne.Warn("MyCallback", "careful");
        TrainerLog.CheckpointSaved(rankOne.Logger(nameof(ModelCheckpoint)), 0, 1, "val_loss", 0.5, 0.5, "a.ckpt", 1);
        Assert.Empty(factory.Messages);

        var rankZero = new TrainerMessages(factory, isGlobalZero: () => true);
        rankZero.Info("MyCallback", "hello");
        rankZero.WarnOnce("MyCallback", "careful");
        rankZero.WarnOnce("MyCallback", "careful");
        Assert.Equal([("LitGen.MyCallback", LogLevel.Information, TrainerEventIds.CallbackInfo, "hello"), ("LitGen.MyCallback", LogLevel.Warning, TrainerEventIds.CallbackWarning, "careful")],
            factory.Messages.Select(m => (m.Category, m.Level, m.EventId.Id, m.Message)));
    }

    [Fact]
    public void Without_a_LoggerFactory_the_console_gets_the_same_messages_rendered_and_warnings_on_standard_error()
    {
        using var dir = new TempDir();
        var (output, errors) = ConsoleCapture.Run(() => new Trainer(new TrainerOptions
        {
            MaxEpochs = 2, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false,
            Callbacks = [new StopAtEpoch(0)],
        }).Fit(new NullOptimizerModule(), TestData.Line()));
        // The summary as Lightning's table, the stop notice as one line; the warning on standard error.
        Assert.Contains("Trainable params", output);
        Assert.Contains("Trainer.ShouldStop stopped training at epoch 0, step 4: it was set by a callback or the module.", output);
        Assert.Equal($"Warning: {nameof(NullOptimizerModule)}.ConfigureOptimizers returned no optimizer; this fit runs without one (its steps change no weights).{Environment.NewLine}", errors);
    }
}
