using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

/// <summary>Counts training and validation batches and epochs.</summary>
[LightningModule]
public partial class CountingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public List<(int Epoch, int Batch)> TrainBatches { get; } = [];
    public List<(int Epoch, long Step, int Batch)> ValBatches { get; } = [];
    public int ValidationRuns { get; private set; }
    public Func<int, bool>? StopAfterEpoch { get; init; }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        TrainBatches.Add((CurrentEpoch, batchIdx));
        return nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        ValBatches.Add((CurrentEpoch, GlobalStep, batchIdx));
        return null;
    }

    public override void OnValidationStart() => ValidationRuns++;

    public override void OnTrainEpochEnd()
    {
        if (StopAfterEpoch?.Invoke(CurrentEpoch) == true) Trainer!.ShouldStop = true;
    }

    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.SGD(parameters(), 0.01);
}

/// <summary>A dataloader without a length: only enumeration, so the trainer must look one batch ahead.</summary>
public sealed class StreamingLoader(List<(Tensor X, Tensor Y)> batches) : IEnumerable<(Tensor X, Tensor Y)>
{
    public IEnumerator<(Tensor X, Tensor Y)> GetEnumerator()
    {
        foreach (var batch in batches) yield return batch;
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

public class LoopControlTests
{
    private static (CountingModule Model, Trainer Trainer) Fit(TrainerOptions options, int trainBatches = 10, int valBatches = 3,
        CountingModule? model = null, bool streaming = false)
    {
        using var dir = new TempDir();
        model ??= new CountingModule();
        var trainer = new Trainer(options with { DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false });
        IEnumerable<(Tensor X, Tensor Y)> train = TestData.Line(trainBatches, 2);
        if (streaming) train = new StreamingLoader((List<(Tensor X, Tensor Y)>)train);
        trainer.Fit(model, train, valBatches > 0 ? TestData.Line(valBatches, 2) : null);
        return (model, trainer);
    }

    [Fact]
    public void Defaults_run_1000_epochs_when_nothing_limits_them()
        => Assert.Equal(1000, new Trainer(new TrainerOptions()).MaxEpochs);

    [Fact]
    public void Sanity_check_runs_two_validation_batches_first()
    {
        var (model, _) = Fit(new TrainerOptions { MaxEpochs = 1 });
        Assert.Equal([(0, 0L, 0), (0, 0L, 1)], model.ValBatches.Take(2));
        Assert.Equal(2 + 3, model.ValBatches.Count);
        Assert.Equal(2, model.ValidationRuns);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(-1, 6)]
    public void NumSanityValSteps_zero_skips_and_minus_one_runs_all(int sanity, int expectedValBatches)
        => Assert.Equal(expectedValBatches, Fit(new TrainerOptions { MaxEpochs = 1, NumSanityValSteps = sanity }).Model.ValBatches.Count);

    [Fact]
    public void LimitTrainBatches_as_count_and_fraction()
    {
        Assert.Equal(4, Fit(new TrainerOptions { MaxEpochs = 1, LimitTrainBatches = 4, NumSanityValSteps = 0 }).Model.TrainBatches.Count);
        Assert.Equal(2 * 5, Fit(new TrainerOptions { MaxEpochs = 2, LimitTrainBatches = 0.5, NumSanityValSteps = 0 }).Model.TrainBatches.Count);
    }

    [Fact]
    public void LimitValBatches_limits_each_validation_run()
        => Assert.Equal(2 + 2, Fit(new TrainerOptions { MaxEpochs = 2, LimitValBatches = 2, NumSanityValSteps = 0 }).Model.ValBatches.Count);

    [Fact]
    public void Fractional_limit_on_a_dataloader_without_length_is_refused()
    {
        var error = Assert.Throws<MisconfigurationException>(() => Fit(new TrainerOptions { MaxEpochs = 1, LimitTrainBatches = 0.5 }, streaming: true));
        Assert.Contains("has no length", error.Message);
    }

    [Fact]
    public void ValCheckInterval_count_validates_every_n_batches()
    {
        var (model, _) = Fit(new TrainerOptions { MaxEpochs = 1, ValCheckInterval = 4, NumSanityValSteps = 0 });
        // After batches 4 and 8, not at the 10th (Lightning's val_check_batch arithmetic).
        Assert.Equal(2, model.ValidationRuns);
        Assert.Equal([4L, 8L], model.ValBatches.Where(v => v.Batch == 0).Select(v => v.Step));
    }

    [Fact]
    public void ValCheckInterval_fraction_validates_at_that_fraction_of_the_epoch()
    {
        var (model, _) = Fit(new TrainerOptions { MaxEpochs = 1, ValCheckInterval = 0.25, NumSanityValSteps = 0 });
        // int(10 × 0.25) = 2: after batches 2, 4, 6, 8 and 10.
        Assert.Equal([2L, 4L, 6L, 8L, 10L], model.ValBatches.Where(v => v.Batch == 0).Select(v => v.Step));
    }

    [Fact]
    public void ValCheckInterval_larger_than_the_epoch_is_refused_unless_counting_across_epochs()
    {
        Assert.Throws<MisconfigurationException>(() => Fit(new TrainerOptions { MaxEpochs = 1, ValCheckInterval = 15 }));
        var (model, _) = Fit(new TrainerOptions { MaxEpochs = 3, ValCheckInterval = 15, CheckValEveryNEpoch = null, NumSanityValSteps = 0 });
        Assert.Equal([15L, 30L], model.ValBatches.Where(v => v.Batch == 0).Select(v => v.Step));
    }

    [Fact]
    public void CheckValEveryNEpoch_skips_epochs()
    {
        var (model, _) = Fit(new TrainerOptions { MaxEpochs = 5, CheckValEveryNEpoch = 2, NumSanityValSteps = 0 });
        Assert.Equal([1, 3], model.ValBatches.Where(v => v.Batch == 0).Select(v => v.Epoch));
    }

    [Fact]
    public void MaxSteps_and_MaxEpochs_stop_training()
    {
        Assert.Equal(25, Fit(new TrainerOptions { MaxSteps = 25, NumSanityValSteps = 0 }).Trainer.GlobalStep);
        var (model, trainer) = Fit(new TrainerOptions { MaxEpochs = 3, NumSanityValSteps = 0 });
        Assert.Equal(30, trainer.GlobalStep);
        Assert.Equal(3, trainer.CurrentEpoch);
        Assert.Equal(30, model.TrainBatches.Count);
    }

    [Fact]
    public void ShouldStop_is_honoured_only_after_MinEpochs()
    {
        var stopAtOnce = new CountingModule { StopAfterEpoch = _ => true };
        Assert.Equal(1, Fit(new TrainerOptions { MaxEpochs = 10 }, model: stopAtOnce).Trainer.CurrentEpoch);
        var withMin = new CountingModule { StopAfterEpoch = _ => true };
        Assert.Equal(4, Fit(new TrainerOptions { MaxEpochs = 10, MinEpochs = 4 }, model: withMin).Trainer.CurrentEpoch);
    }

    [Fact]
    public void MaxTime_stops_training()
    {
        var (_, trainer) = Fit(new TrainerOptions { MaxEpochs = 1000, MaxTime = TimeSpan.Zero, NumSanityValSteps = 0 });
        Assert.Equal(1, trainer.GlobalStep);
    }

    [Fact]
    public void FastDevRun_runs_n_batches_of_one_epoch_without_sanity_check_or_checkpoint_files()
    {
        using var dir = new TempDir();
        var model = new CountingModule();
        var trainer = new Trainer(new TrainerOptions { FastDevRun = 2, MaxEpochs = 50, DefaultRootDir = dir.Path, EnableProgressBar = false });
        trainer.Fit(model, TestData.Line(10, 2), TestData.Line(3, 2));
        Assert.Equal(2, model.TrainBatches.Count);
        Assert.Equal(2, model.ValBatches.Count);
        Assert.Equal(1, trainer.CurrentEpoch);
        // As in Lightning, the checkpoint callback is there and saves nothing.
        Assert.IsType<ModelCheckpoint>(trainer.CheckpointCallback);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "lightning_logs", "version_0", "checkpoints")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.ckpt", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(dir.Path, "lightning_logs", "version_0", "metrics.csv")));
    }

    [Fact]
    public void OverfitBatches_trains_and_validates_on_the_same_first_batches()
    {
        var (model, _) = Fit(new TrainerOptions { MaxEpochs = 2, OverfitBatches = 3, NumSanityValSteps = 0 });
        Assert.Equal(6, model.TrainBatches.Count);
        Assert.Equal(6, model.ValBatches.Count);
    }

    [Fact]
    public void A_dataloader_without_length_still_ends_epochs_and_validates_at_their_end()
    {
        var (model, trainer) = Fit(new TrainerOptions { MaxEpochs = 2, NumSanityValSteps = 0 }, streaming: true);
        Assert.Equal(20, trainer.GlobalStep);
        Assert.Equal([10L, 20L], model.ValBatches.Where(v => v.Batch == 0).Select(v => v.Step));
        Assert.Null(trainer.NumTrainingBatches);
        Assert.Equal(double.PositiveInfinity, trainer.EstimatedSteppingBatches);
    }

    [Fact]
    public void EstimatedSteppingBatches_follows_Lightning()
    {
        var (_, trainer) = Fit(new TrainerOptions { MaxEpochs = 3, AccumulateGradBatches = 4, NumSanityValSteps = 0 });
        Assert.Equal(Math.Ceiling(10 / 4.0) * 3, trainer.EstimatedSteppingBatches);
        Assert.Equal(9, trainer.GlobalStep);
    }

    [Fact]
    public void ReloadDataloadersEveryNEpochs_asks_the_hooks_again()
    {
        using var dir = new TempDir();
        var model = new ReloadingModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 4, ReloadDataloadersEveryNEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(model);
        Assert.Equal(2, model.TrainLoaderCalls);
    }

    [Fact]
    public void Several_devices_are_refused_by_the_single_device_strategy()
        => Assert.Contains("Devices = 2", Assert.Throws<MisconfigurationException>(() => new Trainer(new TrainerOptions { Strategy = "single_device", Devices = 2 })).Message);

    [Fact]
    public void An_unknown_strategy_is_refused_with_the_known_ones()
        => Assert.Contains("\"ddp\"", Assert.Throws<MisconfigurationException>(() => new Trainer(new TrainerOptions { Strategy = "fsdp" })).Message);
}

[LightningModule]
public partial class ReloadingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public int TrainLoaderCalls { get; private set; }

    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader()
    {
        TrainLoaderCalls++;
        return TestData.Line(2, 2);
    }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.SGD(parameters(), 0.01);
}

/// <summary>Records whether the module is in training mode in every training and validation step.</summary>
[LightningModule]
public partial class ModeRecordingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public List<(string Step, int Batch, bool Training)> Modes { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Modes.Add(("train", batchIdx, training));
        return nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Modes.Add(("val", batchIdx, training));
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.SGD(parameters(), 0.01);
}

public class TrainingModeTests
{
    [Fact]
    public void The_module_is_back_in_training_mode_after_a_mid_epoch_validation()
    {
        using var dir = new TempDir();
        var model = new ModeRecordingModule();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, ValCheckInterval = 3, NumSanityValSteps = 0, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false,
            EnableCheckpointing = false,
        });
        trainer.Fit(model, TestData.Line(8, 2), TestData.Line(2, 2));

        // Validation after batches 3 and 6 of the single epoch: training batches 3-5 and 6-7 follow a validation run
        // with no epoch start in between to put the module back in training mode.
        Assert.Equal(
            ["train0", "train1", "train2", "val0", "val1", "train3", "train4", "train5", "val0", "val1", "train6", "train7"],
            model.Modes.Select(m => m.Step + m.Batch));
        Assert.All(model.Modes, m => Assert.Equal(m.Step == "train", m.Training));
    }
}
