using System.Globalization;
using LitGen.Runtime.Tests.Support;
using LitGen.Runtime.Tests.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen.Runtime.Tests.Callbacks;

[Collection(ConsoleCollection.Name)]
public class CallbackTests
{
    // Batches are made as they are yielded: tensors a dataloader creates while producing a batch belong to that step.
    private static IEnumerable<(Tensor X, Tensor Y)> Batches(int batches, bool fail)
    {
        for (int b = 0; b < batches; b++)
        {
            var x = linspace(-1, 1, 16).reshape(-1, 1) + b;
            yield return (x, x * 2 + 1);
        }
        if (fail) throw new IOException("disk went away");
    }

    [Fact]
    public void OnExceptionCheckpoint_saves_a_loadable_checkpoint_and_leaves_earlier_ones_untouched()
    {
        using var dir = new TempDir();
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        var onException = new OnExceptionCheckpoint(checkpoints);
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 3,
            DefaultRootDir = dir.Path,
            EnableProgressBar = false,
            Logger = false,
            Callbacks = [new ModelCheckpoint { DirPath = checkpoints, SaveTopK = -1 }, onException],
        });
        var model = new RegressionModule();
        var loaders = 0;
        var error = Assert.Throws<IOException>(() => trainer.Fit(model, new LazyLoader(() => Batches(4, fail: ++loaders == 3))));
        Assert.Equal("disk went away", error.Message);

        var saved = Directory.GetFiles(checkpoints).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["epoch=0-step=4.ckpt", "epoch=1-step=8.ckpt", "on_exception.ckpt"], saved);
        var before = File.ReadAllBytes(Path.Combine(checkpoints, "epoch=1-step=8.ckpt"));
        using var crash = Checkpoint.Load(onException.CheckpointPath);
        // Epoch 3 failed while its last batch was being fetched ahead, before that batch trained: 8 + 3 steps.
        Assert.Equal(11, crash.GlobalStep);
        var restored = RegressionModule.LoadFromCheckpoint(onException.CheckpointPath);
        Assert.True((restored.state_dict()["input.weight"] == model.state_dict()["input.weight"]).all().item<bool>());
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(checkpoints, "epoch=1-step=8.ckpt")));
        Assert.Empty(Directory.GetFiles(checkpoints, "*.tmp"));
    }

    /// <summary>A dataloader whose batches come from a new enumerable each epoch.</summary>
    private sealed class LazyLoader(Func<IEnumerable<(Tensor X, Tensor Y)>> next) : IEnumerable<(Tensor X, Tensor Y)>
    {
        public IEnumerator<(Tensor X, Tensor Y)> GetEnumerator() => next().GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void LearningRateMonitor_logs_the_scheduled_learning_rate()
    {
        using var dir = new TempDir();
        var monitor = new LearningRateMonitor { LoggingInterval = Interval.Epoch };
        var model = new ConfigurableModule
        {
            Optimization = m =>
            {
                var o = SGD(m.parameters(), 0.8);
                return new OptimizerConfig(o, lr_scheduler.StepLR(o, 1, 0.5));
            },
        };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, DefaultRootDir = dir.Path, EnableProgressBar = false, EnableCheckpointing = false, Callbacks = [monitor] });
        trainer.Fit(model, TestData.Line());

        Assert.Equal(0.2, monitor.LastLogged["lr-SGD"], 12);
        var csv = File.ReadAllLines(Path.Combine(trainer.LogDir, "metrics.csv"));
        int column = Array.IndexOf(csv[0].Split(','), "lr-SGD");
        Assert.Equal([0.8, 0.4, 0.2], csv.Skip(1).Select(l => l.Split(',')[column]).Where(v => v.Length > 0).Select(v => double.Parse(v, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void LearningRateMonitor_without_a_logger_is_refused()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, Logger = false, Callbacks = [new LearningRateMonitor()] });
        Assert.Throws<MisconfigurationException>(() => trainer.Fit(new RegressionModule(), TestData.Line()));
    }

    [Fact]
    public void ProgressBar_draws_TQDMs_live_line_with_percent_bar_rate_version_and_metrics()
    {
        using var dir = new TempDir();
        var console = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            var trainer = new Trainer(new TrainerOptions
            {
                MaxEpochs = 1, DefaultRootDir = dir.Path, EnableCheckpointing = false, EnableModelSummary = false,
                Callbacks = [new ProgressBar { Live = true, RefreshInterval = TimeSpan.Zero }],
            });
            trainer.Fit(new RegressionModule(), TestData.Line(batches: 4));
        }
        finally
        {
            Console.SetOut(console);
        }
        var text = captured.ToString();
        Assert.Contains("\rEpoch 0/0:  25%|██▌       | 1/4 [", text);
        Assert.Contains("\rEpoch 0/0: 100%|██████████| 4/4 [", text);
        Assert.Matches(@"\| 4/4 \[\d\d:\d\d<\d\d:\d\d, \d+\.\d\dit/s, fit \d\d:\d\d left, v_num=0, train_loss=[0-9.e+-]+, train_loss_step=[0-9.e+-]+\]", text);
    }

    [Fact]
    public void ModelSummary_lists_layers_and_parameter_counts()
    {
        var text = ModelSummary.Summarize(new RegressionModule(hidden: 8));
        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.Contains("| input ") && l.Contains("| Linear") && l.TrimEnd().EndsWith("16"));
        Assert.Contains(lines, l => l.Contains("| output ") && l.TrimEnd().EndsWith("9"));
        Assert.Contains(lines, l => l.StartsWith("25 ") && l.Contains("Total params"));
        Assert.Contains(lines, l => l.StartsWith("0 ") && l.Contains("Non-trainable params"));
    }

    [Fact]
    public void ModelCheckpoint_filename_templates_follow_Lightning()
    {
        var metrics = new Dictionary<string, double> { ["val_loss"] = 0.32149, ["val_acc"] = 0.5 };
        Assert.Equal("epoch=2-step=300", ModelCheckpoint.FormatName("{epoch}-{step}", 2, 300, metrics));
        Assert.Equal("best-epoch=02-val_loss=0.32", ModelCheckpoint.FormatName("best-{epoch:02d}-{val_loss:.2f}", 2, 300, metrics));
        Assert.Equal("7-0.500", ModelCheckpoint.FormatName("{epoch}-{val_acc:.3f}", 7, 0, metrics, autoInsertMetricName: false));
        // Lightning's doctest: a key not logged (yet) formats as 0.
        Assert.Equal("missing=0", ModelCheckpoint.FormatName("{missing:d}", 0, 0, new Dictionary<string, double>()));
        Assert.Equal("epoch=1-val_loss=0.00", ModelCheckpoint.FormatName("{epoch}-{val_loss:.2f}", 1, 10, new Dictionary<string, double>()));
    }

    [Fact]
    public void Last_checkpoint_holds_the_latest_step_even_when_top_k_did_not_save_it()
    {
        using var dir = new TempDir();
        // Monitoring "step" in min mode: the first step stays the best, so top-k saves once and never again.
        var callback = new ModelCheckpoint { DirPath = dir.Path, Monitor = "step", SaveTopK = 1, EveryNTrainSteps = 1, SaveLast = true };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, Callbacks = [callback] });
        trainer.Fit(new RegressionModule(), TestData.Line(batches: 4));
        using var last = Checkpoint.Load(callback.LastModelPath!);
        Assert.Equal(4, last.GlobalStep);
        using var best = Checkpoint.Load(callback.BestModelPath!);
        Assert.Equal(1, best.GlobalStep);
    }

    [Fact]
    public void A_run_resumed_from_last_ckpt_keeps_writing_last_ckpt()
    {
        using var dir = new TempDir();
        ModelCheckpoint NewCallback() => new() { DirPath = dir.Path, Monitor = "train_loss", SaveTopK = 1, EveryNTrainSteps = 1, SaveLast = true };
        var first = new Trainer(new TrainerOptions { MaxSteps = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, Callbacks = [NewCallback()] });
        first.Fit(new RegressionModule(), TestData.Line());

        var last = Path.Combine(dir.Path, "last.ckpt");
        var resumed = new Trainer(new TrainerOptions { MaxSteps = 4, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, Callbacks = [NewCallback()] });
        resumed.Fit(new RegressionModule(), TestData.Line(), ckptPath: last);

        Assert.Equal(last, resumed.CheckpointCallback!.LastModelPath);
        Assert.Empty(Directory.GetFiles(dir.Path, "last-v*.ckpt"));
        using var checkpoint = Checkpoint.Load(last);
        Assert.Equal(4, checkpoint.GlobalStep);
    }

    [Fact]
    public void Top_k_keeps_the_best_and_a_rerun_does_not_overwrite_earlier_files()
    {
        using var dir = new TempDir();
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        var firstRun = new List<string>();
        for (int run = 0; run < 2; run++)
        {
            // The same seed gives the same scores, so the second run picks the same file names.
            manual_seed(0);
            var trainer = new Trainer(new TrainerOptions
            {
                MaxEpochs = 4,
                DefaultRootDir = dir.Path,
                EnableProgressBar = false,
                Logger = false,
                Callbacks = [new ModelCheckpoint { DirPath = checkpoints, Monitor = "val_loss", SaveTopK = 2, SaveLast = true }],
            });
            trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line());
            var callback = trainer.CheckpointCallback!;
            Assert.Equal(2, callback.BestKModels.Count);
            Assert.Equal(callback.BestKModels.Values.Min(), callback.BestModelScore);
            Assert.True(File.Exists(callback.LastModelPath));
            Assert.All(callback.BestKModels.Keys, p => Assert.True(File.Exists(p)));
            if (run == 0) firstRun.AddRange(callback.BestKModels.Keys.Append(callback.LastModelPath!));
            else Assert.All(callback.BestKModels.Keys, p => Assert.Contains("-v1", p));
        }
        Assert.All(firstRun, p => Assert.True(File.Exists(p), $"{p} from the first run was removed"));
        // Two top-k files and a last file per run; the second run's last file is last-v1.ckpt, as in Lightning.
        Assert.Equal(6, Directory.GetFiles(checkpoints).Length);
    }
}

