using LitGen.Runtime.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Runtime.Tests.Training;

/// <summary>Builds its layer in ConfigureModel, as Lightning's sharded-model recipe does.</summary>
[LightningModule]
public partial class LateLayerModule : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public int Hidden { get; }

    private Linear? hidden;
    private Linear? output;

    public LateLayerModule(int hidden = 4) => Hidden = hidden;

    public int ConfigureCalls { get; private set; }

    public override void ConfigureModel()
    {
        ConfigureCalls++;
        hidden ??= Linear(1, Hidden);
        output ??= Linear(Hidden, 1);
    }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
        => functional.mse_loss(output!.forward(tanh(hidden!.forward(batch.X))), batch.Y);

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), 0.05);
}

/// <summary>A forward module whose batches are its inputs, so Lightning's default predict_step (self(batch)) applies.</summary>
[LightningModule]
public partial class ForwardRegressor : LightningModule<Tensor, Tensor, Tensor>
{
    private readonly Linear layer = Linear(1, 1);

    public override Tensor forward(Tensor input) => layer.forward(input);

    // Training batches hold x and y side by side.
    public override Tensor? TrainingStep(Tensor batch, int batchIdx)
        => functional.mse_loss(forward(batch[.., ..1]), batch[.., 1..]);

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);
}

/// <summary>Records the dataloader index of every evaluation and prediction batch.</summary>
[LightningModule]
public partial class MultiLoaderModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear layer = Linear(1, 1);

    public List<(string Hook, int DataloaderIdx)> Seen { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Seen.Add(("ValidationStep", DataloaderIdx));
        Log("val_mean", batch.Y.mean());
        return null;
    }

    public override void OnValidationBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx, int dataloaderIdx) => Seen.Add(("OnValidationBatchEnd", dataloaderIdx));

    public override void OnValidationEpochEnd() => Log("epoch_hook_value", 5.0);

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("test_mean", batch.Y.mean());
        return null;
    }

    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) => batch.Y + DataloaderIdx * 100;

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.0);
}

public sealed record StepExtras(Tensor Predictions, int BatchIdx);

/// <summary>Returns typed extras with its loss (Lightning's {"loss": ..., "preds": ...}).</summary>
[LightningModule]
public partial class ExtrasModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear layer = Linear(1, 1);

    public List<long> PredictionCounts { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var predictions = layer.forward(batch.X);
        return WithOutputs(functional.mse_loss(predictions, batch.Y), new StepExtras(predictions, batchIdx));
    }

    public override void OnTrainBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx)
    {
        var extras = StepOutputs<StepExtras>()!;
        Assert.Equal(batchIdx, extras.BatchIdx);
        PredictionCounts.Add(extras.Predictions.numel());
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);
}

public sealed class ExtrasReader : Callback
{
    public int Read { get; private set; }

    public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx)
    {
        if (module.StepOutputs<StepExtras>() is { } extras && extras.BatchIdx == batchIdx) Read++;
    }
}

public class LightningParityTests
{
    private static Trainer NewTrainer(TempDir dir, TrainerOptions options)
        => new(options with { DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });

    [Fact]
    public void Validating_every_second_epoch_saves_top_k_after_validation_as_Lightning()
    {
        // Lightning 2.1.4, run here: check_val_every_n_epoch=2 + ModelCheckpoint(monitor="val_loss", save_top_k=2) over
        // 4 epochs of 10 batches leaves epoch=1-step=20.ckpt and epoch=3-step=40.ckpt.
        using var dir = new TempDir();
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        var trainer = NewTrainer(dir, new TrainerOptions
        {
            MaxEpochs = 4, CheckValEveryNEpoch = 2,
            Callbacks = [new ModelCheckpoint { DirPath = checkpoints, Monitor = "val_loss", SaveTopK = 2 }],
        });
        trainer.Fit(new RegressionModule(), TestData.Line(batches: 10, batchSize: 2), TestData.Line(batches: 2));
        Assert.Equal(["epoch=1-step=20.ckpt", "epoch=3-step=40.ckpt"], Directory.GetFiles(checkpoints).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Early_stopping_checks_after_each_validation_and_counts_patience_per_validation()
    {
        using var dir = new TempDir();
        var stopping = new EarlyStopping { Monitor = "val_loss", Patience = 1 };
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 10, CheckValEveryNEpoch = 2, EnableCheckpointing = false, Callbacks = [stopping] });
        // A learning rate of 0 keeps val_loss constant: the first validation (epoch 1) sets the best, the second (epoch 3) does not improve.
        trainer.Fit(new ConfigurableModule { Optimization = m => optim.SGD(m.parameters(), 0.0) }, TestData.Line(batches: 3), TestData.Line(batches: 2));
        Assert.Equal(4, trainer.CurrentEpoch);
        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(1, stopping.WaitCount);
    }

