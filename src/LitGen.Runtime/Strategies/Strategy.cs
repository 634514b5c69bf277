using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

/// <summary>
/// How a run is spread over devices and processes (Lightning's <c>Strategy</c>): it places the module and the batches,
/// runs backward and the optimizer step, reduces values across processes, prepares dataloaders, and decides which
/// process writes files. The loops never ask which device or how many processes; they ask the strategy.
/// In <see cref="TrainerOptions.Strategy"/> it is a configured instance (<c>new DdpStrategy { BucketCapMb = 50 }</c>), one
/// of the named members, or a registered name (<c>Strategy = "ddp"</c>, see <see cref="Register"/>); each trainer runs
/// its own copy of it, bound to its options (<see cref="Trainer.Strategy"/>). Subclasses override the virtual steps
/// (<see cref="Setup"/>, <see cref="Backward"/>, <see cref="OptimizerStep"/>, <see cref="ProcessDataloader"/>, the
/// collectives and the checkpoint file operations) as Lightning's strategy subclasses do.
/// </summary>
public abstract class Strategy
{
    private static readonly Dictionary<string, Func<Strategy>> Registered = new(StringComparer.Ordinal);

    static Strategy()
    {
        Register("auto", () => Auto);
        Register("single_device", () => SingleDevice);
        Register("ddp", () => Ddp);
    }

    /// <summary>Creates a strategy; the trainer binds a copy of it to its device and precision (<see cref="CreateFor"/>).</summary>
    protected Strategy()
    {
    }

    /// <summary><c>"auto"</c>: one process on the accelerator's device (the default).</summary>
    public static Strategy Auto { get; } = new AutoStrategy();

    /// <summary><c>"single_device"</c>: one process, one device.</summary>
    public static Strategy SingleDevice { get; } = new SingleDeviceStrategy();

    /// <summary>
    /// <c>"ddp"</c>: data-parallel over <see cref="TrainerOptions.Devices"/> processes on Open MPI (<see cref="DdpStrategy"/>).
    /// Under <c>mpirun</c> the processes come from the launcher; started plainly, the trainer starts them itself.
    /// </summary>
    public static Strategy Ddp { get; } = new DdpStrategy();

    /// <summary>Lightning's name of the strategy, e.g. <c>"single_device"</c>.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Makes <paramref name="name"/> a strategy string (Lightning's strategy registry): <c>Strategy = "name"</c> and the
    /// command line's <c>--strategy name</c> then use what <paramref name="factory"/> returns. A name registered again
    /// is replaced.
    /// </summary>
    public static void Register(string name, Func<Strategy> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (Registered) Registered[name] = factory;
    }

