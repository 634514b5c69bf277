using LitGen.Runtime.Tests.Support;
using TorchSharp;

namespace LitGen.Runtime.Tests.Training;

/// <summary>The entry points a host uses: async runs on a thread of their own, cancellation with the host's token, progress reports.</summary>
public class HostingTests
{
    /// <summary>Records the thread each training batch ran on and can cancel or hold the run at a chosen batch.</summary>
    private sealed class BatchWatcher(CancellationTokenSource? cancelAt = null, int cancelAfter = int.MaxValue, ManualResetEventSlim? hold = null) : Callback
    {
        public List<(bool IsThreadPoolThread, int Id, string? Name)> Threads { get; } = [];
        public ManualResetEventSlim Started { get; } = new();
        private int batches;

        public override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
        {
            Threads.Add((Thread.CurrentThread.IsThreadPoolThread, Environment.CurrentManagedThreadId, Thread.CurrentThread.Name));
            Started.Set();
            hold?.Wait(TimeSpan.FromSeconds(30));
            if (++batches == cancelAfter) cancelAt!.Cancel();
        }
    }

    private sealed class Collecting : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = [];

        public void Report(TrainingProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }

    private static TrainerOptions Quiet(TempDir dir, params Callback[] callbacks) => new()
    {
        MaxEpochs = 3, DefaultRootDir = dir.Path, Logger = false, EnableProgressBar = false, EnableModelSummary = false, EnableCheckpointing = false,
        Seed = 7, Callbacks = callbacks,
    };

    [Fact]
    public async Task FitAsync_trains_on_a_dedicated_thread_and_gives_the_same_weights_as_Fit()
    {
        using var dir = new TempDir();
        var watcher = new BatchWatcher();
        torch.random.manual_seed(3);
        var asyncModel = new RegressionModule();
        var asyncResult = await new Trainer(Quiet(dir, watcher)).FitAsync(asyncModel, TestData.Line(), TestData.Line());

        torch.random.manual_seed(3);
        var syncModel = new RegressionModule();
        var syncResult = new Trainer(Quiet(dir)).Fit(syncModel, TestData.Line(), TestData.Line());

        Assert.Equal(12, watcher.Threads.Count);
        Assert.All(watcher.Threads, t => Assert.False(t.IsThreadPoolThread));
        Assert.Single(watcher.Threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, watcher.Threads[0].Id);
        Assert.Equal("LitGen Fit", watcher.Threads[0].Name);
        Assert.Equal(syncResult.GlobalStep, asyncResult.GlobalStep);
        Assert.Equal(syncResult.Metrics["val_loss"], asyncResult.Metrics["val_loss"]);
        foreach (var (a, b) in asyncModel.parameters().Zip(syncModel.parameters())) Assert.True(a.equal(b).all().item<bool>(), "FitAsync trains the same weights as Fit");
    }

    [Fact]
    public async Task A_cancelled_FitAsync_is_a_cancelled_task_whose_exception_carries_the_callers_token_and_the_result_so_far_stays_readable()
    {
        using var dir = new TempDir();
        using var cancellation = new CancellationTokenSource();
        var trainer = new Trainer(Quiet(dir, new BatchWatcher(cancellation, cancelAfter: 6)) with { MaxEpochs = 100 });

        var run = trainer.FitAsync(new RegressionModule(), TestData.Line(), TestData.Line(), cancellationToken: cancellation.Token);
        OperationCanceledException? caught = null;
        try
        {
            await run;
        }
        catch (OperationCanceledException e) when (e.CancellationToken == cancellation.Token)
        {
            caught = e;
        }

        Assert.NotNull(caught);
        Assert.True(run.IsCanceled);
        Assert.Contains("stopped at a batch boundary", caught.Message);
        Assert.True(trainer.Interrupted);
        var result = Assert.IsType<FitResult>(trainer.LastFitResult);
        Assert.True(result.Interrupted);
        // Cancelled after batch 6, stopped at the next boundary: six steps, the first epoch complete with its metrics.
        Assert.Equal(6, result.GlobalStep);
        Assert.Equal(1, result.Epochs);
        Assert.True(result.Metrics.ContainsKey("val_loss"));
    }

