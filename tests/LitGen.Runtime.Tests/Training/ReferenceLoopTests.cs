using LitGen.Runtime.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace LitGen.Runtime.Tests.Training;

/// <summary>A regression module whose optimizer configuration each test chooses.</summary>
[LightningModule]
public partial class ConfigurableModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear hidden = nn.Linear(1, 8);
    private readonly Linear output = nn.Linear(8, 1);

    public Func<ConfigurableModule, OptimizerConfig> Optimization { get; init; } = m => TorchSharp.torch.optim.SGD(m.parameters(), 0.1);

    public Tensor Forward(Tensor x) => output.forward(tanh(hidden.forward(x)));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(Forward(batch.X), batch.Y);

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_loss", nn.functional.mse_loss(Forward(batch.X), batch.Y));
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => Optimization(this);
}

/// <summary>
/// Hand-written TorchSharp loops that do what Lightning's automatic optimization does; the trainer's weights must
/// equal theirs bit for bit.
/// </summary>
public class ReferenceLoopTests
{
    private sealed record Setup(int Accumulate, double? Clip, GradientClipAlgorithm Algorithm, Func<ConfigurableModule, (Optimizer, LrSchedulerConfig?)> Configure);

    private static readonly List<(Tensor X, Tensor Y)> Train = TestData.Line(batches: 7, batchSize: 3);
    private static readonly List<(Tensor X, Tensor Y)> Val = TestData.Line(batches: 2, batchSize: 5);
    private const int Epochs = 3;

    private static ConfigurableModule NewModule(Func<ConfigurableModule, (Optimizer, LrSchedulerConfig?)> configure)
    {
        manual_seed(1234);
        return new ConfigurableModule { Optimization = m => { var (o, s) = configure(m); return new OptimizerConfig(o, s); } };
    }

    private static Dictionary<string, Tensor> TrainWithTrainer(Setup setup)
    {
        using var dir = new TempDir();
        var model = NewModule(setup.Configure);
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = Epochs,
            AccumulateGradBatches = setup.Accumulate,
            GradientClipVal = setup.Clip,
            GradientClipAlgorithm = setup.Algorithm,
            NumSanityValSteps = 0,
            DefaultRootDir = dir.Path,
            EnableProgressBar = false,
            EnableCheckpointing = false,
            Logger = false,
        });
        trainer.Fit(model, Train, Val);
        return model.state_dict();
    }

    private static Dictionary<string, Tensor> TrainByHand(Setup setup)
    {
        var model = NewModule(setup.Configure);
        model.EnsureComponentsRegistered();
        var (optimizer, scheduler) = setup.Configure(model);
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            model.train();
            for (int b = 0; b < Train.Count; b++)
            {
                using var scope = NewDisposeScope();
                bool isLast = b == Train.Count - 1;
                var loss = nn.functional.mse_loss(model.Forward(Train[b].X), Train[b].Y);
                if (b % setup.Accumulate == 0) optimizer.zero_grad();
                (setup.Accumulate == 1 ? loss : loss / setup.Accumulate).backward();
                bool accumulating = (b + 1) % setup.Accumulate != 0 && !isLast;
                if (!accumulating)
                {
                    if (setup.Clip is double clip)
                    {
                        if (setup.Algorithm == GradientClipAlgorithm.Norm) nn.utils.clip_grad_norm_(optimizer.parameters(), clip);
                        else nn.utils.clip_grad_value_(optimizer.parameters(), clip);
                    }
                    optimizer.step();
                    if (scheduler is { Interval: Interval.Step, ReduceOnPlateau: false } && (b + 1) % scheduler.Frequency == 0) scheduler.Scheduler.step();
                }
                if (isLast && scheduler is { Interval: Interval.Epoch, ReduceOnPlateau: false } && (epoch + 1) % scheduler.Frequency == 0) scheduler.Scheduler.step();
            }
            double valLoss = ValidationLoss(model);
            if (scheduler is { ReduceOnPlateau: true } && (epoch + 1) % scheduler.Frequency == 0) scheduler.Scheduler.step(valLoss);
        }
        return model.state_dict();
    }

    // Lightning's epoch mean: the batch-size-weighted mean, accumulated in float64.
    private static double ValidationLoss(ConfigurableModule model)
    {
        model.eval();
        using var noGrad = no_grad();
        double total = 0, weight = 0;
        foreach (var (x, y) in Val)
        {
            total += nn.functional.mse_loss(model.Forward(x), y).item<float>() * (double)x.shape[0];
            weight += x.shape[0];
        }
        return total / weight;
    }

    public static TheoryData<string> Setups => new(Cases.Keys);

    private static readonly Dictionary<string, Setup> Cases = new()
    {
        ["adam, accumulate 3, clip norm, StepLR every 2 steps"] = new(3, 0.05, GradientClipAlgorithm.Norm,
            m => { var o = Adam(m.parameters(), 0.01); return (o, new LrSchedulerConfig(StepLR(o, 1, 0.9)) { Interval = Interval.Step, Frequency = 2 }); }),
        ["sgd momentum, clip value, ExponentialLR per epoch"] = new(1, 0.01, GradientClipAlgorithm.Value,
            m => { var o = SGD(m.parameters(), 0.05, momentum: 0.9); return (o, new LrSchedulerConfig(ExponentialLR(o, 0.5))); }),
        ["adamw, accumulate 2, OneCycle per step"] = new(2, null, GradientClipAlgorithm.Norm,
            m => { var o = AdamW(m.parameters(), 0.01); return (o, new LrSchedulerConfig(OneCycleLR(o, 0.05, total_steps: 100)) { Interval = Interval.Step }); }),
        ["sgd, ReduceLROnPlateau on val_loss"] = new(1, null, GradientClipAlgorithm.Norm,
            m => { var o = SGD(m.parameters(), 0.2); return (o, new LrSchedulerConfig(ReduceLROnPlateau(o, patience: 0, factor: 0.5)) { Monitor = "val_loss" }); }),
        ["rmsprop, accumulate 4 (last window short), no scheduler"] = new(4, 1.0, GradientClipAlgorithm.Norm,
            m => (RMSProp(m.parameters(), 0.01), null)),
        // SGD is not scale-invariant: these fail if the loss is not divided by the accumulation count.
        ["sgd, accumulate 3, clip norm"] = new(3, 0.5, GradientClipAlgorithm.Norm,
            m => (SGD(m.parameters(), 0.1), null)),
        ["sgd momentum, accumulate 2, StepLR per step"] = new(2, null, GradientClipAlgorithm.Norm,
            m => { var o = SGD(m.parameters(), 0.05, momentum: 0.9); return (o, new LrSchedulerConfig(StepLR(o, 2, 0.8)) { Interval = Interval.Step }); }),
    };

    [Theory]
    [MemberData(nameof(Setups))]
    public void Trainer_weights_equal_the_hand_written_loop_bit_for_bit(string name)
    {
        var setup = Cases[name];
        var expected = TrainByHand(setup);
        var actual = TrainWithTrainer(setup);
        var initial = NewModule(setup.Configure).state_dict();
        foreach (var (key, value) in expected)
        {
            Assert.True((value == actual[key]).all().item<bool>(), $"{name}: {key} differs by {(value - actual[key]).abs().max().item<float>()}");
            Assert.False((value == initial[key]).all().item<bool>(), $"{name}: {key} did not train");
        }
    }
}
