using System;
using System.Collections.Generic;

namespace LitGen;

/// <summary>
/// The trainer's settings: Lightning's <c>Trainer(...)</c> arguments in PascalCase, with the same defaults.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Stop after this many epochs. Null means 1000 when <see cref="MaxSteps"/> is also unset; -1 means no limit.</summary>
    public int? MaxEpochs { get; init; }

    /// <summary>Stop after this many optimizer steps; -1 (default) means no limit.</summary>
    public long MaxSteps { get; init; } = -1;

    /// <summary>Keep training for at least this many epochs even when a callback asks to stop (the request stands until then).</summary>
    public int? MinEpochs { get; init; }

    /// <summary>Keep training for at least this many optimizer steps even when a callback asks to stop (the request stands until then).</summary>
    public long? MinSteps { get; init; }

    /// <summary>Stop training after this much wall-clock time (adds a <see cref="TrainingTimer"/>, which checks after every batch).</summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>Training batches per epoch: a count or a fraction of the dataloader (default all).</summary>
    public BatchLimit LimitTrainBatches { get; init; } = BatchLimit.All;

    /// <summary>Validation batches per run: a count or a fraction (default all).</summary>
    public BatchLimit LimitValBatches { get; init; } = BatchLimit.All;

    /// <summary>Test batches: a count or a fraction (default all).</summary>
    public BatchLimit LimitTestBatches { get; init; } = BatchLimit.All;

    /// <summary>Prediction batches: a count or a fraction (default all).</summary>
    public BatchLimit LimitPredictBatches { get; init; } = BatchLimit.All;

    /// <summary>Validate every this many training batches (a count) or this fraction of an epoch (default 1.0: at epoch end).</summary>
    public BatchLimit ValCheckInterval { get; init; } = BatchLimit.All;

    /// <summary>Validate every this many epochs (default 1); null validates by <see cref="ValCheckInterval"/> batch count only, across epochs.</summary>
    public int? CheckValEveryNEpoch { get; init; } = 1;

    /// <summary>Accumulate gradients over this many batches before each optimizer step (default 1).</summary>
    public int AccumulateGradBatches { get; init; } = 1;

    /// <summary>Smoke test: run this many batches of training, validation, test and prediction in one epoch, with no sanity check, logging or checkpoints (0: off).</summary>
    public int FastDevRun { get; init; }

    /// <summary>Train and validate on the same first batches of the training dataloader, to check that the model can overfit (0: off).</summary>
    public BatchLimit OverfitBatches { get; init; } = 0;

    /// <summary>Ask the module's dataloader hooks for new dataloaders every this many epochs (0: never).</summary>
    public int ReloadDataloadersEveryNEpochs { get; init; }

    /// <summary>
    /// Whether a run stops gracefully on SIGINT (Ctrl+C) and SIGTERM (default true). A host that owns the process's
    /// signals (a Generic Host, a service) sets false and stops runs through the <c>CancellationToken</c> it passes.
    /// </summary>
    public bool HandleSignals { get; init; } = true;

    /// <summary>
    /// How often a self-launched ddp job (<see cref="Devices"/> &gt; 1, started as <c>dotnet app.dll</c>) is started again
    /// after it failed — a process killed (out of memory, <c>kill -9</c>), an exception — before the failure stands (default
    /// 0; torchrun's <c>--max-restarts</c>). A restarted job resumes from the newest checkpoint it wrote (ModelCheckpoint's
    /// files, the exception and requeue checkpoints), or from the <c>ckptPath</c> it was given; each restart is said on
    /// standard error. A job stopped by a signal is not restarted.
    /// </summary>
    public int MaxRestarts { get; init; }

    /// <summary>Ask for repeatable runs (Lightning's <c>deterministic</c>). Runs repeat when <see cref="Seed"/> is set too: it seeds
    /// libtorch before training, and the runtime <c>DataLoader</c> shuffles from (seed, epoch); without a seed the run
    /// trains as in Lightning, unseeded. TorchSharp has no <c>use_deterministic_algorithms</c>.</summary>
    public bool Deterministic { get; init; }

    /// <summary>The number of devices to train on per machine, one process each (default 1); more than one needs strategy <c>"ddp"</c> (which <c>"auto"</c> picks).</summary>
    public int Devices { get; init; } = 1;

    /// <summary>The number of machines of a ddp job (default 1); a job across machines is started with <c>mpirun --hostfile</c>.</summary>
    public int NumNodes { get; init; } = 1;

    /// <summary>
    /// Under ddp, give every process its shard of LitGen's <see cref="DataLoader{TBatch}"/> automatically (default true), in the
    /// global order one process would see. Set false when the dataloaders are already split per process.
    /// </summary>
    public bool UseDistributedSampler { get; init; } = true;

    /// <summary>
    /// How the run is spread over devices: <see cref="LitGen.Strategy.Auto"/> (default), a configured instance
    /// (<c>new DdpStrategy { BucketCapMb = 50 }</c>, a subclass of yours), or a registered name (<c>"single_device"</c>,
    /// <c>"ddp"</c>, or one added with <see cref="LitGen.Strategy.Register"/>).
    /// </summary>
    public Strategy Strategy { get; init; } = Strategy.Auto;

    /// <summary>Validation batches run before training to catch bugs early; -1 runs them all, 0 none.</summary>
    public int NumSanityValSteps { get; init; } = 2;

    /// <summary>Clip gradients at this value before each optimizer step (null or 0: no clipping).</summary>
    public double? GradientClipVal { get; init; }

    /// <summary>Clip by total norm (default) or element value.</summary>
    public GradientClipAlgorithm? GradientClipAlgorithm { get; init; }

    /// <summary><see cref="LitGen.Precision.Float32"/> (<c>"32-true"</c>, default), <c>"64-true"</c>, <c>"bf16-true"</c>, <c>"16-true"</c>, <c>"bf16-mixed"</c> or <c>"16-mixed"</c> (autocast; the latter with a gradient scaler, for CUDA).</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>
    /// Keeps <c>"16-mixed"</c> on the CPU instead of Lightning's fallback to <c>"bf16-mixed"</c>: libtorch 2.10 runs float16
    /// autocast on the CPU, which lets the tests drive the gradient scaler on a machine without a GPU.
    /// </summary>
    internal bool Fp16MixedOnCpu { get; init; }

    /// <summary><see cref="LitGen.Accelerator.Auto"/> (CUDA when a CUDA libtorch and a GPU are present, else CPU, default), <c>"cpu"</c> or <c>"cuda"</c>.</summary>
    public Accelerator Accelerator { get; init; } = Accelerator.Auto;

    /// <summary>Callbacks, run in the order given (checkpointing callbacks last).</summary>
    public IReadOnlyList<Callback> Callbacks { get; init; } = [];

    /// <summary>Where metrics go: default CSV + TensorBoard under <c>lightning_logs/</c>; one logger, several, or <c>false</c> for none.</summary>
    public LoggerSetting Logger { get; init; } = LoggerSetting.Default;

    /// <summary>Add a <see cref="ModelCheckpoint"/> saving each epoch when none is configured (default true).</summary>
    public bool EnableCheckpointing { get; init; } = true;

    /// <summary>Add a <see cref="ProgressBar"/> when none is configured (default true).</summary>
    public bool EnableProgressBar { get; init; } = true;

    /// <summary>Print a <see cref="ModelSummary"/> when fitting starts, unless one is configured (default true).</summary>
    public bool EnableModelSummary { get; init; } = true;

    /// <summary>Send step metrics to the loggers every this many optimizer steps (default 50).</summary>
    public int LogEveryNSteps { get; init; } = 50;

    /// <summary>Root folder for logs and checkpoints when no logger sets one; default the working directory.</summary>
    public string? DefaultRootDir { get; init; }

    /// <summary>
    /// Run autograd with anomaly detection (Lightning's <c>detect_anomaly</c>): a backward that produces NaN fails at the
    /// operation that produced it, instead of training on. Slower; for debugging.
    /// </summary>
    public bool DetectAnomaly { get; init; }

    /// <summary>
    /// Where the trainer's messages go (summary, progress, warnings, checkpoint and early-stopping notes): null writes them
    /// to the console; a factory (ASP.NET, a worker service, a notebook) gets them as <c>ILogger</c> messages, one category
    /// per source (<c>LitGen.Trainer</c>, <c>LitGen.ProgressBar</c>, <c>LitGen.ModelCheckpoint</c>, …), and the console stays quiet.
    /// </summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Receives where each run stands (a host's progress display or status endpoint): during batches at most every
    /// <see cref="ProgressInterval"/>, and at every training epoch's end and evaluation's end. Reported on the training
    /// thread; <see cref="System.Progress{T}"/> forwards reports to the context it was created on. Rank 0 only.
    /// </summary>
    public System.IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>The least time between two reports to <see cref="Progress"/> during batches (default 100 ms).</summary>
    public System.TimeSpan ProgressInterval { get; init; } = System.TimeSpan.FromMilliseconds(100);

    /// <summary>Seed libtorch's random generator when the run starts, so that runs repeat.</summary>
    public long? Seed { get; init; }
}
