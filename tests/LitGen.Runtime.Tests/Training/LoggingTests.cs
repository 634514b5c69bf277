using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

/// <summary>Logs known values so that the reductions can be checked exactly.</summary>
[LightningModule]
public partial class LoggingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("batch_value", (double)(batchIdx + 1), onEpoch: true);
        return layer.forward(batch.X).pow(2).mean();
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        // The mean of X per batch, as a tensor: the epoch value must be weighted by batch size.
        Log("val_mean", batch.X.mean());
        Log("val_sum", batch.X.sum(), reduceFx: ReduceFx.Sum);
        Log("val_max", batch.X.max(), reduceFx: ReduceFx.Max);
        Log("val_min", (double)batch.X.shape[0], reduceFx: ReduceFx.Min);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.SGD(parameters(), 0.0);
}

public class LoggingTests
{
    [Fact]
    public void Epoch_values_are_batch_size_weighted_means_unless_reduced_otherwise()
    {
        using var dir = new TempDir();
        // Batches of sizes 1 and 3: values [1] and [2, 3, 4].
        var val = new List<(Tensor, Tensor)>
        {
            (tensor(new float[] { 1 }).reshape(1, 1), zeros(1, 1)),
            (tensor(new float[] { 2, 3, 4 }).reshape(3, 1), zeros(3, 1)),
        };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, NumSanityValSteps = 0 });
        trainer.Fit(new LoggingModule(), TestData.Line(batches: 3, batchSize: 2), val);

        var metrics = trainer.CallbackMetrics;
        Assert.Equal(2.5, metrics["val_mean"], 6);          // (1·1 + 3·3) / 4, not (1 + 3) / 2
        Assert.Equal(10, metrics["val_sum"], 6);
        Assert.Equal(4, metrics["val_max"], 6);
        Assert.Equal(1, metrics["val_min"], 6);
        Assert.Equal(2, metrics["batch_value_epoch"], 6);    // mean of 1, 2, 3 with equal batch sizes
        Assert.Equal(3, metrics["batch_value_step"], 6);     // the last step's value
        Assert.Equal(2, metrics["batch_value"], 6);          // the plain name holds the epoch value at epoch end
    }
}

/// <summary>Logs in its epoch-end hook, after a callback saved a checkpoint in the same hook.</summary>
[LightningModule]
public partial class EpochEndLoggingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => layer.forward(batch.X).pow(2).mean();

    public override void OnTrainEpochEnd() => Log("epoch_end_value", 7.0);

    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.SGD(parameters(), 0.0);
}

public sealed class SavingCallback(string path) : Callback
{
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module) => trainer.SaveCheckpoint(path);
}

public class NestedHookLoggingTests
{
    [Fact]
    public void A_hook_nested_in_another_restores_the_outer_logging_context()
    {
        using var dir = new TempDir();
        // The callback's SaveCheckpoint runs OnSaveCheckpoint (no logging) inside OnTrainEpochEnd (epoch logging).
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, EnableCheckpointing = false, Logger = false,
            Callbacks = [new SavingCallback(Path.Combine(dir.Path, "x.ckpt"))],
        });
        trainer.Fit(new EpochEndLoggingModule(), TestData.Line(batches: 2, batchSize: 2));
        Assert.Equal(7, trainer.CallbackMetrics["epoch_end_value"]);
    }
}
