using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

/// <summary>The line fit of Fixtures/lightning_behaviours.py: records the first x of every validation batch outside the sanity check.</summary>
[LightningModule]
public partial class FidelityLine : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public List<double> ValidationFirstX { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        if (!Trainer!.SanityChecking) ValidationFirstX.Add(batch.X[0, 0].item<float>());
        Log("val_loss", nn.functional.mse_loss(layer.forward(batch.X), batch.Y));
        return null;
    }

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("test_loss", nn.functional.mse_loss(layer.forward(batch.X), batch.Y));
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}

/// <summary>Validation's score improves until epoch 2, then stays flat.</summary>
[LightningModule]
public partial class FlatAfterEpochTwo : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("score", Math.Max(3 - CurrentEpoch, 1));
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}

/// <summary>Logs in evaluation with every combination the fixture's Logging module uses.</summary>
[LightningModule]
public partial class EvaluationLogging : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("vs", batchIdx + 1, onStep: true, onEpoch: true);
        Log("ve", batchIdx + 10);
        Log("hidden", 5, logger: false);
        Log("vstep", batchIdx, onStep: true, onEpoch: false);
        return null;
    }

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("ts", batchIdx + 1, onStep: true, onEpoch: true);
        Log("tstep", batchIdx, onStep: true, onEpoch: false);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}

/// <summary>Overrides Lightning's customization hooks (optimizer_step, optimizer_zero_grad, lr_scheduler_step, the model eval/train hooks) and records every call.</summary>
[LightningModule]
public partial class CustomizedOptimization : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public List<string> Calls { get; } = [];

    private void Record(string hook) => Calls.Add(System.Text.RegularExpressions.Regex.Replace(hook, "(?<=[a-z])([A-Z])", "_$1").ToLowerInvariant());

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Record(nameof(TrainingStep));
        return nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx) { Record(nameof(ValidationStep)); return null; }
    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx) { Record(nameof(TestStep)); return null; }
    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) { Record(nameof(PredictStep)); return batch.X; }

    public override OptimizerConfig ConfigureOptimizers()
    {
        var optimizer = optim.SGD(parameters(), 0.01);
        return (new[] { optimizer }, new[] { optim.lr_scheduler.StepLR(optimizer, 1) });
    }

    public override void OptimizerStep(int epoch, int batchIdx, LightningOptimizer optimizer, Action optimizerClosure)
    {
        Record(nameof(OptimizerStep));
        optimizer.step(optimizerClosure);
    }

    public override void OptimizerZeroGrad(int epoch, int batchIdx, optim.Optimizer optimizer)
    {
        Record(nameof(OptimizerZeroGrad));
        optimizer.zero_grad();
    }

    public override void LrSchedulerStep(optim.lr_scheduler.LRScheduler scheduler, double? metric)
    {
        Record(nameof(LrSchedulerStep));
        scheduler.step();
    }

    public override void OnBeforeZeroGrad(optim.Optimizer optimizer) => Record(nameof(OnBeforeZeroGrad));
    public override void OnBeforeBackward(Tensor loss) => Record(nameof(OnBeforeBackward));
    public override void OnAfterBackward() => Record(nameof(OnAfterBackward));
    public override void OnBeforeOptimizerStep(optim.Optimizer optimizer) => Record(nameof(OnBeforeOptimizerStep));
    public override void ConfigureGradientClipping(optim.Optimizer optimizer, double? gradientClipVal, GradientClipAlgorithm? gradientClipAlgorithm) => Record(nameof(ConfigureGradientClipping));
    public override void OnTrainBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx) => Record(nameof(OnTrainBatchEnd));
    public override void OnTrainEpochEnd() => Record(nameof(OnTrainEpochEnd));
    public override void OnValidationStart() => Record(nameof(OnValidationStart));
    public override void OnValidationEnd() => Record(nameof(OnValidationEnd));

    public override void OnValidationModelEval() { Record(nameof(OnValidationModelEval)); base.OnValidationModelEval(); }
    public override void OnValidationModelTrain() { Record(nameof(OnValidationModelTrain)); base.OnValidationModelTrain(); }
    public override void OnTestModelEval() { Record(nameof(OnTestModelEval)); base.OnTestModelEval(); }
    public override void OnTestModelTrain() { Record(nameof(OnTestModelTrain)); base.OnTestModelTrain(); }
    public override void OnPredictModelEval() { Record(nameof(OnPredictModelEval)); base.OnPredictModelEval(); }
}

