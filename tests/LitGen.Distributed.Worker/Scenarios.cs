using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace LitGen.Distributed.Worker;

/// <summary>The settings of one run, from <c>key=value</c> arguments.</summary>
public sealed record RunSettings(int Devices = 2, int Epochs = 2, int BatchSize = 16, bool Shuffle = false, int Accumulate = 1, double? Clip = null,
    bool Dropout = false, int? CheckpointEveryNSteps = null, string? Resume = null, long? MaxSteps = null, bool Manual = false, int Hidden = 32,
    int? BucketCapMb = null, string? Export = null, int MaxRestarts = 0, long? DieAt = null, bool DieAlways = false, bool CheckCollectives = false,
    string Mode = "skip", int Samples = EvaluationModel.Samples)
{
    public static RunSettings Parse(IEnumerable<string> arguments)
    {
        var settings = new RunSettings();
        foreach (var argument in arguments)
        {
            var (key, value) = (argument[..argument.IndexOf('=')], argument[(argument.IndexOf('=') + 1)..]);
            settings = key switch
            {
                "devices" => settings with { Devices = int.Parse(value, CultureInfo.InvariantCulture) },
                "epochs" => settings with { Epochs = int.Parse(value, CultureInfo.InvariantCulture) },
                "batch" => settings with { BatchSize = int.Parse(value, CultureInfo.InvariantCulture) },
                "shuffle" => settings with { Shuffle = bool.Parse(value) },
                "accumulate" => settings with { Accumulate = int.Parse(value, CultureInfo.InvariantCulture) },
                "clip" => settings with { Clip = double.Parse(value, CultureInfo.InvariantCulture) },
                "dropout" => settings with { Dropout = bool.Parse(value) },
                "ckpt-every" => settings with { CheckpointEveryNSteps = int.Parse(value, CultureInfo.InvariantCulture) },
                "resume" => settings with { Resume = value },
                "max-steps" => settings with { MaxSteps = long.Parse(value, CultureInfo.InvariantCulture) },
                "manual" => settings with { Manual = bool.Parse(value) },
                "hidden" => settings with { Hidden = int.Parse(value, CultureInfo.InvariantCulture) },
                "bucket-mb" => settings with { BucketCapMb = int.Parse(value, CultureInfo.InvariantCulture) },
                "export" => settings with { Export = value },
                "max-restarts" => settings with { MaxRestarts = int.Parse(value, CultureInfo.InvariantCulture) },
                "die-at" => settings with { DieAt = long.Parse(value, CultureInfo.InvariantCulture) },
                "die-always" => settings with { DieAlways = bool.Parse(value) },
                "check" => settings with { CheckCollectives = bool.Parse(value) },
                "mode" => settings with { Mode = value },
                "samples" => settings with { Samples = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown setting '{key}'"),
            };
        }
        return settings;
    }
}

/// <summary>
/// A small regression network (<see cref="Hidden"/> units wide); with dropout its steps draw random numbers (so resume
/// must restore every rank's generator); with manual optimization it steps its optimizer itself.
/// </summary>
[LightningModule]
public partial class DdpModel : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public bool Dropout { get; }

    [Hyperparameter] public bool Manual { get; }

    [Hyperparameter] public int Hidden { get; }

    private readonly TorchSharp.Modules.Sequential net;

    public DdpModel(bool dropout = false, bool manual = false, int hidden = 32)
    {
        Dropout = dropout;
        Manual = manual;
        Hidden = hidden;
        AutomaticOptimization = !manual;
        net = dropout
            ? nn.Sequential(nn.Linear(8, hidden), nn.Tanh(), nn.Dropout(0.2), nn.Linear(hidden, 1))
            : nn.Sequential(nn.Linear(8, hidden), nn.Tanh(), nn.Linear(hidden, 1));
    }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(net.forward(batch.X), batch.Y);
        Log("train_loss", loss, syncDist: true);
        if (!Manual) return loss;
        var optimizer = Optimizers()[0];
        optimizer.zero_grad();
        ManualBackward(loss);
        optimizer.step();
        return null;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_loss", nn.functional.mse_loss(net.forward(batch.X), batch.Y), syncDist: true);
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);

    /// <summary>64 samples of 8 features, the same in every process.</summary>
    public static TensorDataset Data()
    {
        var generator = new Generator(seed: 11);
        var x = randn([64, 8], generator: generator);
        return new TensorDataset(x, x.sum(1, keepdim: true).sin());
    }

    /// <summary>The trainer options of a run; the same for the ddp job and the single-process reference.</summary>
    public static TrainerOptions Options(RunSettings settings, string root, int devices, params Callback[] callbacks) => new()
    {
        Strategy = devices <= 1 ? "auto" : Ddp(settings),
        Devices = devices,
        MaxEpochs = settings.Epochs,
        MaxSteps = settings.MaxSteps ?? -1,
        AccumulateGradBatches = settings.Accumulate,
        GradientClipVal = settings.Clip,
        DefaultRootDir = root,
        EnableProgressBar = false,
        EnableModelSummary = false,
        NumSanityValSteps = 0,
        Logger = false,
        EnableCheckpointing = settings.CheckpointEveryNSteps is not null,
        MaxRestarts = settings.MaxRestarts,
        Callbacks = settings.DieAt is long step ? [.. callbacks, new SelfKill(step, settings.DieAlways)] : callbacks,
    };

    /// <summary>"ddp", or a configured DdpStrategy when the run sets its bucket size or a variable for mpirun to export (<c>-x</c>).</summary>
    private static Strategy Ddp(RunSettings settings)
    {
        if (settings.BucketCapMb is null && settings.Export is null) return "ddp";
        var defaults = new DdpStrategy();
        return new DdpStrategy
        {
            BucketCapMb = settings.BucketCapMb ?? defaults.BucketCapMb,
            MpirunArguments = settings.Export is { } export ? ["-x", export] : [],
        };
    }

    public static DataLoader<(Tensor, Tensor)> Loader(int batchSize, bool shuffle) => new(Data(), batchSize, shuffle, seed: 5);
}

