using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

/// <summary>A built-in callback extended the way Lightning users subclass them.</summary>
public sealed class CountingCheckpoint : ModelCheckpoint
{
    public int EpochEnds { get; private set; }

    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        EpochEnds++;
        base.OnTrainEpochEnd(trainer, module);
    }
}

public class ApiIdiomTests
{
    [Fact]
    public void Fit_returns_the_checkpoints_metrics_and_counts()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 3, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false,
            Callbacks = [new ModelCheckpoint { Monitor = "val_loss", SaveLast = true }],
        });
        var result = trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());
        Assert.Equal(trainer.CheckpointCallback!.BestModelPath, result.BestModelPath);
        Assert.True(File.Exists(result.BestModelPath));
        Assert.Equal(trainer.CheckpointCallback.BestModelScore, result.BestModelScore);
        Assert.EndsWith("last.ckpt", result.LastModelPath);
        Assert.Equal(trainer.CallbackMetrics["val_loss"], result.Metrics["val_loss"]);
        Assert.Equal((12L, 3, false), (result.GlobalStep, result.Epochs, result.StoppedEarly));
    }

    [Fact]
    public void A_lambda_callback_and_a_subclassed_built_in_callback_run()
    {
        using var dir = new TempDir();
        var epochs = new List<int>();
        var checkpoint = new CountingCheckpoint();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false,
            Callbacks = [new LambdaCallback(onTrainEpochEnd: (t, _) => epochs.Add(t.CurrentEpoch)), checkpoint],
        });
        trainer.Fit(new RegressionModule(), TestData.Line());
        Assert.Equal([0, 1], epochs);
        Assert.Equal(2, checkpoint.EpochEnds);
        Assert.Same(checkpoint, trainer.CheckpointCallback);
    }

    [Fact]
    public void Public_names_spell_hyperparameter_as_one_word_as_Lightning_does()
    {
        // Lightning writes hparams, save_hyperparameters, log_hyperparams; the runtime's public surface follows it. The
        // generated nested record HyperParameters keeps the name the product contract gives it.
        var names = typeof(Trainer).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly)
                .Select(m => $"{t.Name}.{m.Name}")
                .Append(t.Name));
        Assert.DoesNotContain(names, n => n.Contains("HyperParam", StringComparison.Ordinal));
    }

    [Fact]
    public void Loggers_are_told_how_a_run_ended()
    {
        using var dir = new TempDir();
        var logger = new Reliability.RecordingLogger();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = [logger], EnableCheckpointing = false });
        trainer.Fit(new RegressionModule(), TestData.Line());
        Assert.Equal([RunStatus.Success], logger.Statuses);
    }
}