/// <summary>Lightning's documented manual warm-up: the learning rate ramps over the first steps in OptimizerStep; or forgets the closure.</summary>
[LightningModule]
public partial class WarmupInOptimizerStep : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public bool ForgetClosure { get; init; }

    public List<double> LearningRates { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);

    public override void OptimizerStep(int epoch, int batchIdx, LightningOptimizer optimizer, Action optimizerClosure)
    {
        if (ForgetClosure) return;
        foreach (var group in optimizer.ParamGroups) group.LearningRate = 0.1 * Math.Min(1.0, (GlobalStep + 1) / 4.0);
        LearningRates.Add(optimizer.ParamGroups.First().LearningRate);
        optimizer.step(optimizerClosure);
    }
}

/// <summary>Sets ShouldStop once, at the end of the first training epoch.</summary>
public sealed class StopInFirstEpoch : Callback
{
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
    {
        if (trainer.CurrentEpoch == 0) trainer.ShouldStop = true;
    }
}

/// <summary>
/// Behaviours checked against Lightning 2.1.4 itself: the expectations come from Fixtures/lightning-2.1.4-behaviours.json,
/// written by Fixtures/lightning_behaviours.py running real Lightning on the same data.
/// </summary>
public class LightningFidelityTests
{
    private static readonly JsonNode Cases = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Training", "Fixtures", "lightning-2.1.4-behaviours.json")))!["cases"]!;

    /// <summary>x = start, start + 1, …; y = 2x + 1; batches of 2, as the fixture's loader.</summary>
    private static List<(Tensor X, Tensor Y)> Loader(int start, int batches)
    {
        var x = arange(start, start + 2 * batches, dtype: ScalarType.Float32).reshape(-1, 1);
        return Enumerable.Range(0, batches).Select(b => (x[(2 * b)..(2 * b + 2)].clone(), x[(2 * b)..(2 * b + 2)] * 2 + 1)).ToList();
    }

    private static TrainerOptions Options(string root) => new()
    {
        DefaultRootDir = root, EnableProgressBar = false, EnableModelSummary = false, Logger = false,
    };

    [Fact]
    public void MinEpochs_keeps_a_stop_request_until_it_is_reached()
    {
        using var dir = new TempDir();
        var expected = Cases["min_epochs_with_a_stop_request"]!;
        var trainer = new Trainer(Options(dir.Path) with
        {
            MinEpochs = 3, MaxEpochs = 6, Callbacks = [new StopInFirstEpoch()], EnableCheckpointing = false, NumSanityValSteps = 0,
        });
        trainer.Fit(new FidelityLine(), Loader(0, 2));
        Assert.Equal((int)expected["epochs"]!, trainer.CurrentEpoch);
        Assert.Equal((long)expected["global_step"]!, trainer.GlobalStep);
    }

    [Fact]
    public void MinSteps_keeps_a_stop_request_until_it_is_reached_inside_an_epoch()
    {
        using var dir = new TempDir();
        var expected = Cases["min_steps_with_a_stop_request"]!;
        var trainer = new Trainer(Options(dir.Path) with
        {
            MinSteps = 5, MaxEpochs = 6, Callbacks = [new StopInFirstEpoch()], EnableCheckpointing = false, NumSanityValSteps = 0,
        });
        trainer.Fit(new FidelityLine(), Loader(0, 2));
        Assert.Equal((int)expected["epochs"]!, trainer.CurrentEpoch);
        Assert.Equal((long)expected["global_step"]!, trainer.GlobalStep);
    }

