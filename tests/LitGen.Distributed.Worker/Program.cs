using LitGen;
using LitGen.Distributed.Worker;
using static TorchSharp.torch;

// Runs one ddp scenario (under mpirun, or started plainly to test the self-launch) and writes what each rank saw:
//   train <out> [key=value ...]   the same training as the in-process reference; rank 0 writes <out>/final.ckpt
//                                 (max-restarts=N, die-at=STEP [die-always=true]: rank 1 kills itself after STEP)
//   metrics <out>                 syncDist reductions, one set of log files
//   earlystop <out>               a stop decision that only one rank would take
//   throw <out>                   rank 1 throws mid-training
//   slow <out>                    trains for a long time (to be killed)
//   list <out>                    a dataloader the strategy cannot split
//   straggler <out>               rank 1 joins MPI but never reaches a trainer; rank 0's waits 2 s (StartupTimeout)
//   evaluate <out> [samples=N]    validate, test and predict 1,001 (or N) samples (unequal shards); eval-rank<r>.json
//   divergent <out> [mode=skip|rename|stall] [check=true]
//                                 ranks that part ways (a Log(..., syncDist: true) on one, or a stall), with a 10 s collective timeout
//   synccount <out>               collectives per step with 0 and with 10 synced step values; synccount.json
//   decisions <out>               ReduceBooleanDecision with every vote pattern; decisions-rank<r>.json
//   interrupt <out>               a long fit with OnExceptionCheckpoint; each rank appends its steps to <out>/steps-rank<r>;
//                                 exits 130 on SIGINT, 143 on SIGTERM (what a signal to the job must end in)
var (scenario, output) = (args[0], args[1]);
var settings = RunSettings.Parse(args.Skip(2));
Directory.CreateDirectory(output);
manual_seed(1);

