using LitGen.Runtime.Tests.Support;
using Microsoft.Extensions.Logging;

namespace LitGen.Runtime.Tests.Training;

/// <summary>Asks the trainer to stop at the end of epoch <see cref="Epoch"/>.</summary>
public sealed class StopAtEpoch(int epoch) : Callback
{
    public int Epoch => epoch;

    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        if (trainer.CurrentEpoch == epoch) trainer.ShouldStop = true;
    }
}

/// <summary>A fit that a stop request ends says so in one line: which callback, why, and when; one that runs out does not.</summary>
public class StopNoticeTests
{
    private static List<string> TrainerInfo(CollectingLoggerFactory factory)
        => factory.Messages.Where(m => m.Category == "LitGen.Trainer" && m.Level == LogLevel.Information).Select(m => m.Message).ToList();

    private static Trainer NewTrainer(TempDir dir, CollectingLoggerFactory factory, int maxEpochs, params Callback[] callbacks) => new(new TrainerOptions
    {
        MaxEpochs = maxEpochs, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false,
        EnableModelSummary = false, NumSanityValSteps = 0, LoggerFactory = factory, Callbacks = [.. callbacks],
    });

    [Fact]
    public void EarlyStopping_says_it_stopped_the_fit_at_which_epoch_and_why()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var early = new EarlyStopping { Monitor = "val_loss", Patience = 2 };
        var trainer = NewTrainer(dir, factory, 10, early);

        // A learning rate of 0 keeps val_loss where it starts: epoch 0 sets the best, epochs 1 and 2 do not improve it.
        trainer.Fit(new RegressionModule(learningRate: 0), TestData.Line(), TestData.Line());

        Assert.Equal(2, early.StoppedEpoch);
        var notice = Assert.Single(TrainerInfo(factory), m => m.Contains("stopped training", StringComparison.Ordinal));
        Assert.StartsWith("EarlyStopping stopped training at epoch 2, step 12: Monitored metric val_loss did not improve in the last 2 records. Best score: ", notice, StringComparison.Ordinal);
    }

    [Fact]
    public void A_users_stop_request_is_reported_with_its_epoch_and_step()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var trainer = NewTrainer(dir, factory, 10, new StopAtEpoch(1));

        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());

        Assert.Equal(2, trainer.CurrentEpoch);
        Assert.Contains("Trainer.ShouldStop stopped training at epoch 1, step 8: it was set by a callback or the module.", TrainerInfo(factory));
    }

    [Fact]
    public void An_EarlyStopping_that_stopped_an_earlier_fit_is_not_named_for_a_later_stop()
    {
        using var dir = new TempDir();
        var early = new EarlyStopping { Monitor = "val_loss", Patience = 2 };
        NewTrainer(dir, new CollectingLoggerFactory(), 10, early).Fit(new RegressionModule(learningRate: 0), TestData.Line(), TestData.Line());
        Assert.NotNull(early.StoppingReason);

        // The same EarlyStopping again; no validation in epoch 0, so it does not check there, and the user's callback stops.
        var factory = new CollectingLoggerFactory();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 10, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
            NumSanityValSteps = 0, CheckValEveryNEpoch = 2, LoggerFactory = factory, Callbacks = [early, new StopAtEpoch(0)],
        });
        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());

        Assert.Equal(1, trainer.CurrentEpoch);
        Assert.Contains("Trainer.ShouldStop stopped training at epoch 0, step 4: it was set by a callback or the module.", TrainerInfo(factory));
    }

    [Fact]
    public void A_fit_that_ends_at_MaxEpochs_says_nothing_even_if_a_stop_came_in_its_last_epoch()
    {
        using var dir = new TempDir();
        var factory = new CollectingLoggerFactory();
        var trainer = NewTrainer(dir, factory, 2, new StopAtEpoch(1));

        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());

        Assert.Equal(2, trainer.CurrentEpoch);
        Assert.DoesNotContain(TrainerInfo(factory), m => m.Contains("stopped", StringComparison.Ordinal));
    }
}
