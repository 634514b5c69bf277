using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Callbacks;

/// <summary>Logs a scripted value per epoch, and an extra checkpoint entry.</summary>
[LightningModule]
public partial class ScriptedMetricModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public double[] Values { get; init; } = [];
    public string? LoadedNote { get; private set; }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override void OnTrainEpochEnd() => Log("score", Values[CurrentEpoch]);

    public override void OnSaveCheckpoint(Checkpoint checkpoint) => checkpoint.Extra["note"] = $"epoch {CurrentEpoch}";

    public override void OnLoadCheckpoint(Checkpoint checkpoint) => LoadedNote = (string?)checkpoint.Extra["note"];

    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.SGD(parameters(), 0.01);
}

public class EarlyStoppingTests
{
    private static (Trainer Trainer, EarlyStopping Callback) Run(double[] values, EarlyStopping callback)
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = values.Length, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false, Callbacks = [callback] });
        trainer.Fit(new ScriptedMetricModule { Values = values }, TestData.Line(batches: 1));
        return (trainer, callback);
    }

    [Theory]
    [InlineData(new[] { 5.0, 4, 4, 4, 4, 4, 4 }, 3, 0.0, 5)]       // no improvement after epoch 1: stops after 3 more
    [InlineData(new[] { 5.0, 4, 3, 2, 1, 0, -1 }, 2, 0.0, 7)]      // keeps improving: runs to the end
    [InlineData(new[] { 5.0, 4.95, 4.9, 4.85, 4.8, 4.75 }, 2, 0.1, 3)] // improvements below MinDelta do not count
    [InlineData(new[] { 5.0, 6, 4, 7, 8, 9 }, 2, 0.0, 5)]          // the wait resets on an improvement
    public void Min_mode_patience_and_min_delta(double[] values, int patience, double minDelta, int epochsRun)
    {
        var (trainer, callback) = Run(values, new EarlyStopping { Monitor = "score", Patience = patience, MinDelta = minDelta });
        Assert.Equal(epochsRun, trainer.CurrentEpoch);
        if (epochsRun < values.Length) Assert.Contains("did not improve", callback.StoppingReason);
    }

    [Fact]
    public void Max_mode_waits_for_increases()
    {
        var (trainer, callback) = Run([0.1, 0.5, 0.4, 0.3, 0.2, 0.9], new EarlyStopping { Monitor = "score", Mode = MonitorMode.Max, Patience = 2 });
        Assert.Equal(4, trainer.CurrentEpoch);
        Assert.Equal(0.5, callback.BestScore);
        Assert.Equal(3, callback.StoppedEpoch);
    }

    [Fact]
    public void Thresholds_and_non_finite_values_stop_at_once()
    {
        Assert.Equal(2, Run([5.0, 0.5, 0.4, 0.3], new EarlyStopping { Monitor = "score", StoppingThreshold = 1.0 }).Trainer.CurrentEpoch);
        Assert.Equal(3, Run([5.0, 6, 20, 3], new EarlyStopping { Monitor = "score", DivergenceThreshold = 10 }).Trainer.CurrentEpoch);
        var (trainer, callback) = Run([5.0, double.NaN, 4], new EarlyStopping { Monitor = "score" });
        Assert.Equal(2, trainer.CurrentEpoch);
        Assert.Contains("not finite", callback.StoppingReason);
        Assert.Equal(3, Run([5.0, double.NaN, 4], new EarlyStopping { Monitor = "score", CheckFinite = false }).Trainer.CurrentEpoch);
    }

    [Fact]
    public void Extra_checkpoint_entries_round_trip_through_the_hooks()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(new ScriptedMetricModule { Values = [1, 2] }, TestData.Line(batches: 1));
        var loaded = ScriptedMetricModule.LoadFromCheckpoint(trainer.CheckpointCallback!.BestModelPath!);
        Assert.Equal("epoch 1", loaded.LoadedNote);
    }
}
