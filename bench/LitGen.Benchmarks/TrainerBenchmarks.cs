using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// Trainer.Fit against a hand-written TorchSharp loop doing the same math: forward, loss, zero_grad, backward,
/// Adam step, and keeping the loss for logging, inside a per-step dispose scope. Each operation is 200 steps.
/// </summary>
[Config(typeof(TrainingConfig))]
public class TrainerBenchmarks
{
    public const int Steps = 200;
    private List<(Tensor X, Tensor Y)> mlpBatches = [];
    private List<(Tensor X, Tensor Y)> cnnBatches = [];
    private readonly string root = Path.Combine(Path.GetTempPath(), "litgen-bench");

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(2);
        mlpBatches = Batches.Create(Steps, [64, 784]);
        cnnBatches = Batches.Create(Steps, [64, 1, 28, 28]);
    }

    private Trainer NewTrainer() => new(new TrainerOptions
    {
        MaxEpochs = 1,
        Logger = false,
        EnableCheckpointing = false,
        EnableProgressBar = false,
        EnableModelSummary = false,
        NumSanityValSteps = 0,
        DefaultRootDir = root,
    });

    [Benchmark(Baseline = true, Description = "MLP hand loop")]
    public double MlpHandLoop()
    {
        using var model = new MlpModule();
        return HandLoop(model.Net, model.parameters(), mlpBatches);
    }

    [Benchmark(Description = "MLP Trainer.Fit")]
    public long MlpTrainerFit()
    {
        using var model = new MlpModule();
        var trainer = NewTrainer();
        trainer.Fit(model, mlpBatches);
        return trainer.GlobalStep;
    }

    [Benchmark(Description = "CNN hand loop")]
    public double CnnHandLoop()
    {
        using var model = new CnnModule();
        return HandLoop(model.Net, model.parameters(), cnnBatches);
    }

    [Benchmark(Description = "CNN Trainer.Fit")]
    public long CnnTrainerFit()
    {
        using var model = new CnnModule();
        var trainer = NewTrainer();
        trainer.Fit(model, cnnBatches);
        return trainer.GlobalStep;
    }

    /// <summary>What a careful TorchSharp user writes by hand, with the loss summed on the device for logging.</summary>
    public static double HandLoop(nn.Module<Tensor, Tensor> net, IEnumerable<TorchSharp.Modules.Parameter> parameters, List<(Tensor X, Tensor Y)> batches)
    {
        using var optimizer = optim.Adam(parameters, 1e-3);
        using var lossSum = zeros(1, dtype: ScalarType.Float64);
        net.train();
        foreach (var (x, y) in batches)
        {
            using var scope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(net.forward(x), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            lossSum.add_(loss.detach());
        }
        return lossSum.item<double>();
    }
}