/// <summary>
/// Logs a value that differs by rank, with every reduction, synchronized and not; and metric objects whose state
/// differs by rank (an accuracy right on rank 0 and wrong on rank 1; an AUROC over more scores on rank 0 than on rank 1).
/// </summary>
[LightningModule]
public partial class RankMetricsModel : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(8, 1);
    private readonly MulticlassAccuracy accuracy = new(3);
    private readonly BinaryAUROC auroc = new();

    /// <summary>The scores and labels rank <paramref name="rank"/> gives the AUROC at batch <paramref name="batchIdx"/>.</summary>
    public static (Tensor Scores, Tensor Labels) AurocBatch(int rank, int batchIdx)
    {
        var positions = arange(rank == 0 ? 16 : 8, ScalarType.Float32);
        return ((positions * (rank + 1) + batchIdx).sin() * 0.5f + 0.5f, (positions.to(ScalarType.Int64) + batchIdx + rank) % 2);
    }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
        double value = GlobalRank + 1 + batchIdx;
        Log("step_mean", tensor(value), syncDist: true);
        Log("step_sum", value, reduceFx: ReduceFx.Sum, syncDist: true);
        Log("epoch_mean", tensor(value), onStep: false, onEpoch: true, syncDist: true);
        Log("epoch_max", value, onStep: false, onEpoch: true, reduceFx: ReduceFx.Max, syncDist: true);
        Log("epoch_sum", value, onStep: false, onEpoch: true, reduceFx: ReduceFx.Sum, syncDist: true);
        Log("epoch_local", value, onStep: false, onEpoch: true);

        var classes = arange(16, ScalarType.Int64) % 3;
        accuracy.Update(GlobalRank == 0 ? classes : (classes + 1) % 3, classes);
        Log("metric_acc", accuracy, onStep: false, onEpoch: true);
        var (scores, labels) = AurocBatch(GlobalRank, batchIdx);
        auroc.Update(scores, labels);
        Log("metric_auroc", auroc, onStep: false, onEpoch: true);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}

/// <summary>Its monitored value keeps improving on rank 0 and gets worse on rank 1 from the second epoch on.</summary>
[LightningModule]
public partial class DivergingOnOneRankModel : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(8, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("monitored", GlobalRank == 0 ? -CurrentEpoch : CurrentEpoch, onStep: false, onEpoch: true);
        return nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}

/// <summary>With <c>fail</c>, throws on rank 1 at its third step; the others would wait for it forever without the strategy's abort.</summary>
[LightningModule]
public partial class FailingOnOneRankModel : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public bool Fail { get; }

    private readonly TorchSharp.Modules.Linear layer = nn.Linear(8, 1);

    public FailingOnOneRankModel(bool fail) => Fail = fail;

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        if (Fail && GlobalRank == 1 && GlobalStep == 2) throw new InvalidOperationException("rank 1 found a corrupt batch");
        if (GlobalRank == 0) Console.WriteLine($"step {GlobalStep}");
        Thread.Sleep(20);
        return nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}

/// <summary>What each process reports at the end, as JSON in the output folder.</summary>
public sealed record RankReport(int Rank, int WorldSize, long GlobalStep, int CurrentEpoch, Dictionary<string, double> CallbackMetrics, string LogDir,
    int GradientExchanges, int GradientBuckets, string? Exported)
{
    public static void Write(string folder, Trainer trainer)
    {
        var report = new RankReport(trainer.Strategy.GlobalRank, trainer.Strategy.WorldSize, trainer.GlobalStep, trainer.CurrentEpoch,
            new Dictionary<string, double>(trainer.CallbackMetrics), trainer.LogDir, (trainer.Strategy as DdpStrategy)?.GradientExchanges ?? 0,
            (trainer.Strategy as DdpStrategy)?.GradientBucketCount ?? 0, Environment.GetEnvironmentVariable(ExportedVariable));
        File.WriteAllText(Path.Combine(folder, $"rank{report.Rank}.json"), JsonSerializer.Serialize(report));
    }

    /// <summary>The variable a test has mpirun export to the ranks (<see cref="DdpStrategy.MpirunArguments"/>), reported back.</summary>
    public const string ExportedVariable = "LITGEN_EXPORTED";

    public static RankReport Read(string folder, int rank) => JsonSerializer.Deserialize<RankReport>(File.ReadAllText(Path.Combine(folder, $"rank{rank}.json")))!;
}

/// <summary>Appends "step N" to <c>steps-rank{r}</c> after every training batch, so a test knows where each process is.</summary>
public sealed class StepRecorder(string folder) : Callback
{
    public override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        File.AppendAllText(Path.Combine(folder, $"steps-rank{trainer.Strategy.GlobalRank}"), $"step {trainer.GlobalStep} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n");
        // Slow enough that a signal lands mid-run, fast enough that a test waits seconds.
        Thread.Sleep(20);
    }
}

/// <summary>
/// Rank 1 kills itself with SIGKILL after step <paramref name="step"/> (as the kernel's out-of-memory killer would), in the
/// job's first start only unless <paramref name="always"/>: what MaxRestarts must recover from.
/// </summary>
public sealed class SelfKill(long step, bool always) : Callback
{
    public override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        if (trainer.GlobalStep != step || trainer.Strategy.GlobalRank != 1) return;
        if (!always && Environment.GetEnvironmentVariable("LITGEN_RESTART") != "0") return;
        System.Diagnostics.Process.GetCurrentProcess().Kill();
    }
}
