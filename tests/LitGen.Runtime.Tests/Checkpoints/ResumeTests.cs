using LitGen.Runtime.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen.Runtime.Tests.Checkpoints;

/// <summary>Everything resumption must restore: Adam moments, two schedulers (one on a plateau), dropout randomness.</summary>
[LightningModule]
public partial class ResumeModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear hidden = nn.Linear(1, 16);
    private readonly Dropout dropout = nn.Dropout(0.2);
    private readonly Linear output = nn.Linear(16, 1);

    public Tensor Forward(Tensor x) => output.forward(dropout.forward(tanh(hidden.forward(x))));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(Forward(batch.X), batch.Y);
        Log("train_loss", loss, onEpoch: true);
        return loss;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_loss", nn.functional.mse_loss(Forward(batch.X), batch.Y));
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers()
    {
        var optimizer = Adam(parameters(), 0.02);
        return new OptimizerConfig([optimizer],
        [
            new LrSchedulerConfig(lr_scheduler.StepLR(optimizer, 3, 0.7)) { Interval = Interval.Step },
            new LrSchedulerConfig(lr_scheduler.ReduceLROnPlateau(optimizer, patience: 0, factor: 0.5)) { Monitor = "val_loss" },
        ]);
    }
}

public class ResumeTests
{
    private const int Epochs = 4;

    private static DataLoader<(Tensor X, Tensor Y)> Loader(bool shuffle)
    {
        var x = linspace(-1, 1, 40).reshape(-1, 1);
        return new DataLoader<(Tensor X, Tensor Y)>(new LitGen.TensorDataset(x, sin(x * 3)), batchSize: 8, shuffle: shuffle, seed: 17);
    }

    private static ResumeModule NewModule()
    {
        manual_seed(2024);
        return new ResumeModule();
    }

    private static Trainer NewTrainer(string root, int maxEpochs, params Callback[] callbacks) => new(new TrainerOptions
    {
        MaxEpochs = maxEpochs,
        Seed = 7,
        DefaultRootDir = root,
        EnableProgressBar = false,
        Logger = false,
        Callbacks = callbacks,
    });

    private static void AssertSameWeights(ResumeModule expected, ResumeModule actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        foreach (var key in a.Keys) Assert.True((a[key] == b[key]).all().item<bool>(), $"{key} differs by {(a[key] - b[key]).abs().max().item<float>()}");
    }

    private static (ResumeModule Model, Trainer Trainer) Uninterrupted(TempDir dir, params Callback[] callbacks)
    {
        var model = NewModule();
        var trainer = NewTrainer(Path.Combine(dir.Path, "full"), Epochs, callbacks);
        trainer.Fit(model, Loader(shuffle: true), Loader(shuffle: false));
        return (model, trainer);
    }

    [Fact]
    public void Resuming_from_an_epoch_end_checkpoint_equals_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        var (expected, full) = Uninterrupted(dir, new EarlyStopping { Monitor = "val_loss", Patience = 10 });

        var first = NewTrainer(Path.Combine(dir.Path, "part"), 2, new ModelCheckpoint { SaveTopK = -1 }, new EarlyStopping { Monitor = "val_loss", Patience = 10 });
        first.Fit(NewModule(), Loader(shuffle: true), Loader(shuffle: false));
        var checkpoint = first.CheckpointCallback!.BestModelPath!;
        Assert.EndsWith("epoch=1-step=10.ckpt", checkpoint);

        var resumedModel = NewModule();
        var earlyStopping = new EarlyStopping { Monitor = "val_loss", Patience = 10 };
        var resumed = NewTrainer(Path.Combine(dir.Path, "resumed"), Epochs, earlyStopping);
        resumed.Fit(resumedModel, Loader(shuffle: true), Loader(shuffle: false), ckptPath: checkpoint);

        AssertSameWeights(expected, resumedModel);
        Assert.Equal(full.GlobalStep, resumed.GlobalStep);
        Assert.Equal(Epochs, resumed.CurrentEpoch);
        Assert.Equal(full.CallbackMetrics["val_loss"], resumed.CallbackMetrics["val_loss"]);
        Assert.Equal(full.EarlyStoppingCallback!.BestScore, earlyStopping.BestScore);
        Assert.Equal(full.EarlyStoppingCallback!.WaitCount, earlyStopping.WaitCount);
    }

    [Fact]
    public void Resuming_from_a_mid_epoch_checkpoint_equals_the_uninterrupted_run()
    {
        using var dir = new TempDir();
        var (expected, full) = Uninterrupted(dir);

        var first = NewTrainer(Path.Combine(dir.Path, "part"), Epochs, new ModelCheckpoint { EveryNTrainSteps = 7, SaveTopK = -1 });
        first.Fit(NewModule(), Loader(shuffle: true), Loader(shuffle: false));
        var midEpoch = first.CheckpointCallback!.BestKModels.Keys.Single(p => p.EndsWith("epoch=1-step=7.ckpt", StringComparison.Ordinal));
        Assert.Equal(2, first.CheckpointCallback.BestKModels.Count);
        using (var saved = Checkpoint.Load(midEpoch))
        {
            Assert.Equal("MidEpoch", (string)saved.Loops["fit_loop"]!["phase"]!);
            Assert.Equal(2, (int)saved.Loops["epoch_loop"]!["batches_done"]!);
        }

        var resumedModel = NewModule();
        var resumed = NewTrainer(Path.Combine(dir.Path, "resumed"), Epochs);
        resumed.Fit(resumedModel, Loader(shuffle: true), Loader(shuffle: false), ckptPath: midEpoch);

        AssertSameWeights(expected, resumedModel);
        Assert.Equal(full.GlobalStep, resumed.GlobalStep);
        Assert.Equal(full.CallbackMetrics["train_loss_epoch"], resumed.CallbackMetrics["train_loss_epoch"]);
        Assert.Equal(full.CallbackMetrics["val_loss"], resumed.CallbackMetrics["val_loss"]);
    }

    [Fact]
    public void Checkpoint_callback_state_is_restored_on_resume()
    {
        using var dir = new TempDir();
        var first = NewTrainer(dir.Path, 3, new ModelCheckpoint { Monitor = "val_loss", SaveTopK = 2, DirPath = Path.Combine(dir.Path, "ckpt") });
        first.Fit(NewModule(), Loader(shuffle: true), Loader(shuffle: false));
        var saved = first.CheckpointCallback!;

        var callback = new ModelCheckpoint { Monitor = "val_loss", SaveTopK = 2, DirPath = Path.Combine(dir.Path, "ckpt") };
        var resumed = NewTrainer(dir.Path, 3, callback);
        resumed.Fit(NewModule(), Loader(shuffle: true), Loader(shuffle: false), ckptPath: saved.BestKModels.Keys.OrderBy(p => p).Last());
        Assert.Equal(saved.BestModelScore, callback.BestModelScore);
        Assert.Equal(saved.BestKModels.Keys.Order(), callback.BestKModels.Keys.Order());
    }

    [Fact]
    public void A_checkpoint_of_another_module_is_refused_on_resume()
    {
        using var dir = new TempDir();
        var first = NewTrainer(dir.Path, 1, new ModelCheckpoint());
        first.Fit(NewModule(), Loader(shuffle: false), Loader(shuffle: false));
        var other = new LitGen.Runtime.Tests.Training.ConfigurableModule();
        var error = Assert.ThrowsAny<Exception>(() => NewTrainer(dir.Path, 2).Fit(other, Loader(shuffle: false), ckptPath: first.CheckpointCallback!.BestModelPath));
        Assert.Contains("ResumeModule", error.Message);
    }
}