    /// <summary>The registered strategy names, in order.</summary>
    public static IReadOnlyList<string> RegisteredNames
    {
        get
        {
            lock (Registered) return Registered.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>The strategy registered as <paramref name="name"/> (<c>"auto"</c>, <c>"single_device"</c>, <c>"ddp"</c>, or a user's).</summary>
    public static Strategy Parse(string name)
    {
        Func<Strategy>? factory;
        lock (Registered) Registered.TryGetValue(name, out factory);
        if (factory is not null) return factory() ?? throw new MisconfigurationException($"The factory registered for strategy \"{name}\" returned null.");
        throw new MisconfigurationException(
            $"Unknown strategy \"{name}\". Use one of {string.Join(", ", RegisteredNames.Select(n => $"\"{n}\""))}, or register yours with Strategy.Register(\"{name}\", () => new MyStrategy()).");
    }

    /// <summary>Lightning's string form, e.g. <c>"auto"</c>.</summary>
    public static implicit operator Strategy(string name) => Parse(name);

    /// <summary>The device this process trains on.</summary>
    public Device RootDevice { get; private set; } = CPU;

    /// <summary>The precision this process trains in.</summary>
    public Precision Precision { get; private set; } = Precision.Float32;

    /// <summary>The gradient scaler of a <c>"16-mixed"</c> run (Lightning's <c>trainer.precision_plugin.scaler</c>); null otherwise.</summary>
    public GradScaler? GradScaler { get; private set; }

    /// <summary>The rank of this process among all processes.</summary>
    public virtual int GlobalRank => 0;

    /// <summary>The rank of this process on its machine.</summary>
    public virtual int LocalRank => 0;

    /// <summary>The number of processes.</summary>
    public virtual int WorldSize => 1;

    /// <summary>True on the process that writes logs and checkpoints (rank 0).</summary>
    public bool IsGlobalZero => GlobalRank == 0;

    /// <summary>Waits until every process reaches this point.</summary>
    public virtual void Barrier() { }

    /// <summary>Returns <paramref name="value"/> as process <paramref name="src"/> has it.</summary>
    public virtual T Broadcast<T>(T value, int src = 0) => value;

    /// <summary>Reduces a tensor over all processes with <paramref name="reduceFx"/>; on one process, the tensor itself.</summary>
    public virtual Tensor AllReduce(Tensor tensor, ReduceFx reduceFx = ReduceFx.Mean) => tensor;

    /// <summary>Gathers a tensor from every process; on one process, the tensor itself (as Lightning's <c>all_gather</c>).</summary>
    public virtual Tensor AllGather(Tensor tensor) => tensor;

    /// <summary>
    /// One decision for all processes (Lightning's <c>reduce_boolean_decision</c>): with <paramref name="all"/>, true only
    /// if every process says true; otherwise true if any does.
    /// </summary>
    public virtual bool ReduceBooleanDecision(bool decision, bool all) => decision;

    /// <summary>Tensors of different first-dimension lengths from every process, concatenated in rank order (a metric's gathered scores).</summary>
    internal virtual Tensor AllGatherVariable(Tensor tensor) => tensor;

    /// <summary>The element-wise maximum over all processes of a few numbers, in place (no tensors: the fast path for per-batch agreements).</summary>
    internal virtual void AllReduceMax(long[] values) { }

    /// <summary>Equal-length arrays of plain values from every process, concatenated in rank order (no tensors: the fast path for a few numbers).</summary>
    internal virtual T[] AllGatherValues<T>(T[] own) where T : unmanaged => own;

    /// <summary>A text from every process, in rank order (each process's part of a checkpoint).</summary>
    internal virtual string[] GatherTexts(string own) => [own];

    /// <summary>This process's random-generator state from a checkpoint's (a checkpoint of several processes holds one per rank).</summary>
    internal virtual byte[] SelectRngState(byte[] saved, int ownLength)
        => saved.Length > ownLength && saved.Length % ownLength == 0 ? saved.AsSpan(0, ownLength).ToArray() : saved;

    /// <summary>What the collectives run now are for (e.g. "the epoch value of Log(\"val_loss\")"), for the reports of a multi-process strategy; null when unnamed.</summary>
    internal string? CollectivePurpose { get; private set; }

    /// <summary>Names what the collectives inside the returned scope are for.</summary>
    internal PurposeScope ForPurpose(string purpose) => new(this, purpose);

    /// <summary>Where the run is (hook, epoch, step), for the reports of a multi-process strategy; set by the trainer.</summary>
    internal Func<string>? Location { get; set; }

    internal readonly struct PurposeScope : IDisposable
    {
        private readonly Strategy strategy;
        private readonly string? previous;

        public PurposeScope(Strategy strategy, string purpose)
        {
            this.strategy = strategy;
            previous = strategy.CollectivePurpose;
            strategy.CollectivePurpose = purpose;
        }

        public void Dispose() => strategy.CollectivePurpose = previous;
    }

    /// <summary>Called when a run fails, before the exception leaves the trainer; a multi-process strategy ends the job.</summary>
    internal virtual void OnFailure(Exception exception) { }

    /// <summary>
    /// The instance one trainer runs, made when the trainer is created: by default a copy of this strategy (its settings
    /// and subclass kept) bound to the options' device and precision. Override to check the options, start processes,
    /// or resolve to another strategy (as <c>"auto"</c> does).
    /// </summary>
    protected virtual Strategy CreateFor(TrainerOptions options)
    {
        var strategy = (Strategy)MemberwiseClone();
        strategy.Bind(options, localRank: 0);
        return strategy;
    }

    internal Strategy InstanceFor(TrainerOptions options) => CreateFor(options);

    /// <summary>Binds this instance to the device of <paramref name="localRank"/> and the options' precision; an instance serves one trainer.</summary>
    protected void Bind(TrainerOptions options, int localRank)
    {
        ArgumentNullException.ThrowIfNull(options);
        RootDevice = options.Accelerator.Resolve(localRank);
        Precision = options.Precision.On(RootDevice, options.Fp16MixedOnCpu);
        GradScaler = Precision.GradScaler is { } scaler ? new GradScaler(scaler) : null;
    }

    /// <summary>Moves the module to the root device in the run's precision (Lightning's <c>model_to_device</c>).</summary>
    public virtual void Setup(LightningModule module)
    {
        Precision.ConvertModule(module);
        module.to(RootDevice);
        module.Device = RootDevice;
    }

    /// <summary>What a training, validation, test or prediction step runs in: autocast for a mixed precision, else nothing (null).</summary>
    internal IDisposable? StepScope() => Precision.StepScope(RootDevice);

    /// <summary>The batch after the module's transfer hooks, in the run's precision.</summary>
    internal TBatch PrepareBatch<TBatch, TDriver>(TDriver driver, TBatch batch, int dataloaderIdx) where TDriver : struct, ILoopDriver<TBatch>
        => Precision.ConvertInput(driver.TransferBatch(batch, RootDevice, dataloaderIdx));

    /// <summary>
    /// Computes gradients of <paramref name="loss"/>; <paramref name="synchronize"/> is false on accumulating batches,
    /// where a multi-process strategy skips its gradient exchange (Lightning's <c>no_sync</c>).
    /// </summary>
    public virtual void Backward(Tensor loss, bool synchronize) => loss.backward();

    /// <summary>Steps the optimizer.</summary>
    public virtual void OptimizerStep(Optimizer optimizer) => optimizer.step();

    /// <summary>The dataloader this process iterates (a multi-process strategy takes its shard).</summary>
    public virtual IEnumerable<TBatch> ProcessDataloader<TBatch>(IEnumerable<TBatch> loader, Stage stage) => loader;

    /// <summary>Writes a checkpoint file (atomically) from the process that writes files; every process calls it.</summary>
    public virtual void SaveCheckpoint(Checkpoint checkpoint, string path)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (IsGlobalZero) checkpoint.Save(path);
    }