public class SchedulingCallbackTests
{
    [Fact]
    public void GradientAccumulationScheduler_changes_accumulation_by_epoch()
    {
        using var dir = new TempDir();
        var scheduler = new GradientAccumulationScheduler(new Dictionary<int, int> { [1] = 2, [2] = 4 });
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false, Callbacks = [scheduler] });
        trainer.Fit(new RegressionModule(), TestData.Line(batches: 8));
        // Epoch 0: 8 steps, epoch 1: 4, epoch 2: 2.
        Assert.Equal(14, trainer.GlobalStep);
        Assert.Equal(4, trainer.AccumulateGradBatches);
        Assert.Equal(1, scheduler.FactorAt(0));
    }

    [Fact]
    public void GradientAccumulationScheduler_together_with_AccumulateGradBatches_is_refused()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, AccumulateGradBatches = 2, DefaultRootDir = dir.Path, Logger = false,
            Callbacks = [new GradientAccumulationScheduler(new Dictionary<int, int> { [0] = 2 })],
        });
        Assert.Throws<MisconfigurationException>(() => trainer.Fit(new RegressionModule(), TestData.Line()));
    }

    [Fact]
    public void Timer_stops_training_and_keeps_its_elapsed_time_in_checkpoints()
    {
        using var dir = new TempDir();
        var timer = new TrainingTimer { Duration = TimeSpan.FromHours(1) };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, Callbacks = [timer] });
        trainer.Fit(new RegressionModule(), TestData.Line());
        Assert.True(timer.TimeElapsed > TimeSpan.Zero);
        Assert.True(timer.TimeRemaining < TimeSpan.FromHours(1));

        using var checkpoint = Checkpoint.Load(trainer.CheckpointCallback!.BestModelPath!);
        var resumedTimer = new TrainingTimer { Duration = TimeSpan.FromHours(1) };
        resumedTimer.LoadStateDict((System.Text.Json.Nodes.JsonObject)checkpoint.CallbackStates["Timer"]!);
        Assert.True(resumedTimer.TimeElapsed > TimeSpan.Zero);

        var stopped = new Trainer(new TrainerOptions { MaxEpochs = 50, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, Callbacks = [new TrainingTimer { Duration = TimeSpan.Zero, Interval = Interval.Epoch }] });
        stopped.Fit(new RegressionModule(), TestData.Line());
        Assert.Equal(1, stopped.CurrentEpoch);
    }
}

