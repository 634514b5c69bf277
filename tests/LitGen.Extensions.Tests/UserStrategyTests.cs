using static TorchSharp.torch;

namespace LitGen.Extensions.Tests;

/// <summary>A user's strategy: one device, counting what the trainer asks of it through the overridable steps.</summary>
public class CountingStrategy : SingleDeviceStrategy
{
    public int Backwards { get; private set; }

    public int OptimizerSteps { get; private set; }

    public int SetupCalls { get; private set; }

    public override string Name => "counting";

    public override void Setup(LightningModule module)
    {
        SetupCalls++;
        base.Setup(module);
    }

    public override void Backward(Tensor loss, bool synchronize)
    {
        Backwards++;
        base.Backward(loss, synchronize);
    }

    public override void OptimizerStep(optim.Optimizer optimizer)
    {
        OptimizerSteps++;
        base.OptimizerStep(optimizer);
    }
}

/// <summary>A user's ddp variant: the same strategy with its own backward (here it only counts).</summary>
public sealed class CountingDdpStrategy : DdpStrategy
{
    public int Backwards { get; private set; }

    public override void Backward(Tensor loss, bool synchronize)
    {
        Backwards++;
        base.Backward(loss, synchronize);
    }
}

public sealed class UserStrategyTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "litgen-strategies-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    private TrainerOptions Options(Strategy strategy, int devices = 1) => new()
    {
        Strategy = strategy, Devices = devices, MaxEpochs = 2, AccumulateGradBatches = 2, DefaultRootDir = root, EnableProgressBar = false,
        EnableModelSummary = false, Logger = false, EnableCheckpointing = false, NumSanityValSteps = 0,
    };

    private static void Fit(Trainer trainer) => trainer.Fit(new ScriptedValidationModule(), ScriptedValidationModule.Batches(4));

    [Fact]
    public void A_configured_strategy_instance_trains_and_each_trainer_runs_its_own_copy()
    {
        var configured = new CountingStrategy();
        var trainer = new Trainer(Options(configured));
        Fit(trainer);

        var running = Assert.IsType<CountingStrategy>(trainer.Strategy);
        Assert.NotSame(configured, running);
        Assert.Equal(1, running.SetupCalls);
        // 2 epochs × 4 batches, accumulating 2: a backward per batch, an optimizer step per 2 batches.
        Assert.Equal(8, running.Backwards);
        Assert.Equal(4, running.OptimizerSteps);
        Assert.Equal(trainer.GlobalStep, running.OptimizerSteps);
        Assert.Equal(0, configured.Backwards);
        Assert.Equal("counting", trainer.Strategy.Name);
    }

    [Fact]
    public void A_registered_name_resolves_to_the_users_strategy_and_an_unknown_one_says_how_to_register()
    {
        Strategy.Register("counting-registered", () => new CountingStrategy());
        Assert.Contains("counting-registered", Strategy.RegisteredNames);
        var trainer = new Trainer(Options("counting-registered"));
        Fit(trainer);
        Assert.Equal(4, Assert.IsType<CountingStrategy>(trainer.Strategy).OptimizerSteps);

        var error = Assert.Throws<MisconfigurationException>(() => Options("countng"));
        Assert.Contains("\"countng\"", error.Message);
        Assert.Contains("\"counting-registered\"", error.Message);
        Assert.Contains("Strategy.Register", error.Message);
    }

    [Fact]
    public void DdpStrategy_options_are_kept_in_the_trainers_copy_and_checked()
    {
        var trainer = new Trainer(Options(new CountingDdpStrategy { BucketCapMb = 1, StartupTimeout = TimeSpan.FromSeconds(30) }));
        Fit(trainer);
        var running = Assert.IsType<CountingDdpStrategy>(trainer.Strategy);
        Assert.Equal(1, running.BucketCapMb);
        Assert.Equal(TimeSpan.FromSeconds(30), running.StartupTimeout);
        Assert.Equal(1, running.WorldSize);
        Assert.Equal(8, running.Backwards);

        var bucket = Assert.Throws<MisconfigurationException>(() => new Trainer(Options(new DdpStrategy { BucketCapMb = 0 })));
        Assert.Contains("BucketCapMb", bucket.Message);
    }

    [Fact]
    public void An_external_start_method_refuses_to_start_processes_itself()
    {
        // Started plainly with 2 devices: the default would run this program again under mpirun; External says how to launch instead.
        var error = Assert.Throws<MisconfigurationException>(() => new Trainer(Options(new DdpStrategy { StartMethod = DdpStartMethod.External }, devices: 2)));
        Assert.Contains("mpirun -np 2", error.Message);
    }
}