    /// <summary>Copies a checkpoint file (<c>last.ckpt</c> from the one just written) atomically, from the process that writes files.</summary>
    public virtual void CopyCheckpoint(string source, string destination)
    {
        if (IsGlobalZero) AtomicFile.Copy(source, destination);
    }

    /// <summary>Deletes a checkpoint file from the process that writes files.</summary>
    public virtual void RemoveCheckpoint(string path)
    {
        if (IsGlobalZero && File.Exists(path)) File.Delete(path);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>"auto": resolved by the trainer into the strategy the options call for.</summary>
    private sealed class AutoStrategy : Strategy
    {
        public override string Name => "auto";

        // As Lightning: more than one device means data-parallel processes.
        protected override Strategy CreateFor(TrainerOptions options)
            => (options.Devices > 1 || options.NumNodes > 1 || MpiLauncher.WorldSize > 1 ? Ddp : SingleDevice).InstanceFor(options);
    }
}

/// <summary>One process on one device (Lightning's <c>SingleDeviceStrategy</c>): every reduction is the identity.</summary>
public class SingleDeviceStrategy : Strategy
{
    /// <inheritdoc />
    public override string Name => "single_device";

    /// <inheritdoc />
    protected override Strategy CreateFor(TrainerOptions options)
    {
        if (MpiLauncher.WorldSize > 1)
            throw new MisconfigurationException(
                $"This process is one of {MpiLauncher.WorldSize} started by an MPI launcher, but the strategy is single_device: every process would train alone " +
                $"and write the same files. Use Strategy = \"ddp\" with Devices × NumNodes = {MpiLauncher.WorldSize}, or start one process.");
        if (options.Devices != 1)
            throw new MisconfigurationException(
                $"Devices = {options.Devices} needs a multi-process strategy; the single-device strategy trains on one device. Use Strategy = \"ddp\" (or \"auto\"), or Devices = 1.");
        return base.CreateFor(options);
    }
}
