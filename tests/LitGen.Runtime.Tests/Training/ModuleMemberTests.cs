using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Runtime.Tests.Training;

/// <summary>Logs host values with the batch size, and prints.</summary>
[LightningModule]
public partial class HostLoggingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear layer = Linear(1, 1);

    public List<string?> LoggerNames { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        LoggerNames.Add(Logger?.Name);
        Print($"step {batchIdx}");
        return functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        double size = batch.X.shape[0];
        LogDict(new Dictionary<string, double> { ["size_mean"] = size, ["size_sum"] = size }, reduceFx: ReduceFx.Mean);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.0);
}

/// <summary>A loss whose backward produces NaN (the square root's gradient at 0).</summary>
[LightningModule]
public partial class NanGradientModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear layer = Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => (layer.forward(batch.X) * 0).sqrt().sum();

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);
}

/// <summary>Records a weight when its checkpoint hook runs, to check the hook sees the weights before they load.</summary>
[LightningModule]
public partial class LoadOrderModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear layer = Linear(1, 1);

    public float? BiasWhenOnLoadCheckpointRan { get; private set; }

    public float Bias => layer.bias!.item<float>();

    public override void OnLoadCheckpoint(Checkpoint checkpoint) => BiasWhenOnLoadCheckpointRan = Bias;

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.5);
}

/// <summary>Two optimizers with named schedulers, stepped by hand; clips the first one's gradients by value.</summary>
[LightningModule]
public partial class TwoOptimizerModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear first = Linear(1, 1);
    private readonly Linear second = Linear(1, 1);

    public TwoOptimizerModule() => AutomaticOptimization = false;

    public double MaxClippedGradient { get; private set; }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var (a, b) = (Optimizers()[0], Optimizers()[1]);
        var loss = functional.mse_loss(second.forward(first.forward(batch.X)), batch.Y) * 100;
        a.zero_grad();
        b.zero_grad();
        ManualBackward(loss);
        ClipGradients(a, gradientClipVal: 0.01, gradientClipAlgorithm: GradientClipAlgorithm.Value);
        MaxClippedGradient = first.parameters().Max(p => p.grad!.abs().max().item<float>());
        a.step();
        b.step();
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers()
    {
        var a = optim.SGD(first.parameters(), 0.1);
        var b = optim.Adam(second.parameters(), 0.01);
        return new OptimizerConfig([a, b],
        [
            new LrSchedulerConfig(optim.lr_scheduler.StepLR(a, 1)) { Name = "first-lr" },
            new LrSchedulerConfig(optim.lr_scheduler.StepLR(b, 1)) { Name = "second-lr" },
        ]);
    }
}

[Collection(ConsoleCollection.Name)]
public class ModuleMemberTests
{
    private static Trainer NewTrainer(TempDir dir, TrainerOptions options)
        => new(options with { DefaultRootDir = dir.Path, EnableProgressBar = false });