    [Fact]
    public void A_completed_Fit_is_its_LastFitResult_and_not_interrupted()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(Quiet(dir));
        var result = trainer.Fit(new RegressionModule(), TestData.Line());
        Assert.Same(result, trainer.LastFitResult);
        Assert.False(result.Interrupted);
        Assert.Equal(12, result.GlobalStep);
    }

    [Fact]
    public async Task A_second_run_on_a_busy_trainer_is_refused_and_the_first_one_is_unharmed()
    {
        using var dir = new TempDir();
        using var hold = new ManualResetEventSlim();
        var watcher = new BatchWatcher(hold: hold);
        var trainer = new Trainer(Quiet(dir, watcher));
        var first = trainer.FitAsync(new RegressionModule(), TestData.Line());
        Assert.True(watcher.Started.Wait(TimeSpan.FromSeconds(30)));

        var refusal = Assert.Throws<InvalidOperationException>(() => trainer.Validate(new RegressionModule(), TestData.Line()));
        Assert.Contains("already running Fit", refusal.Message);
        hold.Set();
        Assert.Equal(12, (await first).GlobalStep);
    }

    [Fact]
    public async Task ValidateAsync_TestAsync_and_PredictAsync_give_what_the_synchronous_calls_give()
    {
        using var dir = new TempDir();
        var model = new RegressionModule();
        var trainer = new Trainer(Quiet(dir));
        trainer.Fit(model, TestData.Line());

        Assert.Equal(trainer.Validate(model, TestData.Line(), verbose: false)[0]["val_loss"], (await trainer.ValidateAsync(model, TestData.Line(), verbose: false))[0]["val_loss"]);
        Assert.Equal(trainer.Test(model, TestData.Line(), verbose: false)[0]["test_loss"], (await trainer.TestAsync(model, TestData.Line(), verbose: false))[0]["test_loss"]);
        var expected = trainer.Predict(model, TestData.Line());
        var predicted = await trainer.PredictAsync(model, TestData.Line());
        Assert.Equal(expected.Count, predicted.Count);
        foreach (var (a, b) in expected.Zip(predicted)) Assert.True(a.equal(b).all().item<bool>());
    }

    [Fact]
    public async Task A_failure_inside_FitAsync_faults_the_task_with_the_original_exception()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(Quiet(dir, new LambdaCallback(onTrainBatchEnd: (_, _, _, _, _) => throw new ArithmeticException("boom at a batch"))));
        var run = trainer.FitAsync(new RegressionModule(), TestData.Line());
        var error = await Assert.ThrowsAsync<ArithmeticException>(() => run);
        Assert.Equal("boom at a batch", error.Message);
        Assert.True(run.IsFaulted);
        Assert.False(trainer.LastFitResult!.Interrupted);
    }

    [Fact]
    public void Progress_reports_every_batch_at_a_zero_interval_and_every_epoch_end_with_its_metrics()
    {
        using var dir = new TempDir();
        var progress = new Collecting();
        var trainer = new Trainer(Quiet(dir) with { Progress = progress, ProgressInterval = TimeSpan.Zero });
        trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line(batches: 2));

        var training = progress.Reports.Where(r => r.Stage == Stage.Fit && !r.EpochCompleted && r.Batches == 4).ToList();
        Assert.Equal(12, training.Count);
        Assert.Equal(Enumerable.Range(1, 12).Select(s => (long)s), training.Select(r => r.GlobalStep));
        Assert.Equal([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4], training.Select(r => r.Batch));
        Assert.All(training, r => Assert.True(r.Metrics.ContainsKey("train_loss_step")));
        var epochEnds = progress.Reports.Where(r => r.EpochCompleted).ToList();
        Assert.Equal([0, 1, 2], epochEnds.Select(r => r.Epoch));
        Assert.All(epochEnds, r => Assert.Equal(3, r.MaxEpochs));
        Assert.Equal(trainer.CallbackMetrics["val_loss"], epochEnds[^1].Metrics["val_loss"]);
        // Validation batches are reported too, two per epoch (and the sanity check's).
        Assert.Contains(progress.Reports, r => r.Stage == Stage.Fit && r.Batches == 2 && r.Batch == 2);

        var test = new Collecting();
        new Trainer(Quiet(dir) with { Progress = test, ProgressInterval = TimeSpan.FromHours(1) }).Test(new RegressionModule(), TestData.Line(batches: 3), verbose: false);
        // Throttled to the first batch, then the end of the run with the epoch's metrics.
        Assert.Equal(2, test.Reports.Count);
        Assert.Equal((1, 3), (test.Reports[0].Batch, test.Reports[0].Batches));
        Assert.Equal((Stage.Test, 3), (test.Reports[1].Stage, test.Reports[1].Batch));
        Assert.True(test.Reports[1].Metrics.ContainsKey("test_loss"));
    }

    [Fact]
    public void Progress_is_throttled_during_batches_but_never_misses_an_epoch_end()
    {
        using var dir = new TempDir();
        var progress = new Collecting();
        new Trainer(Quiet(dir) with { Progress = progress, ProgressInterval = TimeSpan.FromHours(1) }).Fit(new RegressionModule(), TestData.Line());
        // The first batch of each epoch, then its end.
        Assert.Equal([(0, 1, false), (0, 4, true), (1, 1, false), (1, 4, true), (2, 1, false), (2, 4, true)],
            progress.Reports.Select(r => (r.Epoch, r.Batch, r.EpochCompleted)));
    }
}