switch (scenario)
{
    case "train":
    {
        var callbacks = settings.CheckpointEveryNSteps is int every
            ? new Callback[] { new ModelCheckpoint { DirPath = Path.Combine(output, "checkpoints"), EveryNTrainSteps = every, SaveTopK = -1 } }
            : [];
        var trainer = new Trainer(DdpModel.Options(settings, output, settings.Devices, callbacks));
        var model = new DdpModel(settings.Dropout, settings.Manual, settings.Hidden);
        // Every rank draws its own dropout masks (rank 0's initial weights are broadcast to all).
        manual_seed(100 + trainer.Strategy.GlobalRank);
        trainer.Fit(model, DdpModel.Loader(settings.BatchSize, settings.Shuffle), ckptPath: settings.Resume);
        trainer.SaveCheckpoint(Path.Combine(output, "final.ckpt"));
        RankReport.Write(output, trainer);
        break;
    }
    case "metrics":
    {
        var trainer = new Trainer(new TrainerOptions
        {
            Strategy = "ddp", Devices = 2, MaxEpochs = 2, DefaultRootDir = output, LogEveryNSteps = 1, EnableProgressBar = false,
        });
        trainer.Fit(new RankMetricsModel(), DdpModel.Loader(16, shuffle: false));
        RankReport.Write(output, trainer);
        break;
    }
    case "earlystop":
    {
        var trainer = new Trainer(new TrainerOptions
        {
            Strategy = "ddp", Devices = 2, MaxEpochs = 10, DefaultRootDir = output, Logger = false, EnableProgressBar = false, EnableCheckpointing = false,
            Callbacks = [new EarlyStopping { Monitor = "monitored", Patience = 1, CheckOnTrainEpochEnd = true }],
        });
        trainer.Fit(new DivergingOnOneRankModel(), DdpModel.Loader(16, shuffle: false));
        RankReport.Write(output, trainer);
        break;
    }
    case "throw":
    case "slow":
    {
        var trainer = new Trainer(new TrainerOptions
        {
            Strategy = "ddp", Devices = 2, MaxEpochs = scenario == "slow" ? 10_000 : 5, DefaultRootDir = output, Logger = false,
            EnableProgressBar = false, EnableCheckpointing = false,
        });
        File.WriteAllText(Path.Combine(output, $"pid-rank{trainer.Strategy.GlobalRank}"), Environment.ProcessId.ToString());
        trainer.Fit(new FailingOnOneRankModel(fail: scenario == "throw"), DdpModel.Loader(16, shuffle: false));
        RankReport.Write(output, trainer);
        break;
    }
    case "interrupt":
    {
        var trainer = new Trainer(new TrainerOptions
        {
            Strategy = "ddp", Devices = 2, MaxEpochs = 10_000, DefaultRootDir = output, Logger = false, EnableProgressBar = false,
            EnableCheckpointing = false, Callbacks = [new OnExceptionCheckpoint(output), new StepRecorder(output)],
        });
        File.WriteAllText(Path.Combine(output, $"pid-rank{trainer.Strategy.GlobalRank}"), Environment.ProcessId.ToString());
        try
        {
            trainer.Fit(new DdpModel(), DdpModel.Loader(16, shuffle: false));
        }
        catch (OperationCanceledException) when (trainer.Interrupted)
        {
            RankReport.Write(output, trainer);
            return Interruption.ExitCode(trainer.InterruptedBy);
        }
        break;
    }
    case "evaluate":
    {
        EvaluationModel.Run(new TrainerOptions
        {
            Strategy = "ddp", Devices = 2, DefaultRootDir = output, Logger = false, EnableProgressBar = false, EnableCheckpointing = false, EnableModelSummary = false,
        }, settings.Samples).Write(output);
        break;
    }
    case "divergent":
    {
        var trainer = new Trainer(new TrainerOptions
        {
            Strategy = new DdpStrategy { CollectiveTimeout = TimeSpan.FromSeconds(10), CheckCollectives = settings.CheckCollectives }, Devices = 2, MaxEpochs = 1,
            DefaultRootDir = output, Logger = false, EnableProgressBar = false, EnableCheckpointing = false,
        });
        trainer.Fit(new DivergentRanksModel(settings.Mode), DdpModel.Loader(16, shuffle: false));
        break;
    }
    case "synccount":
    {
        var counts = new Dictionary<string, long>();
        foreach (int values in new[] { 0, 10 })
        {
            var trainer = new Trainer(new TrainerOptions
            {
                Strategy = "ddp", Devices = 2, MaxEpochs = 1, DefaultRootDir = output, Logger = false, EnableProgressBar = false, EnableCheckpointing = false,
            });
            var ddp = (DdpStrategy)trainer.Strategy;
            long before = ddp.CollectiveCount;
            trainer.Fit(new SyncedValuesModel(values), DdpModel.Loader(16, shuffle: false));
            counts[$"values{values}"] = ddp.CollectiveCount - before;
            counts["steps"] = trainer.GlobalStep;
        }
        if (Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") == "0") File.WriteAllText(Path.Combine(output, "synccount.json"), System.Text.Json.JsonSerializer.Serialize(counts));
        break;
    }
    case "decisions":
    {
        var strategy = new Trainer(new TrainerOptions { Strategy = "ddp", Devices = 2, DefaultRootDir = output, Logger = false }).Strategy;
        bool onlyRank0 = strategy.GlobalRank == 0;
        var decisions = new Dictionary<string, bool>
        {
            ["any_of_one"] = strategy.ReduceBooleanDecision(onlyRank0, all: false),
            ["all_of_one"] = strategy.ReduceBooleanDecision(onlyRank0, all: true),
            ["any_of_none"] = strategy.ReduceBooleanDecision(false, all: false),
            ["all_of_both"] = strategy.ReduceBooleanDecision(true, all: true),
        };
        File.WriteAllText(Path.Combine(output, $"decisions-rank{strategy.GlobalRank}.json"), System.Text.Json.JsonSerializer.Serialize(decisions));
        break;
    }
    case "list":
    {
        // A plain list cannot be split: every rank refuses it, and the job ends with the message.
        var trainer = new Trainer(new TrainerOptions { Strategy = "ddp", Devices = 2, MaxEpochs = 1, DefaultRootDir = output, Logger = false, EnableProgressBar = false });
        trainer.Fit(new DdpModel(), DdpModel.Loader(16, shuffle: false).ToList());
        break;
    }
    case "straggler":
    {
        if (Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") == "1")
        {
            // MPI_Init is collective under Open MPI: a rank that never calls it holds the others inside it, not at the barrier.
            OpenMpi.Initialize();
            Thread.Sleep(TimeSpan.FromMinutes(3));
            break;
        }
        _ = new Trainer(new TrainerOptions
        {
            Strategy = new DdpStrategy { StartupTimeout = TimeSpan.FromSeconds(2) }, Devices = 2, DefaultRootDir = output, Logger = false,
        });
        break;
    }
    default:
        Console.Error.WriteLine($"unknown scenario {scenario}");
        return 2;
}
return 0;
