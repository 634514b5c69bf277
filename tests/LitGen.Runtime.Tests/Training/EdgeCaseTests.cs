using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen.Runtime.Tests.Training;

[LightningModule]
public partial class SkippingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
        => batchIdx % 2 == 0 ? null : nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("batches", 1.0, reduceFx: ReduceFx.Sum);
        return null;
    }

    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) => batch.X;

    public override OptimizerConfig ConfigureOptimizers() => SGD(parameters(), 0.01);
}

public sealed class ExceptionRecorder : Callback
{
    public List<Exception> Seen { get; } = [];

    public override void OnException(Trainer trainer, LightningModule module, Exception exception) => Seen.Add(exception);
}

public class EdgeCaseTests
{
    private static Trainer NewTrainer(TempDir dir, TrainerOptions options) =>
        new(options with { DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false });

    [Fact]
    public void TrainingStep_returning_null_skips_backward_but_the_step_still_counts()
    {
        // Lightning 2.1.4, run here: a step returning None for every other batch still gives global_step 10 of 10.
        using var dir = new TempDir();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 2 });
        var model = new SkippingModule();
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        trainer.Fit(model, TestData.Line(batches: 5));
        Assert.Equal(10, trainer.GlobalStep);
        Assert.Contains(model.state_dict(), p => !p.Value.equal(before[p.Key]).all().item<bool>());
    }

    [Fact]
    public void A_skipped_batch_does_not_change_the_weights()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, LimitTrainBatches = 1 });
        var model = new SkippingModule();
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        trainer.Fit(model, TestData.Line(batches: 5));
        Assert.Equal(1, trainer.GlobalStep);
        Assert.All(model.state_dict(), p => Assert.True(p.Value.equal(before[p.Key]).all().item<bool>(), p.Key));
    }

    [Fact]
    public void LimitTestBatches_and_LimitPredictBatches_limit_their_runs()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir, new TrainerOptions { LimitTestBatches = 2, LimitPredictBatches = 0.5 });
        var model = new SkippingModule();
        Assert.Equal(2, trainer.Test(model, TestData.Line(batches: 6))[0]["batches"]);
        Assert.Equal(3, trainer.Predict(model, TestData.Line(batches: 6)).Count);
    }

    [Fact]
    public void A_dataloader_that_throws_mid_epoch_reaches_OnException_and_propagates()
    {
        using var dir = new TempDir();
        var recorder = new ExceptionRecorder();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, Callbacks = [recorder] });
        var error = Assert.Throws<IOException>(() => trainer.Fit(new SkippingModule(), FailingLoader()));
        Assert.Same(error, Assert.Single(recorder.Seen));
        // The loader has no length, so batch 1 is processed only after batch 2 was fetched: the failure comes first,
        // as with Lightning's prefetching data fetcher. Batch 0 returned no loss, and its step still counts.
        Assert.Equal(1, trainer.GlobalStep);

        static IEnumerable<(Tensor X, Tensor Y)> FailingLoader()
        {
            foreach (var batch in TestData.Line(batches: 2)) yield return batch;
            throw new IOException("disk went away");
        }
    }

    [Fact]
    public void Malformed_optimizer_configurations_are_refused()
    {
        var parameter = new TorchSharp.Modules.Parameter(ones(1));
        var optimizer = SGD([parameter], 0.1);
        Assert.Contains("null optimizer", Assert.Throws<MisconfigurationException>(() => new OptimizerConfig([optimizer, null!], [])).Message);
        Assert.Contains("without an optimizer", Assert.Throws<MisconfigurationException>(
            () => new OptimizerConfig([], [new LrSchedulerConfig(lr_scheduler.StepLR(optimizer, 1))])).Message);

    }

    [Theory]
    [InlineData("plateau", "Monitor")]
    [InlineData("frequency", "Frequency")]
    public void Invalid_scheduler_settings_are_refused_when_fit_starts(string kind, string expected)
    {
        using var dir = new TempDir();
        var model = new ConfigurableModule
        {
            Optimization = m =>
            {
                var o = SGD(m.parameters(), 0.1);
                return new OptimizerConfig(o, kind == "plateau"
                    ? new LrSchedulerConfig(lr_scheduler.ReduceLROnPlateau(o))
                    : new LrSchedulerConfig(lr_scheduler.StepLR(o, 1)) { Frequency = 0 });
            },
        };
        var error = Assert.Throws<MisconfigurationException>(() => NewTrainer(dir, new TrainerOptions { MaxEpochs = 1 }).Fit(model, TestData.Line()));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_six_return_forms_convert()
    {
        var parameter = new TorchSharp.Modules.Parameter(ones(1));
        var first = SGD([parameter], 0.1);
        var second = Adam([parameter], 0.1);
        var scheduler = lr_scheduler.StepLR(first, 1);

        OptimizerConfig single = first;
        OptimizerConfig several = new Optimizer[] { first, second };
        OptimizerConfig withSchedulers = (new Optimizer[] { first }, new[] { scheduler });
        var configured = new OptimizerConfig(first, new LrSchedulerConfig(scheduler) { Interval = Interval.Step, Monitor = "m" });
        var lists = new OptimizerConfig([first, second], [scheduler]);

        Assert.Single(single.Optimizers);
        Assert.Equal(2, several.Optimizers.Count);
        Assert.Same(scheduler, Assert.Single(withSchedulers.Schedulers).Scheduler);
        Assert.Equal(Interval.Step, configured.Schedulers[0].Interval);
        Assert.Equal(Interval.Epoch, lists.Schedulers[0].Interval);
        Assert.Empty(OptimizerConfig.None.Optimizers);
    }

    [Fact]
    public void Strict_false_skips_a_plateau_step_whose_metric_is_missing()
    {
        using var dir = new TempDir();
        var model = new ConfigurableModule
        {
            Optimization = m =>
            {
                var o = SGD(m.parameters(), 0.1);
                return new OptimizerConfig(o, new LrSchedulerConfig(lr_scheduler.ReduceLROnPlateau(o, patience: 0)) { Monitor = "missing", Strict = false });
            },
        };
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 2 });
        trainer.Fit(model, TestData.Line());
        Assert.Equal(8, trainer.GlobalStep);

        var strict = new ConfigurableModule
        {
            Optimization = m =>
            {
                var o = SGD(m.parameters(), 0.1);
                return new OptimizerConfig(o, new LrSchedulerConfig(lr_scheduler.ReduceLROnPlateau(o)) { Monitor = "missing" });
            },
        };
        var error = Assert.Throws<MisconfigurationException>(() => NewTrainer(dir, new TrainerOptions { MaxEpochs = 1 }).Fit(strict, TestData.Line()));
        Assert.Contains("'missing'", error.Message);
    }
}
