using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

/// <summary>Keeps every prediction it sees in OnPredictBatchEnd, as a prediction writer would.</summary>
public sealed class PredictionWriter : Callback
{
    public List<float[]> Written { get; } = [];

    public override void OnPredictBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx, int dataloaderIdx)
        => Written.Add(outputs!.data<float>().ToArray());
}

/// <summary>Validate, Test and Predict after Fit without passing the module (Lightning's connected model), and Predict without keeping predictions.</summary>
public class ConnectedModuleTests
{
    private static Trainer NewTrainer(string root, CollectingLoggerFactory messages, params Callback[] callbacks) => new(new TrainerOptions
    {
        MaxEpochs = 3, DefaultRootDir = root, EnableProgressBar = false, Logger = false, NumSanityValSteps = 0, LoggerFactory = messages, Callbacks = callbacks,
    });

    [Fact]
    public void Test_without_a_module_tests_the_best_checkpoint_of_the_fit_and_says_so()
    {
        using var dir = new TempDir();
        var messages = new CollectingLoggerFactory();
        // The "best" by the highest loss is the first epoch's: another weights than the fitted module's current ones.
        var checkpoint = new ModelCheckpoint { Monitor = "val_loss", Mode = MonitorMode.Max };
        var trainer = NewTrainer(dir.Path, messages, checkpoint);
        var model = new RegressionModule();
        trainer.Fit(model, TestData.Line(), TestData.Line(2));
        var fitted = new Trainer(new TrainerOptions { DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false }).Test(model, TestData.Line(2));

        var fromBest = trainer.Test(TestData.Line(2));
        Assert.Contains(messages.Messages, m => m.Message.Contains("Test() was called without a module", StringComparison.Ordinal));
        var expected = new Trainer(new TrainerOptions { DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false })
            .Test(RegressionModule.LoadFromCheckpoint(checkpoint.BestModelPath!), TestData.Line(2));
        Assert.Equal(expected[0]["test_loss"], fromBest[0]["test_loss"], 6);
        Assert.NotEqual(fitted[0]["test_loss"], fromBest[0]["test_loss"], 6);

        // Named explicitly: the checkpoint asked for, and no warning.
        messages.Messages.Clear();
        var validated = trainer.Validate(TestData.Line(2), ckptPath: "best");
        Assert.Equal(checkpoint.BestModelScore!.Value, validated[0]["val_loss"], 6);
        Assert.DoesNotContain(messages.Messages, m => m.Message.Contains("without a module", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_dataloader_the_datamodule_of_the_fit_is_used()
    {
        using var dir = new TempDir();
        var model = new RecordingModule();
        var trainer = NewTrainer(dir.Path, new CollectingLoggerFactory(), new ModelCheckpoint());
        trainer.Fit(model, new LineDataModule(model.Calls));
        model.Calls.Clear();
        trainer.Test(ckptPath: "last");
        Assert.Equal(2, model.Calls.Count(c => c == "M.TestStep"));
    }

    [Fact]
    public void Without_a_run_there_is_no_module_to_use()
    {
        var error = Assert.Throws<MisconfigurationException>(() => new Trainer().Validate());
        Assert.Contains("trainer.Validate(model", error.Message);
    }

    [Fact]
    public void A_dataloader_of_other_batches_is_refused_with_both_types()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir.Path, new CollectingLoggerFactory());
        trainer.Fit(new RegressionModule(), TestData.Line());
        var error = Assert.Throws<MisconfigurationException>(() => trainer.Predict(new[] { zeros(2, 1) }, ckptPath: "last"));
        Assert.Contains("RegressionModule takes batches of", error.Message);
    }

    [Fact]
    public void Predict_without_returning_predictions_keeps_none_and_callbacks_still_see_every_one()
    {
        using var dir = new TempDir();
        var writer = new PredictionWriter();
        var trainer = NewTrainer(dir.Path, new CollectingLoggerFactory(), writer);
        var model = new RegressionModule();
        trainer.Fit(model, TestData.Line());

        var returned = trainer.Predict(model, TestData.Line(3), returnPredictions: false);
        Assert.Empty(returned);
        Assert.Equal(3, writer.Written.Count);
        var kept = trainer.Predict(model, TestData.Line(3));
        Assert.Equal(writer.Written.Skip(3).ToList(), kept.Select(p => p.data<float>().ToArray()).ToList());
    }
}