    [Fact]
    public void LogDict_of_host_values_weights_means_by_batch_size_and_Logger_and_Print_work()
    {
        using var dir = new TempDir();
        var model = new HostLoggingModule();
        var csv = new CsvLogger(dir.Path, "run");
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, EnableCheckpointing = false, Logger = csv });
        var val = new List<(Tensor, Tensor)> { (zeros(1, 1), zeros(1, 1)), (zeros(3, 1), zeros(3, 1)) };
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        try
        {
            trainer.Fit(model, TestData.Line(batches: 2), val);
        }
        finally
        {
            Console.SetOut(original);
        }
        // Batches of 1 and 3 samples logging their size: the weighted mean is (1·1 + 3·3) / 4, not (1 + 3) / 2.
        Assert.Equal(2.5, trainer.CallbackMetrics["size_mean"]);
        Assert.Equal(["run", "run"], model.LoggerNames);
        Assert.Contains("step 1", output.ToString());
    }

    [Fact]
    public void DetectAnomaly_stops_at_the_operation_that_produced_NaN()
    {
        using var dir = new TempDir();
        var quiet = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, Logger = false, EnableCheckpointing = false });
        quiet.Fit(new NanGradientModule(), TestData.Line(batches: 1));

        var detecting = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, Logger = false, EnableCheckpointing = false, DetectAnomaly = true });
        var error = Assert.ThrowsAny<Exception>(() => detecting.Fit(new NanGradientModule(), TestData.Line(batches: 1)));
        Assert.Contains("returned nan values", error.Message);
    }

    [Fact]
    public void The_model_summary_shows_layer_sizes_for_an_example_input()
    {
        var model = new Seeds.LitModel();
        Assert.DoesNotContain("In sizes", ModelSummary.Summarize(model));
        var encoder = new SizedModule { ExampleInputArray = zeros(5, 784) };
        var summary = ModelSummary.Summarize(encoder);
        Assert.Contains("In sizes", summary);
        Assert.Matches(@"net\s+\|\s+Sequential\s+\|\s+\S+ \S*\s*\|\s+\[5, 784\]\s+\|\s+\[5, 10\]", summary);
    }

    [Fact]
    public void Freeze_and_Unfreeze_switch_gradients_and_mode()
    {
        var model = new RegressionModule();
        model.Freeze();
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
        Assert.False(model.training);
        model.Unfreeze();
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.True(model.training);
    }

    [Fact]
    public void ClipGradients_and_named_schedulers_of_several_optimizers()
    {
        using var dir = new TempDir();
        var monitor = new LearningRateMonitor();
        var model = new TwoOptimizerModule();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, EnableCheckpointing = false, Logger = new CsvLogger(dir.Path), Callbacks = [monitor] });
        trainer.Fit(model, TestData.Line(batches: 2));
        Assert.True(model.MaxClippedGradient <= 0.01 + 1e-7, $"max gradient {model.MaxClippedGradient}");
        Assert.Equal(["first-lr", "second-lr"], monitor.LastLogged.Keys.Order());
        Assert.Equal(0.1, monitor.LastLogged["first-lr"], 10);
        Assert.Equal(0.01, monitor.LastLogged["second-lr"], 10);
    }

    [Fact]
    public void OnLoadCheckpoint_runs_before_the_weights_are_copied()
    {
        using var dir = new TempDir();
        var trained = new LoadOrderModule();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 3, Logger = false });
        trainer.Fit(trained, TestData.Line());
        var restored = LoadOrderModule.LoadFromCheckpoint(trainer.CheckpointCallback!.BestModelPath!);
        Assert.Equal(trained.Bias, restored.Bias);
        Assert.NotEqual(trained.Bias, restored.BiasWhenOnLoadCheckpointRan);
    }

    [Fact]
    public void Strict_false_loads_the_matching_weights_and_mapLocation_places_the_module()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 1, Logger = false });
        var trained = new RegressionModule(hidden: 8);
        trainer.Fit(trained, TestData.Line());
        var path = trainer.CheckpointCallback!.BestModelPath!;

        // Another hidden width: the input layer's shapes differ, so even a non-strict load must refuse those weights.
        Assert.Throws<InvalidCheckpointException>(() => RegressionModule.LoadFromCheckpoint(path, hp => hp with { Hidden = 3 }, strict: false));

        // Drop a weight from the checkpoint: strict refuses, non-strict loads the rest and keeps its own for the missing one.
        using var checkpoint = Checkpoint.Load(path);
        var partial = new Checkpoint
        {
            ModuleType = checkpoint.ModuleType,
            HyperparametersJson = checkpoint.HyperparametersJson,
            StateDict = checkpoint.StateDict.Where(p => p.Key != "output.bias").ToDictionary(p => p.Key, p => p.Value),
        };
        var partialPath = Path.Combine(dir.Path, "partial.ckpt");
        partial.Save(partialPath);
        Assert.Throws<InvalidCheckpointException>(() => RegressionModule.LoadFromCheckpoint(partialPath));
        var loaded = RegressionModule.LoadFromCheckpoint(partialPath, strict: false, mapLocation: CPU);
        Assert.True(loaded.state_dict()["output.weight"].equal(trained.state_dict()["output.weight"]).all().item<bool>());
        Assert.Equal(TorchSharp.DeviceType.CPU, loaded.Device.type);
    }

    [Fact]
    public void A_plateau_scheduler_that_is_not_strict_skips_the_step_when_its_metric_is_missing()
    {
        using var dir = new TempDir();
        var model = new ConfigurableModule
        {
            Optimization = m =>
            {
                var optimizer = optim.SGD(m.parameters(), 0.1);
                return new OptimizerConfig(optimizer, new LrSchedulerConfig(optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience: 0, factor: 0.5)) { Monitor = "missing", Strict = false });
            },
        };
        var trainer = NewTrainer(dir, new TrainerOptions { MaxEpochs = 4, Logger = false, EnableCheckpointing = false });
        trainer.Fit(model, TestData.Line(), TestData.Line(batches: 1));
        Assert.Equal(0.1, model.Optimizers()[0].ParamGroups.First().LearningRate);
    }

    [Fact]
    public void The_timer_restores_its_elapsed_seconds()
    {
        var timer = new TrainingTimer { Duration = TimeSpan.FromHours(1) };
        timer.LoadStateDict(new JsonObject { ["time_elapsed_seconds"] = 2.5 });
        Assert.Equal(TimeSpan.FromSeconds(2.5), timer.TimeElapsed);
    }
}

[LightningModule]
public partial class SizedModule : LightningModule<(Tensor X, Tensor Y), Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> net = Sequential(Linear(784, 32), ReLU(), Linear(32, 10));

    public override Tensor forward(Tensor input) => net.call(input);

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);
}