    [Fact]
    public void Early_stopping_does_not_run_outside_fitting()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir, new TrainerOptions { Callbacks = [new EarlyStopping { Monitor = "never_logged" }] });
        var results = trainer.Validate(new RegressionModule(), TestData.Line(batches: 2));
        Assert.Contains("val_loss", results[0].Keys);
    }

    [Fact]
    public void A_missing_monitor_fails_only_when_Strict()
    {
        using var dir = new TempDir();
        var strict = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, Callbacks = [new EarlyStopping { Monitor = "val_los" }] });
        var error = Assert.Throws<MisconfigurationException>(() => strict.Fit(new RegressionModule(), TestData.Line(), TestData.Line(batches: 1)));
        Assert.Contains("'val_los'", error.Message);
        Assert.Contains("val_loss", error.Message);

        var lenient = NewTrainer(dir, new TrainerOptions { MaxEpochs = 2, Callbacks = [new EarlyStopping { Monitor = "val_los", Strict = false }] });
        lenient.Fit(new RegressionModule(), TestData.Line(), TestData.Line(batches: 1));
        Assert.Equal(2, lenient.CurrentEpoch);
    }

    [Fact]
    public void A_checkpoint_monitor_not_yet_produced_by_validation_waits_for_it()
    {
        using var dir = new TempDir();
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        var callback = new ModelCheckpoint { DirPath = checkpoints, Monitor = "val_loss", SaveOnTrainEpochEnd = true, SaveTopK = -1 };
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 2, CheckValEveryNEpoch = 2, Callbacks = [callback] });
        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line(batches: 1));
        // Epoch 0 ends before any validation: no val_loss yet, so no file and no error; epoch 1 validates, then saves.
        Assert.Equal(["epoch=1-step=8.ckpt"], Directory.GetFiles(checkpoints).Select(Path.GetFileName));
    }

    [Fact]
    public void Layers_built_in_ConfigureModel_train_and_load_from_checkpoints()
    {
        using var dir = new TempDir();
        manual_seed(5);
        var model = new LateLayerModule(hidden: 6);
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 3 });
        trainer.Fit(model, TestData.Line());
        Assert.Equal(4, model.parameters().Count());

        var restored = LateLayerModule.LoadFromCheckpoint(trainer.CheckpointCallback!.BestModelPath!);
        Assert.Equal(1, restored.ConfigureCalls);
        Assert.Equal(model.state_dict().Keys.Order(), restored.state_dict().Keys.Order());
        foreach (var (key, value) in model.state_dict()) Assert.True(value.equal(restored.state_dict()[key]).all().item<bool>(), key);

        // Fitting again calls ConfigureModel again; it must be idempotent, and the layers stay registered once.
        trainer.Fit(model, TestData.Line());
        Assert.Equal(4, model.parameters().Count());
    }

    [Fact]
    public void The_default_PredictStep_calls_forward_on_each_batch()
    {
        using var dir = new TempDir();
        var model = new ForwardRegressor();
        var x = linspace(-1, 1, 32).reshape(-1, 1);
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 300, EnableCheckpointing = false });
        trainer.Fit(model, [cat([x, 2 * x + 1], 1)]);

        var predictions = trainer.Predict(model, [x[..16], x[16..]]);
        using (no_grad())
            Assert.True(cat(predictions.ToArray()).equal(model.forward(x)).all().item<bool>());
        Assert.True((cat(predictions.ToArray()) - (2 * x + 1)).abs().max().item<float>() < 0.1);
    }

    [Fact]
    public void Several_evaluation_dataloaders_give_one_result_per_dataloader_with_Lightning_suffixes()
    {
        using var dir = new TempDir();
        var model = new MultiLoaderModule();
        var trainer = NewTrainer(dir, new TrainerOptions());
        var first = new List<(Tensor, Tensor)> { (zeros(2, 1), full(2, 1, 1.0)) };
        var second = new List<(Tensor, Tensor)> { (zeros(3, 1), full(3, 1, 3.0)), (zeros(1, 1), full(1, 1, 7.0)) };

        var results = trainer.Validate(model, [first, second]);
        Assert.Equal(2, results.Count);
        Assert.Equal(1.0, results[0]["val_mean/dataloader_idx_0"]);
        Assert.Equal(4.0, results[1]["val_mean/dataloader_idx_1"]);   // (3·3 + 7·1) / 4
        Assert.DoesNotContain("val_mean/dataloader_idx_1", results[0].Keys);
        Assert.Equal(5.0, results[0]["epoch_hook_value"]);
        Assert.Equal(5.0, results[1]["epoch_hook_value"]);
        Assert.Equal([("ValidationStep", 0), ("OnValidationBatchEnd", 0), ("ValidationStep", 1), ("OnValidationBatchEnd", 1), ("ValidationStep", 1), ("OnValidationBatchEnd", 1)], model.Seen);

        var single = trainer.Test(model, first);
        Assert.Equal(1.0, single[0]["test_mean"]);

        var predictions = trainer.Predict(model, [first, second]);
        Assert.Equal([1, 2], predictions.Select(p => p.Count));
        Assert.Equal(103f, predictions[1][0][0, 0].item<float>());

        var fit = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, NumSanityValSteps = 0, EnableCheckpointing = false });
        fit.Fit(model, first, [first, second]);
        Assert.Equal(4.0, fit.CallbackMetrics["val_mean/dataloader_idx_1"]);
    }

    [Fact]
    public void A_training_step_returns_typed_extras_to_its_batch_end_hooks()
    {
        using var dir = new TempDir();
        var model = new ExtrasModule();
        var reader = new ExtrasReader();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, EnableCheckpointing = false, Callbacks = [reader] });
        trainer.Fit(model, TestData.Line(batches: 3, batchSize: 5));
        Assert.Equal([5L, 5L, 5L], model.PredictionCounts);
        Assert.Equal(3, reader.Read);
        Assert.Null(model.StepOutputs<StepExtras>());
    }
}