/// <summary>Logs a chosen score at the end of each training epoch, so a test knows the order of the checkpoints' scores.</summary>
[LightningModule]
public partial class ScriptedScoreModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public double[] Scores { get; init; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("score", Scores[CurrentEpoch], onStep: false, onEpoch: true);
        return nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override OptimizerConfig ConfigureOptimizers() => SGD(parameters(), 0.01);
}

public class TopKCheckpointTests
{
    [Theory]
    [InlineData(MonitorMode.Min, new[] { "epoch=1-step=4.ckpt", "epoch=3-step=8.ckpt" }, "epoch=3-step=8.ckpt", 0.5)]
    [InlineData(MonitorMode.Max, new[] { "epoch=0-step=2.ckpt", "epoch=2-step=6.ckpt" }, "epoch=0-step=2.ckpt", 3.0)]
    public void SaveTopK_2_keeps_exactly_the_two_best_of_a_non_monotonic_sequence(MonitorMode mode, string[] kept, string best, double bestScore)
    {
        using var dir = new TempDir();
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        var callback = new ModelCheckpoint { DirPath = checkpoints, Monitor = "score", Mode = mode, SaveTopK = 2 };
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 4, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, NumSanityValSteps = 0, Callbacks = [callback],
        });
        // Scores 3, 1, 2, 0.5: the third epoch beats the first but not the second, the fourth beats both.
        trainer.Fit(new ScriptedScoreModule { Scores = [3, 1, 2, 0.5] }, TestData.Line(2, 4));

        Assert.Equal(kept, Directory.GetFiles(checkpoints).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(Path.Combine(checkpoints, best), callback.BestModelPath);
        Assert.Equal(bestScore, callback.BestModelScore);
        Assert.Equal(kept.Select(name => Path.Combine(checkpoints, name)).Order(StringComparer.Ordinal), callback.BestKModels.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_monitor_missing_before_the_first_validation_warns_and_one_missing_after_it_fails()
    {
        using var dir = new TempDir();
        Trainer NewTrainer(ModelCheckpoint callback, CollectingLoggerFactory messages) => new(new TrainerOptions
        {
            MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, NumSanityValSteps = 0, Callbacks = [callback],
            LoggerFactory = messages,
        });

        // Saved every step: the first saves come before any validation run, when "val_loss" cannot exist yet.
        var early = new CollectingLoggerFactory();
        var stepwise = NewTrainer(new ModelCheckpoint { DirPath = Path.Combine(dir.Path, "a"), Monitor = "val_loss", EveryNTrainSteps = 1 }, early);
        stepwise.Fit(new RegressionModule(), TestData.Line(), TestData.Line(2));
        Assert.Contains(early.Messages, m => m.Message.Contains("could not find the monitored key", StringComparison.Ordinal));
        Assert.True(stepwise.ValidationHasRun);

        // A key no step ever logs is missing for good once a validation run has happened.
        var never = NewTrainer(new ModelCheckpoint { DirPath = Path.Combine(dir.Path, "b"), Monitor = "val_los" }, new CollectingLoggerFactory());
        var error = Assert.Throws<MisconfigurationException>(() => never.Fit(new RegressionModule(), TestData.Line(), TestData.Line(2)));
        Assert.Contains("\"val_los\"", error.Message);

        var unvalidated = NewTrainer(new ModelCheckpoint { DirPath = Path.Combine(dir.Path, "c") }, new CollectingLoggerFactory());
        unvalidated.Fit(new RegressionModule(), TestData.Line());
        Assert.False(unvalidated.ValidationHasRun);
    }
}

/// <summary>Keeps a note in the checkpoint beside its state dict, and records the order of its restore calls.</summary>
public sealed class NoteKeeper : Callback
{
    public List<string> Calls { get; } = [];

    public string? Note { get; private set; }

    public override void OnSaveCheckpoint(Trainer trainer, LightningModule module, Checkpoint checkpoint)
        => checkpoint.Extra["note"] = $"saved at step {trainer.GlobalStep}";

    public override void OnLoadCheckpoint(Trainer trainer, LightningModule module, Checkpoint checkpoint)
    {
        Calls.Add(nameof(OnLoadCheckpoint));
        Note = (string?)checkpoint.Extra["note"];
    }

    public override System.Text.Json.Nodes.JsonObject StateDict() => new() { ["kept"] = true };

    public override void LoadStateDict(System.Text.Json.Nodes.JsonObject state) => Calls.Add(nameof(LoadStateDict));
}

public class CallbackCheckpointHookTests
{
    [Fact]
    public void A_callback_saves_beside_its_state_and_reads_it_back_before_its_state_on_resume()
    {
        using var dir = new TempDir();
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        Trainer NewTrainer(int epochs, NoteKeeper keeper) => new(new TrainerOptions
        {
            MaxEpochs = epochs, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false,
            Callbacks = [keeper, new ModelCheckpoint { DirPath = checkpoints, SaveTopK = -1 }],
        });
        NewTrainer(1, new NoteKeeper()).Fit(new RegressionModule(), TestData.Line());

        var resumed = new NoteKeeper();
        NewTrainer(2, resumed).Fit(new RegressionModule(), TestData.Line(), ckptPath: Path.Combine(checkpoints, "epoch=0-step=4.ckpt"));
        Assert.Equal("saved at step 4", resumed.Note);
        Assert.Equal([nameof(Callback.OnLoadCheckpoint), nameof(Callback.LoadStateDict)], resumed.Calls);
    }
}
