using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

[LightningModule]
public partial class DefaultsModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public Action<DefaultsModule>? OnFitStartAction { get; init; }
    public Action<DefaultsModule, Tensor>? InTrainingStep { get; init; }

    public override void OnFitStart() => OnFitStartAction?.Invoke(this);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
        Log("step_only", (double)batchIdx);
        Log("both", (double)batchIdx, onEpoch: true, progBar: true);
        Log("hidden", 7.0, logger: false);
        InTrainingStep?.Invoke(this, batch.X);
        return loss;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_epoch_only", (double)batchIdx);
        return null;
    }

    public override void OnTrainEpochEnd() => Log("from_epoch_end", 42.0);

    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.SGD(parameters(), 0.01);
}

public class LoggingDefaultsTests
{
    private static Trainer Fit(DefaultsModule model, TempDir dir)
    {
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, LogEveryNSteps = 1, NumSanityValSteps = 0, DefaultRootDir = dir.Path, EnableProgressBar = false, EnableCheckpointing = false });
        trainer.Fit(model, TestData.Line(batches: 4, batchSize: 2), TestData.Line(batches: 3, batchSize: 2));
        return trainer;
    }

    [Fact]
    public void Defaults_per_hook_and_forked_names_follow_Lightning()
    {
        using var dir = new TempDir();
        var trainer = Fit(new DefaultsModule(), dir);
        var callback = trainer.CallbackMetrics;

        Assert.Equal(3, callback["step_only"]);                 // step value of the last batch
        Assert.False(callback.ContainsKey("step_only_epoch"));
        Assert.Equal(1.5, callback["both"]);                    // plain name: the epoch mean of 0..3
        Assert.Equal(1.5, callback["both_epoch"]);
        Assert.Equal(3, callback["both_step"]);
        Assert.Equal(1, callback["val_epoch_only"]);            // mean of 0, 1, 2
        Assert.Equal(42, callback["from_epoch_end"]);
        Assert.Equal(7, callback["hidden"]);

        var logged = trainer.LoggedMetrics;
        Assert.True(logged.ContainsKey("both_step") && logged.ContainsKey("both_epoch") && logged.ContainsKey("step_only"));
        Assert.False(logged.ContainsKey("both"));
        Assert.False(logged.ContainsKey("hidden"));

        var csv = File.ReadAllLines(Path.Combine(dir.Path, "lightning_logs", "version_0", "metrics.csv"));
        Assert.Equal("step,epoch,step_only,both_step,val_epoch_only,both_epoch,from_epoch_end", csv[0]);

        Assert.Equal(["both", "both_step"], trainer.ProgressBarMetrics.Keys.Order());
    }

    [Fact]
    public void Logging_from_a_hook_that_cannot_log_is_an_error()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<MisconfigurationException>(() => Fit(new DefaultsModule { OnFitStartAction = m => m.Log("x", 1.0) }, dir));
        Assert.Contains("outside a step or hook that can log", error.Message);
    }

    [Theory]
    [InlineData("non-scalar", "only scalars")]
    [InlineData("changed flags", "different arguments")]
    [InlineData("nothing", "logs nothing")]
    public void Bad_log_calls_are_errors(string kind, string expected)
    {
        using var dir = new TempDir();
        Action<DefaultsModule, Tensor> bad = kind switch
        {
            "non-scalar" => (m, x) => m.Log("vector", x),
            "changed flags" => (m, _) => m.Log("step_only", 1.0, progBar: true),
            _ => (m, _) => m.Log("none", 1.0, onStep: false, onEpoch: false),
        };
        var error = Assert.Throws<MisconfigurationException>(() => Fit(new DefaultsModule { InTrainingStep = bad }, dir));
        Assert.Contains(expected, error.Message);
    }
}
