using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

[LightningModule]
public partial class NoTrainingStepModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);
}

[LightningModule]
public partial class NoOptimizerModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => layer.forward(batch.X).sum();
}

[LightningModule]
public partial class NullOptimizerModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => layer.forward(batch.X).sum();

    public override OptimizerConfig ConfigureOptimizers() => null!;
}

public class MisconfigurationTests
{
    private static Trainer NewTrainer(TempDir dir, TrainerOptions? options = null) => new((options ?? new TrainerOptions()) with
    {
        DefaultRootDir = dir.Path,
        EnableProgressBar = false,
        Logger = false,
    });

    [Theory]
    [InlineData("33-true", "Unknown precision \"33-true\"")]
    [InlineData("transformer-engine", "Use one of \"32-true\", \"64-true\", \"bf16-true\", \"16-true\", \"bf16-mixed\", \"16-mixed\"")]
    public void Unsupported_precision_is_refused_with_what_to_use(string precision, string expected)
    {
        var error = Assert.Throws<MisconfigurationException>(() => new Trainer(new TrainerOptions { Precision = precision }));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Unknown_accelerator_is_refused()
        => Assert.Contains("Unknown accelerator", Assert.Throws<MisconfigurationException>(() => new Trainer(new TrainerOptions { Accelerator = "tpu" })).Message);

    [Fact]
    public void A_callback_setting_AccumulateGradBatches_below_1_is_refused_and_the_value_stays()
    {
        var trainer = new Trainer(new TrainerOptions { AccumulateGradBatches = 2 });
        var error = Assert.Throws<MisconfigurationException>(() => trainer.AccumulateGradBatches = 0);
        Assert.Contains("AccumulateGradBatches must be 1 or more, got 0", error.Message);
        Assert.Equal(2, trainer.AccumulateGradBatches);
        trainer.AccumulateGradBatches = 4;
        Assert.Equal(4, trainer.AccumulateGradBatches);
    }

    [Fact]
    public void Fit_without_TrainingStep_fails_before_training()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<MisconfigurationException>(() => NewTrainer(dir).Fit(new NoTrainingStepModule(), TestData.Line()));
        Assert.Contains("override TrainingStep", error.Message);
    }

    [Fact]
    public void Fit_without_ConfigureOptimizers_fails_with_the_fix()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<MisconfigurationException>(() => NewTrainer(dir).Fit(new NoOptimizerModule(), TestData.Line()));
        Assert.Contains("has no ConfigureOptimizers: override it", error.Message);
    }

    [Fact]
    public void ConfigureOptimizers_returning_null_trains_without_an_optimizer()
    {
        // Lightning 2.1.4, run here: configure_optimizers returning None trains, counting 10 steps for 10 batches.
        using var dir = new TempDir();
        var model = new NullOptimizerModule();
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1 });
        trainer.Fit(model, TestData.Line(batches: 10));
        Assert.Equal(10, trainer.GlobalStep);
        Assert.All(model.state_dict(), p => Assert.True(p.Value.equal(before[p.Key]).all().item<bool>(), p.Key));
    }

    [Fact]
    public void Monitor_key_that_was_never_logged_is_named_with_the_available_ones()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 2, Callbacks = [new EarlyStopping { Monitor = "val_los" }] });
        var error = Assert.Throws<MisconfigurationException>(() => trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line()));
        Assert.Contains("'val_los'", error.Message);
        Assert.Contains("val_loss", error.Message);
    }

    [Fact]
    public void Log_outside_a_running_trainer_is_an_error()
    {
        var model = new RegressionModule();
        var error = Assert.Throws<MisconfigurationException>(() => model.Log("x", 1.0));
        Assert.Contains("outside a step or hook", error.Message);
    }

    [Fact]
    public void ModelCheckpoint_with_checkpointing_disabled_is_refused()
        => Assert.Throws<MisconfigurationException>(() => new Trainer(new TrainerOptions { EnableCheckpointing = false, Callbacks = [new ModelCheckpoint()] }));

    [Fact]
    public void MaxRestarts_must_not_be_negative_and_needs_a_self_launched_ddp_job()
    {
        Assert.Contains("MaxRestarts must be 0 or more, got -1", Assert.Throws<MisconfigurationException>(() => new Trainer(new TrainerOptions { MaxRestarts = -1 })).Message);
        var single = Assert.Throws<MisconfigurationException>(() => new Trainer(new TrainerOptions { MaxRestarts = 2 }));
        Assert.Contains("this run has one process", single.Message);
        Assert.Contains("Devices > 1", single.Message);
    }
}