    [Fact]
    public void MinEpochs_with_early_stopping_stops_once_reached()
    {
        using var dir = new TempDir();
        var expected = Cases["min_epochs_with_early_stopping"]!;
        var stopping = new EarlyStopping { Monitor = "score", Patience = 1 };
        var trainer = new Trainer(Options(dir.Path) with
        {
            MinEpochs = 4, MaxEpochs = 8, Callbacks = [stopping], EnableCheckpointing = false, NumSanityValSteps = 0,
        });
        trainer.Fit(new FlatAfterEpochTwo(), Loader(0, 2), Loader(100, 1));
        Assert.Equal((int)expected["epochs"]!, trainer.CurrentEpoch);
        Assert.Equal((long)expected["global_step"]!, trainer.GlobalStep);
        Assert.Equal((int)expected["stopped_epoch"]!, stopping.StoppedEpoch);
    }

    [Fact]
    public void OverfitBatches_validates_on_the_first_batches_of_the_validation_loader()
    {
        using var dir = new TempDir();
        var model = new FidelityLine();
        var trainer = new Trainer(Options(dir.Path) with { OverfitBatches = 2, MaxEpochs = 1, EnableCheckpointing = false, NumSanityValSteps = 0 });
        trainer.Fit(model, Loader(0, 4), Loader(100, 4));
        Assert.Equal(Cases["overfit_batches"]!["validation_first_x"]!.AsArray().Select(v => (double)v!), model.ValidationFirstX);
    }

