using System.Diagnostics;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Reliability;

/// <summary>Cancels the run's token from inside the loop, as another thread or a host's shutdown would.</summary>
public sealed class CancelAtStep(CancellationTokenSource source, long step) : Callback
{
    public List<string> Seen { get; } = [];

    public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx)
    {
        if (trainer.GlobalStep == step) source.Cancel();
    }

    public override void OnException(Trainer trainer, LightningModule module, Exception exception) => Seen.Add(exception.GetType().Name);
}

public sealed class RecordingLogger() : Logger("unused", "unused", 0)
{
    public List<RunStatus> Statuses { get; } = [];

    public override void LogHyperparams(IHyperparameters hyperparameters) { }

    public override void LogMetrics(IReadOnlyDictionary<string, double> metrics, long step) { }

    public override void Finalize(RunStatus status) => Statuses.Add(status);
}

public class InterruptionTests
{
    [Fact]
    public void A_cancelled_fit_stops_at_the_next_batch_after_OnException_and_logger_finalization()
    {
        using var dir = new TempDir();
        using var source = new CancellationTokenSource();
        var canceller = new CancelAtStep(source, step: 3);
        var logger = new RecordingLogger();
        var onException = new OnExceptionCheckpoint(dir.Path);
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 5, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = [logger], Callbacks = [canceller, onException],
        });

        var error = Assert.Throws<OperationCanceledException>(() => trainer.Fit(new RegressionModule(), TestData.Line(batches: 8), cancellationToken: source.Token));

        // The caller's own token, so that `catch (OperationCanceledException e) when (e.CancellationToken == token)` matches.
        Assert.Equal(source.Token, error.CancellationToken);
        Assert.True(trainer.Interrupted);
        Assert.Equal(3, trainer.GlobalStep);
        Assert.Equal(["OperationCanceledException"], canceller.Seen);
        Assert.Equal([RunStatus.Failed], logger.Statuses);
        using var checkpoint = Checkpoint.Load(onException.CheckpointPath);
        Assert.Equal(3, checkpoint.GlobalStep);
    }

    [Fact]
    public void A_token_cancelled_before_the_run_stops_it_before_the_first_batch()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(new RegressionModule(), TestData.Line(), cancellationToken: new CancellationToken(canceled: true)));
        Assert.Equal(0, trainer.GlobalStep);

        // The next run of the same trainer is not interrupted.
        trainer.Fit(new RegressionModule(), TestData.Line());
        Assert.False(trainer.Interrupted);
        Assert.Equal(4, trainer.GlobalStep);
    }

    [Fact]
    public void Evaluation_and_prediction_honour_the_token()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        var cancelled = new CancellationToken(canceled: true);
        Assert.Throws<OperationCanceledException>(() => trainer.Validate(new RegressionModule(), TestData.Line(), cancellationToken: cancelled));
        Assert.Throws<OperationCanceledException>(() => trainer.Test(new RegressionModule(), TestData.Line(), cancellationToken: cancelled));
        Assert.Throws<OperationCanceledException>(() => trainer.Predict(new RegressionModule(), TestData.Line(), cancellationToken: cancelled));
        Assert.True(trainer.Interrupted);
    }
}

public class AbandonedFileTests
{
    [Fact]
    public void Temporary_files_of_dead_writers_are_removed_and_those_of_live_ones_kept()
    {
        using var dir = new TempDir();
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        var dead = Path.Combine(dir.Path, $".last.ckpt.{finished.Id}-0123456789abcdef0123456789abcdef.tmp");
        var live = Path.Combine(dir.Path, $".last.ckpt.{Environment.ProcessId}-0123456789abcdef0123456789abcdef.tmp");
        var foreign = Path.Combine(dir.Path, ".notes.tmp");
        foreach (var file in new[] { dead, live, foreign }) File.WriteAllText(file, "partial");

        var callback = new ModelCheckpoint { DirPath = dir.Path };
        callback.Setup(new Trainer(new TrainerOptions { DefaultRootDir = dir.Path, Logger = false }), new RegressionModule(), Stage.Fit);

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(foreign));
    }
}
