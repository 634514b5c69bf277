using LitGen.Runtime.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.optim;

namespace LitGen.Runtime.Tests.Training;

/// <summary>A one-dimensional GAN: the generator learns to map N(0, 1) noise onto N(4, 0.5).</summary>
[LightningModule]
public partial class TinyGan : LightningModule<Tensor>
{
    [Hyperparameter] public double LearningRate { get; }
    private readonly Sequential generator = Sequential(Linear(1, 16), ReLU(), Linear(16, 1));
    private readonly Sequential discriminator = Sequential(Linear(1, 16), ReLU(), Linear(16, 1));

    public TinyGan(double learningRate = 0.01)
    {
        LearningRate = learningRate;
        AutomaticOptimization = false;
    }

    public Tensor Generate(long count) => generator.forward(randn(count, 1));

    public override Tensor? TrainingStep(Tensor real, int batchIdx)
    {
        var optimizers = Optimizers();
        var (optG, optD) = (optimizers[0], optimizers[1]);
        long n = real.shape[0];

        ToggleOptimizer(optD);
        var fake = Generate(n).detach();
        var dLoss = functional.binary_cross_entropy_with_logits(discriminator.forward(real), ones(n, 1))
                  + functional.binary_cross_entropy_with_logits(discriminator.forward(fake), zeros(n, 1));
        optD.zero_grad();
        ManualBackward(dLoss);
        optD.step();
        UntoggleOptimizer(optD);

        ToggleOptimizer(optG);
        var gLoss = functional.binary_cross_entropy_with_logits(discriminator.forward(Generate(n)), ones(n, 1));
        optG.zero_grad();
        ManualBackward(gLoss);
        optG.step();
        UntoggleOptimizer(optG);

        Log("d_loss", dLoss, progBar: true);
        Log("g_loss", gLoss, progBar: true);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => new[]
    {
        (Optimizer)Adam(generator.parameters(), LearningRate, beta1: 0.5),
        Adam(discriminator.parameters(), LearningRate, beta1: 0.5),
    };

    /// <summary>The same two updates without a trainer, for comparison.</summary>
    public void TrainByHand(IEnumerable<Tensor> batches, int epochs)
    {
        EnsureComponentsRegistered();
        var optG = Adam(generator.parameters(), LearningRate, beta1: 0.5);
        var optD = Adam(discriminator.parameters(), LearningRate, beta1: 0.5);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var real in batches)
            {
                using var scope = NewDisposeScope();
                long n = real.shape[0];
                var fake = Generate(n).detach();
                var dLoss = functional.binary_cross_entropy_with_logits(discriminator.forward(real), ones(n, 1))
                          + functional.binary_cross_entropy_with_logits(discriminator.forward(fake), zeros(n, 1));
                optD.zero_grad();
                dLoss.backward();
                optD.step();
                foreach (var p in discriminator.parameters()) p.requires_grad = false;
                var gLoss = functional.binary_cross_entropy_with_logits(discriminator.forward(Generate(n)), ones(n, 1));
                optG.zero_grad();
                gLoss.backward();
                optG.step();
                foreach (var p in discriminator.parameters()) p.requires_grad = true;
            }
        }
    }
}

[LightningModule]
public partial class ManualWithSchedulerModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear layer = Linear(1, 1);

    public ManualWithSchedulerModule() => AutomaticOptimization = false;

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var optimizer = Optimizers()[0];
        optimizer.zero_grad();
        ManualBackward(functional.mse_loss(layer.forward(batch.X), batch.Y));
        optimizer.step();
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers()
    {
        var optimizer = SGD(parameters(), 0.1);
        return new OptimizerConfig(optimizer, lr_scheduler.StepLR(optimizer, 1, 0.5));
    }
}

public class ManualOptimizationTests
{
    private static List<Tensor> RealData()
    {
        manual_seed(99);
        return Enumerable.Range(0, 20).Select(_ => randn(32, 1) * 0.5 + 4).ToList();
    }

    [Fact]
    public void Manual_optimization_trains_a_tiny_gan_and_equals_the_hand_written_loop()
    {
        using var dir = new TempDir();
        var data = RealData();
        manual_seed(5);
        var model = new TinyGan();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 15, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false, Seed = 11 });
        trainer.Fit(model, data);

        manual_seed(5);
        var reference = new TinyGan();
        manual_seed(11);
        reference.TrainByHand(data, epochs: 15);

        Assert.Equal(2 * 20 * 15, trainer.GlobalStep);
        var expected = reference.state_dict();
        foreach (var (key, value) in model.state_dict())
            Assert.True((value == expected[key]).all().item<bool>(), key);

        using var noGrad = no_grad();
        double mean = model.Generate(2000).mean().item<float>();
        Assert.InRange(mean, 3.0, 5.0);
        Assert.True(trainer.CallbackMetrics.ContainsKey("g_loss"));
    }

    [Fact]
    public void Schedulers_are_not_stepped_for_manual_optimization()
    {
        using var dir = new TempDir();
        var model = new ManualWithSchedulerModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(model, TestData.Line());
        Assert.Equal(12, trainer.GlobalStep);
        Assert.Equal(0.1, model.LrSchedulers()[0].get_last_lr().Single(), 12);
    }

    [Fact]
    public void Several_optimizers_need_manual_optimization()
    {
        using var dir = new TempDir();
        var model = new TinyGan { AutomaticOptimization = true };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        var error = Assert.Throws<MisconfigurationException>(() => trainer.Fit(model, RealData()));
        Assert.Contains("AutomaticOptimization = false", error.Message);
    }

    [Theory]
    [InlineData(2, null, "AccumulateGradBatches")]
    [InlineData(1, 1.0, "ClipGradients")]
    public void Automatic_only_options_are_refused_for_manual_optimization(int accumulate, double? clip, string expected)
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, AccumulateGradBatches = accumulate, GradientClipVal = clip, DefaultRootDir = dir.Path, Logger = false });
        Assert.Contains(expected, Assert.Throws<MisconfigurationException>(() => trainer.Fit(new TinyGan(), RealData())).Message);
    }

    [Fact]
    public void ManualBackward_under_automatic_optimization_is_an_error()
    {
        var model = new TinyGan { AutomaticOptimization = true };
        Assert.Throws<MisconfigurationException>(() => model.ManualBackward(ones(1)));
    }
}