    [Fact]
    public void Validate_and_Test_return_the_logged_epoch_values_under_their_logged_names()
    {
        using var dir = new TempDir();
        var expected = Cases["evaluation_results"]!;
        var trainer = new Trainer(Options(dir.Path) with { EnableCheckpointing = false });
        AssertResults(expected["validate"]!, trainer.Validate(new EvaluationLogging(), Loader(100, 3)));
        AssertResults(expected["test"]!, trainer.Test(new EvaluationLogging(), Loader(100, 3)));

        static void AssertResults(JsonNode expected, IReadOnlyList<IReadOnlyDictionary<string, double>> actual)
        {
            var results = Assert.Single(actual);
            var wanted = expected[0]!.AsObject().ToDictionary(p => p.Key, p => (double)p.Value!);
            Assert.Equal(wanted.Keys.Order(StringComparer.Ordinal), results.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, value) in wanted) Assert.Equal(value, results[key], 6);
        }
    }

    [Fact]
    public void Step_values_of_evaluation_have_their_own_step_counter_and_no_epoch()
    {
        using var dir = new TempDir();
        var logger = new CsvLogger(dir.Path, "rows");
        var trainer = new Trainer(Options(dir.Path) with
        {
            Logger = logger, MaxEpochs = 2, EnableCheckpointing = false, NumSanityValSteps = 0, LogEveryNSteps = 1,
        });
        var model = new EvaluationLogging();
        trainer.Fit(model, Loader(0, 2), Loader(100, 3));
        trainer.Test(model, Loader(100, 3));

        var lines = File.ReadAllLines(logger.MetricsPath);
        var header = lines[0].Split(',');
        var rows = new List<(string Metric, double Value, long Step, string Epoch)>();
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            foreach (var metric in new[] { "vstep", "tstep" })
            {
                int column = Array.IndexOf(header, metric);
                if (column >= 0 && cells[column].Length > 0)
                {
                    int epochColumn = Array.IndexOf(header, "epoch");
                    rows.Add((metric, double.Parse(cells[column], System.Globalization.CultureInfo.InvariantCulture), long.Parse(cells[0], System.Globalization.CultureInfo.InvariantCulture),
                        epochColumn >= 0 ? cells[epochColumn] : ""));
                }
            }
        }
        var expected = Cases["step_rows"]!["rows"]!.AsArray()
            .Select(r => ((string)r!["metric"]!, (double)r["value"]!, (long)r["step"]!, (string)r["epoch"]!)).ToList();
        Assert.Equal(expected, rows);
    }

    [Fact]
    public void Test_with_ckptPath_last_and_no_last_checkpoint_warns_and_tests_the_current_weights()
    {
        using var dir = new TempDir();
        var expected = Cases["test_last_without_last_ckpt"]!;
        var messages = new CollectingLoggerFactory();
        var trainer = new Trainer(Options(dir.Path) with { MaxEpochs = 1, NumSanityValSteps = 0, LoggerFactory = messages });
        var model = new FidelityLine();
        trainer.Fit(model, Loader(0, 2));
        var results = trainer.Test(model, Loader(100, 2), ckptPath: "last");
        Assert.Equal((bool)expected["tested"]!, results.Count == 1 && results[0].ContainsKey("test_loss"));
        Assert.Single(expected["warnings"]!.AsArray());
        Assert.Contains(messages.Messages, m => m.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && m.Message.Contains("ckptPath: \"last\"", StringComparison.Ordinal) && m.Message.Contains("no last checkpoint", StringComparison.Ordinal));
    }

    [Fact]
    public void Deterministic_without_a_seed_trains()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(Options(dir.Path) with { Deterministic = true, MaxEpochs = 1, EnableCheckpointing = false });
        trainer.Fit(new FidelityLine(), Loader(0, 2));
        Assert.Equal((bool)Cases["deterministic_without_seed"]!["trained"]!, trainer.GlobalStep == 2);
    }

    [Fact]
    public void FastDevRun_keeps_a_checkpoint_callback_that_saves_nothing()
    {
        using var dir = new TempDir();
        var expected = Cases["fast_dev_run"]!;
        var trainer = new Trainer(Options(dir.Path) with { FastDevRun = 1 });
        trainer.Fit(new FidelityLine(), Loader(0, 4), Loader(100, 2));
        Assert.Equal((string)expected["checkpoint_callback"]!, trainer.CheckpointCallback?.GetType().Name);
        Assert.Equal((int)expected["checkpoint_files"]!, Directory.GetFiles(dir.Path, "*.ckpt", SearchOption.AllDirectories).Length);
        Assert.Equal((long)expected["global_step"]!, trainer.GlobalStep);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void The_customization_hooks_run_in_Lightnings_order_with_Lightnings_defaults()
    {
        using var dir = new TempDir();
        var expected = Cases["customization_hook_order"]!;
        var model = new CustomizedOptimization();
        var trainer = new Trainer(Options(dir.Path) with { MaxEpochs = 1, EnableCheckpointing = false, NumSanityValSteps = 0 });
        trainer.Fit(model, Loader(0, 2), Loader(100, 1));
        Assert.Equal(expected["fit"]!.AsArray().Select(c => (string)c!), model.Calls);
        // The closure trained: the optimizer stepped twice, and StepLR lowered the learning rate once.
        Assert.Equal(2, trainer.GlobalStep);
        Assert.Equal(0.001, trainer.Optimizers[0].Optimizer.ParamGroups.First().LearningRate, 9);

        model.Calls.Clear();
        trainer.Test(model, Loader(100, 1));
        Assert.Equal(expected["test"]!.AsArray().Select(c => (string)c!), model.Calls);
        Assert.True(model.training);
        model.Calls.Clear();
        trainer.Predict(model, Loader(100, 1));
        Assert.Equal(expected["predict"]!.AsArray().Select(c => (string)c!), model.Calls);
        Assert.False(model.training);
    }

    [Fact]
    public void OptimizerStep_can_warm_up_the_learning_rate_and_must_run_the_closure()
    {
        using var dir = new TempDir();
        var model = new WarmupInOptimizerStep();
        var trainer = new Trainer(Options(dir.Path) with { MaxEpochs = 3, EnableCheckpointing = false });
        trainer.Fit(model, Loader(0, 2));
        Assert.Equal([0.025, 0.05, 0.075, 0.1, 0.1, 0.1], model.LearningRates.Select(lr => Math.Round(lr, 12)));
        Assert.Equal(6, trainer.GlobalStep);

        var forgetful = new Trainer(Options(dir.Path) with { MaxEpochs = 1, EnableCheckpointing = false });
        var error = Assert.Throws<MisconfigurationException>(() => forgetful.Fit(new WarmupInOptimizerStep { ForgetClosure = true }, Loader(0, 2)));
        Assert.Contains("optimizer.step(optimizerClosure)", error.Message);
    }
}
