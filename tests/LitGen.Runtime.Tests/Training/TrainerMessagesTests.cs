using LitGen.Runtime.Tests.Support;
using Microsoft.Extensions.Logging;

namespace LitGen.Runtime.Tests.Training;

/// <summary>An ILoggerFactory that keeps every message, as a host's logging would receive them.</summary>
public sealed class CollectingLoggerFactory : ILoggerFactory
{
    public List<(string Category, LogLevel Level, string Message)> Messages { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Collector(CollectingLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (factory.Messages) factory.Messages.Add((category, logLevel, formatter(state, exception)));
        }
    }
}

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
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.ModelSummary" && m.Level == LogLevel.Information && m.Message.Contains("Trainable params"));
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.ProgressBar" && m.Message.StartsWith("Epoch 0", StringComparison.Ordinal));
        Assert.Contains(factory.Messages, m => m.Category == "LitGen.ProgressBar" && m.Message.StartsWith("Testing: done", StringComparison.Ordinal));
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
}
