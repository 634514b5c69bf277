using LitGen;
using static TorchSharp.torch;

// Trains a small regression model, checkpointing and logging after every step, and prints "step N" after each step
// so that a test knows where the run is when it interrupts or kills it.
//   fit    <root> <epochs>           a fresh run
//   resume <root> <epochs> <ckpt>    continues from a checkpoint
//   claim  <root> <go-file>          prints "ready", waits for <go-file>, then creates a default trainer and prints its log folder
//   cli    <root>                    a long fit through LitCli's command line (its exit code is the process's)
//   host   <root>                    a long fit in a host that owns SIGTERM (HandleSignals = false) and stops runs by its token
// Exit codes: 0 finished, 130 interrupted (SIGINT/SIGTERM), 1 failed.
if (args.Length == 3 && args[0] == "claim")
{
    // Every process is loaded and waiting when the test creates the file, so the claims race for real.
    Console.WriteLine("ready");
    var waiting = System.Diagnostics.Stopwatch.StartNew();
    while (!File.Exists(args[2]))
    {
        if (waiting.Elapsed > TimeSpan.FromSeconds(60)) return 1;
        Thread.SpinWait(100);
    }
    Console.WriteLine("logdir " + new Trainer(new TrainerOptions { DefaultRootDir = args[1], EnableProgressBar = false }).LogDir);
    return 0;
}
if (args.Length == 2 && args[0] == "cli")
{
    return LitCli.Run<WorkerModel>(["fit", "--default-root-dir", args[1], "--max-epochs", "10000", "--enable-progress-bar", "false", "--enable-model-summary", "false"],
        new LitCliOptions { TrainerDefaults = new TrainerOptions { Callbacks = [new StepReporter()] } });
}
if (args.Length == 2 && args[0] == "host")
{
    using var stopping = new CancellationTokenSource();
    using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        Console.WriteLine("host stopping");
        stopping.Cancel();
    });
    var hosted = new Trainer(new TrainerOptions
    {
        MaxEpochs = 10_000, DefaultRootDir = args[1], EnableProgressBar = false, EnableModelSummary = false, Logger = false, EnableCheckpointing = false,
        HandleSignals = false, Callbacks = [new StepReporter()],
    });
    try
    {
        hosted.Fit(new WorkerModel(), WorkerModel.Data(), cancellationToken: stopping.Token);
        return 0;
    }
    catch (OperationCanceledException e) when (e.CancellationToken == stopping.Token)
    {
        Console.WriteLine("stopped by the host: " + e.Message);
        return 0;
    }
}
if (args.Length < 3 || (args[0] == "resume" && args.Length < 4))
{
    Console.Error.WriteLine("usage: fit <root> <epochs> | resume <root> <epochs> <ckpt>");
    return 2;
}
var root = args[1];
var epochs = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
string? ckptPath = args[0] == "resume" ? args[3] : null;

var tensorBoard = new TensorBoardLogger(root, "logs");
var trainer = new Trainer(new TrainerOptions
{
    MaxEpochs = epochs,
    Seed = 7,
    DefaultRootDir = root,
    EnableProgressBar = false,
    EnableModelSummary = false,
    LogEveryNSteps = 1,
    Logger = [tensorBoard, new CsvLogger(root, "logs", tensorBoard.Version) { FlushLogsEveryNSteps = 1 }],
    Callbacks =
    [
        new ModelCheckpoint { DirPath = Path.Combine(root, "checkpoints"), Monitor = "train_loss", SaveTopK = 2, EveryNTrainSteps = 1, SaveLast = true },
        new OnExceptionCheckpoint(Path.Combine(root, "checkpoints")),
        new StepReporter(),
    ],
});

// Seeded before the model exists, so that every process starts from the same initial weights.
manual_seed(7);
var model = new WorkerModel();
try
{
    trainer.Fit(model, WorkerModel.Data(), ckptPath: ckptPath);
    Console.WriteLine($"done {trainer.GlobalStep}");
    return 0;
}
catch (OperationCanceledException e)
{
    Console.WriteLine($"interrupted {trainer.GlobalStep}: {e.Message}");
    return 130;
}

/// <summary>Two layers, wide enough that a checkpoint (weights and Adam state, about 13 MB) takes a while to write.</summary>
[LightningModule]
public partial class WorkerModel : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Sequential net = nn.Sequential(nn.Linear(16, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(net.forward(batch.X), batch.Y);
        Log("train_loss", loss);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), 1e-3);

    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader() => Data();

    public static IReadOnlyList<(Tensor X, Tensor Y)> Data()
    {
        var generator = new Generator(seed: 3);
        return Enumerable.Range(0, 16).Select(_ =>
        {
            var x = randn([8, 16], generator: generator);
            return (x, x.sum(1, keepdim: true).sin());
        }).ToList();
    }
}

public sealed class StepReporter : Callback
{
    public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx)
        => Console.WriteLine($"step {trainer.GlobalStep}");
}
