using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Metrics;

/// <summary>A 3-class classifier that logs accuracy objects in training (per step, via Forward) and validation (per epoch).</summary>
[LightningModule]
public partial class ClassifierWithMetrics : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(4, 3);
    private readonly MulticlassAccuracy trainAccuracy = new(3);
    private readonly MulticlassAccuracy valAccuracy = new(3);
    private readonly MetricCollection valScores = new(new Dictionary<string, Metric> { ["f1"] = new MulticlassF1Score(3), ["auroc"] = new MulticlassAUROC(3) }, prefix: "val_");

    public List<double> StepAccuracies { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var logits = layer.forward(batch.X);
        StepAccuracies.Add(trainAccuracy.Forward(logits, batch.Y).item<float>());
        Log("train_acc", trainAccuracy, onStep: true, onEpoch: true);
        return nn.functional.cross_entropy(logits, batch.Y);
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var logits = layer.forward(batch.X);
        valAccuracy.Update(logits, batch.Y);
        valScores.Update(logits, batch.Y);
        Log("val_acc", valAccuracy);
        LogDict(valScores);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.5);

    public Tensor Logits(Tensor x) => layer.forward(x);
}

public class MetricLoggingTests
{
    private static List<(Tensor X, Tensor Y)> Data(int batches, int seed)
    {
        var generator = new Generator(unchecked((ulong)seed));
        return Enumerable.Range(0, batches).Select(_ =>
        {
            var x = randn([8, 4], generator: generator);
            return (x, x[.., ..3].argmax(1));
        }).ToList();
    }

    private static Trainer NewTrainer(string root, int epochs, params Callback[] callbacks) => new(new TrainerOptions
    {
        MaxEpochs = epochs, DefaultRootDir = root, EnableProgressBar = false, NumSanityValSteps = 0, Callbacks = callbacks,
        Logger = false, EnableCheckpointing = callbacks.Length > 0,
    });

    [Fact]
    public void Logged_metrics_are_computed_over_the_whole_epoch_and_reset_for_the_next()
    {
        using var dir = new TempDir();
        var (train, val) = (Data(4, 1), Data(3, 2));
        var model = new ClassifierWithMetrics();
        var trainer = NewTrainer(dir.Path, epochs: 2);
        trainer.Fit(model, train, val);

        var metrics = trainer.CallbackMetrics;
        // Validation: the accuracy of the final weights over all validation samples, as the functional form computes it.
        using (no_grad())
        {
            var logits = cat(val.Select(b => model.Logits(b.X)).ToArray());
            var targets = cat(val.Select(b => b.Y).ToArray());
            Assert.Equal(MetricFunctions.MulticlassAccuracy(logits, targets, 3).item<float>(), metrics["val_acc"], 6);
            Assert.Equal(MetricFunctions.MulticlassF1Score(logits, targets, 3).item<float>(), metrics["val_f1"], 6);
            Assert.Equal(MetricFunctions.MulticlassAUROC(logits, targets, 3).item<float>(), metrics["val_auroc"], 6);
        }
        // Training: the epoch value is the accuracy over the second epoch's batches only (equal sizes: the mean of its steps).
        Assert.Equal(8, model.StepAccuracies.Count);
        Assert.Equal(model.StepAccuracies.Skip(4).Average(), metrics["train_acc_epoch"], 6);
        Assert.Equal(model.StepAccuracies[^1], metrics["train_acc_step"], 6);
    }

    [Fact]
    public void A_mid_epoch_resume_ends_the_epoch_with_the_same_metric_value()
    {
        using var dir = new TempDir();
        var (train, val) = (Data(6, 3), Data(2, 4));
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        manual_seed(0);
        var whole = NewTrainer(dir.Path, 2, new ModelCheckpoint { DirPath = checkpoints, EveryNTrainSteps = 3, SaveTopK = -1 });
        whole.Fit(new ClassifierWithMetrics(), train, val);

        manual_seed(0);
        var resumed = NewTrainer(dir.Path, 2);
        // Step 9 is three batches into the second epoch: the accuracy of those three comes from the checkpoint.
        resumed.Fit(new ClassifierWithMetrics(), train, val, ckptPath: Path.Combine(checkpoints, "epoch=1-step=9.ckpt"));
        Assert.Equal(whole.CallbackMetrics["train_acc_epoch"], resumed.CallbackMetrics["train_acc_epoch"]);
        Assert.Equal(whole.CallbackMetrics["val_acc"], resumed.CallbackMetrics["val_acc"]);
    }

    [Fact]
    public void Forward_returns_the_batch_value_and_accumulates()
    {
        using var metric = new MulticlassAccuracy(2);
        var first = metric.Forward(tensor(new[] { 0L, 1L }), tensor(new[] { 0L, 0L }));
        var second = metric.Forward(tensor(new[] { 1L, 1L }), tensor(new[] { 1L, 1L }));
        Assert.Equal(0.5f, first.item<float>());
        Assert.Equal(1.0f, second.item<float>());
        Assert.Equal(0.75f, metric.Compute().item<float>());
        metric.Reset();
        Assert.Equal(0f, metric.Compute().item<float>());
    }

    [Fact]
    public void A_metric_with_several_values_cannot_be_logged_as_one()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir.Path, 1);
        var error = Assert.Throws<MisconfigurationException>(() => trainer.Fit(new ConfusionLogger(), Data(2, 5)));
        Assert.Contains("single value", error.Message);
    }
}

[LightningModule]
public partial class ConfusionLogger : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(4, 3);
    private readonly MulticlassConfusionMatrix confusion = new(3);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var logits = layer.forward(batch.X);
        confusion.Update(logits, batch.Y);
        Log("confusion", confusion, onStep: false, onEpoch: true);
        return nn.functional.cross_entropy(logits, batch.Y);
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);
}
