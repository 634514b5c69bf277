using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Data-parallel training over processes on Open MPI (Lightning's <c>DDPStrategy</c>): one process per device, the same
/// initial weights everywhere (broadcast from rank 0), gradients averaged in buckets after every synchronizing backward,
/// each process reading its own shard of the data, rank 0 writing every file, and every decision that ends or saves
/// a run taken once for all processes. With one process it behaves as <see cref="SingleDeviceStrategy"/> and needs no MPI.
/// </summary>
public class DdpStrategy : Strategy
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private OpenMpi? mpi;
    private Collectives? collectives;
    private GradientBuckets? buckets;
    private LightningModule? module;
    private int rank;
    private int localRank;
    private int size = 1;
    private bool useDistributedSampler = true;

    /// <inheritdoc />
    public override string Name => "ddp";

    /// <summary>
    /// The size of one gradient bucket in MiB (PyTorch's <c>bucket_cap_mb</c>, default 25): gradients are averaged in
    /// buckets of about this size, one <c>MPI_Allreduce</c> each; larger buckets mean fewer, longer exchanges.
    /// </summary>
    public int BucketCapMb { get; init; } = 25;

    /// <summary>How the processes start when the program was not started by a launcher (default <see cref="DdpStartMethod.Mpirun"/>).</summary>
    public DdpStartMethod StartMethod { get; init; } = DdpStartMethod.Mpirun;

    /// <summary>Extra arguments for <c>mpirun</c> when the trainer starts the processes itself (e.g. <c>["--bind-to", "none"]</c>).</summary>
    public IReadOnlyList<string> MpirunArguments { get; init; } = [];

    /// <summary>How long every process may take to reach the trainer after the job starts (default 2 minutes) before the job fails.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a process waits in one collective (a gradient exchange, a <c>syncDist</c> reduction, a broadcast, a barrier)
    /// for the others (default 5 minutes; PyTorch's <c>timeout</c>). On expiry it reports the call it waits in (what it is
    /// for, the hook, epoch and step) and the job ends with exit code 1, instead of hanging.
    /// </summary>
    public TimeSpan CollectiveTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Before every collective, the processes exchange a fingerprint of the call they are about to make (its kind, size and
    /// purpose), so the first call where they diverge ends the job with every process's side (PyTorch's
    /// <c>TORCH_DISTRIBUTED_DEBUG=DETAIL</c>). Off by default: it doubles the number of exchanges.
    /// </summary>
    public bool CheckCollectives { get; init; }

    /// <inheritdoc />
    public override int GlobalRank => rank;

    /// <inheritdoc />
    public override int LocalRank => localRank;

    /// <inheritdoc />
    public override int WorldSize => size;

    /// <inheritdoc />
    protected override Strategy CreateFor(TrainerOptions options)
    {
        if (options.Devices < 1 || options.NumNodes < 1)
            throw new MisconfigurationException($"Devices and NumNodes must be 1 or more, got Devices = {options.Devices}, NumNodes = {options.NumNodes}.");
        if (BucketCapMb < 1) throw new MisconfigurationException($"DdpStrategy.BucketCapMb must be 1 or more, got {BucketCapMb}.");
        if (StartupTimeout <= TimeSpan.Zero) throw new MisconfigurationException($"DdpStrategy.StartupTimeout must be positive, got {StartupTimeout}.");
        if (CollectiveTimeout <= TimeSpan.Zero) throw new MisconfigurationException($"DdpStrategy.CollectiveTimeout must be positive, got {CollectiveTimeout}.");
        int processes = options.Devices * options.NumNodes;
        // A copy keeps the settings (and the subclass) of the configured instance; the copy is this trainer's.
        var strategy = (DdpStrategy)MemberwiseClone();
        strategy.useDistributedSampler = options.UseDistributedSampler;
        if (!MpiLauncher.UnderLauncher)
        {
            if (options.NumNodes > 1)
                throw new MisconfigurationException(
                    $"NumNodes = {options.NumNodes}: a job across machines is started by mpirun with a hostfile (mpirun --hostfile hosts -np {processes} dotnet app.dll); see docs/distributed.md.");
            if (processes > 1 && StartMethod == DdpStartMethod.External)
                throw new MisconfigurationException(
                    $"DdpStrategy.StartMethod is External but this process was not started by a launcher: start the job with mpirun -np {processes} dotnet app.dll (or srun), or use StartMethod = Mpirun.");
            if (processes > 1) MpiLauncher.RelaunchAndExit(processes, MpirunArguments, options.MaxRestarts);
            strategy.Bind(options, localRank: 0);
            return strategy;
        }

        if (options.MaxRestarts > 0 && MpiLauncher.RestartAttempt is null)
            throw new MisconfigurationException(
                $"MaxRestarts = {options.MaxRestarts} restarts a ddp job that LitGen started itself (dotnet app.dll with Devices > 1); this job was started by another launcher. " +
                "Use that launcher's restarts (srun --requeue, a job array), or start the program plainly.");
        var mpi = OpenMpi.Initialize();
        (strategy.mpi, strategy.rank, strategy.size) = (mpi, mpi.Rank, mpi.Size);
        strategy.localRank = MpiLauncher.LocalRank ?? strategy.rank;
        if (strategy.size != processes)
            throw new MisconfigurationException(
                $"The launcher started {strategy.size} processes but Devices × NumNodes = {options.Devices} × {options.NumNodes} = {processes}; make them agree (e.g. mpirun -np {processes}, or Devices = {strategy.size}).");
        strategy.collectives = new Collectives(mpi, strategy.rank, strategy.size, CollectiveTimeout, CheckCollectives, () => strategy.Location?.Invoke() ?? "",
            reason => strategy.Fail(reason, collective: true));
        if (!strategy.collectives.TryBarrier(StartupTimeout))
            strategy.Fail($"not every process of the job reached the trainer within {StartupTimeout.TotalSeconds:0} s (a process failed to start or took another path through the program).");
        strategy.Bind(options, strategy.localRank);
        // The processes of a machine share its cores: libtorch's threads are divided among them.
        int localSize = Math.Max(1, MpiLauncher.LocalSize ?? 1);
        if (Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is null) set_num_threads(Math.Max(1, Environment.ProcessorCount / localSize));
        // One process speaks for the job on the console; the others write errors only.
        if (strategy.rank != 0) Console.SetOut(TextWriter.Null);
        return strategy;
    }

    /// <inheritdoc />
    public override void Setup(LightningModule module)
    {
        base.Setup(module);
        this.module = module;
        if (mpi is null) return;
        using var noGrad = no_grad();
        foreach (var (name, tensor) in module.state_dict()) BroadcastInPlace(tensor, src: 0, $"the initial weights ('{name}')");
        buckets?.Dispose();
        buckets = new GradientBuckets(mpi, collectives!, size, BucketCapMb * 1024L * 1024);
    }

    /// <inheritdoc />
    public override void Backward(Tensor loss, bool synchronize)
    {
        loss.backward();
        if (!synchronize || buckets is null) return;
        buckets.AllReduce(module!.parameters().ToList());
        GradientExchanges++;
    }

    /// <summary>How many times gradients were averaged across the processes (for tests: accumulating batches exchange nothing).</summary>
    internal int GradientExchanges { get; private set; }

    /// <summary>The buckets of the last exchange, each one <c>MPI_Allreduce</c> (for tests: their size follows <see cref="BucketCapMb"/>).</summary>
    internal int GradientBucketCount => buckets?.Count ?? 0;

    /// <summary>How many collectives this process has started (for tests: what a step costs in exchanges).</summary>
    internal long CollectiveCount => collectives?.Count ?? 0;

    /// <inheritdoc />
    public override void Barrier() => collectives?.Barrier(CollectivePurpose ?? "a barrier (Strategy.Barrier)");

    /// <inheritdoc />
    public override T Broadcast<T>(T value, int src = 0)
    {
        if (mpi is null) return value;
        CheckSource(src);
        if (value is Tensor tensor)
        {
            var copy = tensor.detach().clone();
            BroadcastInPlace(copy, src, CollectivePurpose ?? "a tensor broadcast (Strategy.Broadcast)");
            return (T)(object)copy;
        }
        var what = CollectivePurpose ?? $"a broadcast of a {typeof(T).Name} (Strategy.Broadcast)";
        var bytes = rank == src ? JsonSerializer.SerializeToUtf8Bytes(value, Json) : [];
        var length = new[] { (long)bytes.Length };
        unsafe
        {
            fixed (long* l = length) collectives!.Broadcast((IntPtr)l, sizeof(long), src, what + " (its length)");
        }
        if (rank != src) bytes = new byte[length[0]];
        unsafe
        {
            fixed (byte* b = bytes) collectives!.Broadcast((IntPtr)b, bytes.Length, src, what);
        }
        return JsonSerializer.Deserialize<T>(bytes, Json)!;
    }

    /// <inheritdoc />
    public override Tensor AllReduce(Tensor tensor, ReduceFx reduceFx = ReduceFx.Mean)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (mpi is null) return tensor;
        using var scope = NewDisposeScope();
        var exchangeType = tensor.dtype switch
        {
            ScalarType.Float64 => ScalarType.Float64,
            ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => ScalarType.Int64,
            _ => ScalarType.Float32,
        };
        var host = tensor.detach().to(exchangeType, CPU).contiguous().clone();
        var (datatype, elementSize) = exchangeType switch
        {
            ScalarType.Float64 => (mpi.Double, 8),
            ScalarType.Int64 => (mpi.Int64, 8),
            _ => (mpi.Float, 4),
        };
        var op = reduceFx switch
        {
            ReduceFx.Max => mpi.Max,
            ReduceFx.Min => mpi.Min,
            _ => mpi.Sum,
        };
        collectives!.AllReduce(TensorMemory.Address(host), host.numel(), datatype, elementSize, op, CollectivePurpose ?? $"a reduction ({reduceFx}) of {host.numel()} values (Strategy.AllReduce)");
        using var processes = size.ToScalar();
        var reduced = reduceFx == ReduceFx.Mean ? host.to(ScalarType.Float64).div_(processes) : host;
        var result = reduceFx == ReduceFx.Mean && !tensor.is_floating_point() ? reduced : reduced.to(tensor.dtype);
        return result.to(tensor.device).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor AllGather(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (mpi is null) return tensor;
        using var scope = NewDisposeScope();
        var host = tensor.detach().cpu().contiguous();
        var gathered = empty([size, .. tensor.shape], host.dtype);
        long bytes = host.numel() * host.ElementSize;
        if (bytes > int.MaxValue) throw new NotSupportedException($"AllGather of {bytes} bytes per process: MPI counts are 32-bit; gather it in parts.");
        collectives!.AllGather(TensorMemory.Address(host), TensorMemory.Address(gathered), (int)bytes, CollectivePurpose ?? $"a gather of {host.numel()} values (Strategy.AllGather)");
        return gathered.to(tensor.device).MoveToOuterDisposeScope();
    }

    internal override Tensor AllGatherVariable(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (mpi is null) return tensor;
        using var scope = NewDisposeScope();
        var lengths = AllGather(torch.tensor(new[] { tensor.shape[0] })).data<long>().ToArray();
        long longest = lengths.Max();
        var padded = tensor.shape[0] == longest ? tensor : cat([tensor, zeros([longest - tensor.shape[0], .. tensor.shape[1..]], tensor.dtype, tensor.device)]);
        var gathered = AllGather(padded);
        return cat(lengths.Select((length, rank) => gathered[rank].narrow(0, 0, length)).ToArray()).MoveToOuterDisposeScope();
    }

    internal override string[] GatherTexts(string own)
    {
        if (mpi is null) return [own];
        using var scope = NewDisposeScope();
        var bytes = tensor(Encoding.UTF8.GetBytes(own), ScalarType.Byte);
        var all = AllGatherVariable(bytes).data<byte>().ToArray();
        var lengths = AllGather(torch.tensor(new[] { bytes.shape[0] })).data<long>().ToArray();
        var texts = new string[size];
        int offset = 0;
        for (int r = 0; r < size; r++)
        {
            texts[r] = Encoding.UTF8.GetString(all, offset, (int)lengths[r]);
            offset += (int)lengths[r];
        }
        return texts;
    }

    /// <inheritdoc />
    public override bool ReduceBooleanDecision(bool decision, bool all)
    {
        // Any process true: the max of the votes; every process true: no process false, the max of the negations.
        long[] votes = [decision ? 1 : 0, decision ? 0 : 1];
        AllReduceMax(votes);
        return all ? votes[1] == 0 : votes[0] == 1;
    }

    /// <inheritdoc />
    public override IEnumerable<TBatch> ProcessDataloader<TBatch>(IEnumerable<TBatch> loader, Stage stage)
        => size == 1 || !useDistributedSampler ? loader : DistributedSampling.Shard(loader, rank, size, stage);

    /// <inheritdoc />
    public override void SaveCheckpoint(Checkpoint checkpoint, string path)
    {
        base.SaveCheckpoint(checkpoint, path);
        // No process goes on (and perhaps reads or deletes the file) before it is complete.
        using var purpose = ForPurpose($"the save of checkpoint '{Path.GetFileName(path)}'");
        Barrier();
    }

    /// <inheritdoc />
    public override void CopyCheckpoint(string source, string destination)
    {
        base.CopyCheckpoint(source, destination);
        using var purpose = ForPurpose($"the copy of checkpoint '{Path.GetFileName(destination)}'");
        Barrier();
    }

    internal override unsafe void AllReduceMax(long[] values)
    {
        if (mpi is null) return;
        fixed (long* buffer = values)
            collectives!.AllReduce((IntPtr)buffer, values.Length, mpi.Int64, sizeof(long), mpi.Max, CollectivePurpose ?? $"a maximum of {values.Length} numbers");
    }

    internal override unsafe T[] AllGatherValues<T>(T[] own)
    {
        if (mpi is null) return own;
        var all = new T[own.Length * size];
        fixed (T* send = own)
        fixed (T* receive = all)
            collectives!.AllGather((IntPtr)send, (IntPtr)receive, own.Length * sizeof(T), CollectivePurpose ?? $"a gather of {own.Length} {typeof(T).Name} values");
        return all;
    }

    internal override byte[] SelectRngState(byte[] saved, int ownLength)
        => saved.Length == ownLength * size ? saved.AsSpan(rank * ownLength, ownLength).ToArray() : base.SelectRngState(saved, ownLength);

    internal override void OnFailure(Exception exception)
    {
        if (mpi is null || size == 1 || exception is OperationCanceledException) return;
        Fail($"{exception.GetType().FullName}: {exception.Message}{Environment.NewLine}{exception.StackTrace}");
    }

    /// <summary>
    /// Reports a failure of this process and ends the whole job, so that no other process waits for it forever. A failed
    /// or expired collective (<paramref name="collective"/>) first gives the other processes a moment to report theirs.
    /// </summary>
    private void Fail(string reason, bool collective = false)
    {
        Console.Error.WriteLine(collective ? reason : $"[rank {rank}] LitGen ddp: {reason}");
        Console.Error.Flush();
        if (collective) Thread.Sleep(ReportGrace);
        Console.Error.WriteLine($"[rank {rank}] Ending all {size} processes of the job.");
        Console.Error.Flush();
        mpi!.Abort(1);
        Environment.Exit(1);
    }

    private static readonly TimeSpan ReportGrace = TimeSpan.FromSeconds(2);

    private void BroadcastInPlace(Tensor tensor, int src, string what)
    {
        var host = tensor.device_type == DeviceType.CPU && tensor.is_contiguous() ? tensor : tensor.cpu().contiguous();
        collectives!.Broadcast(TensorMemory.Address(host), host.numel() * host.ElementSize, src, what);
        if (!ReferenceEquals(host, tensor)) tensor.copy_(host);
    }

    private void CheckSource(int src)
    {
        if (src < 0 || src >= size) throw new ArgumentOutOfRangeException(nameof(src), src, $"The source rank must be between 0 and {size - 1}.");
    }
}

/// <summary>How <see cref="DdpStrategy"/> gets its processes when the program was started plainly (not by <c>mpirun</c> or <c>srun</c>).</summary>
public enum DdpStartMethod
{
    /// <summary>The trainer starts the program's own command line again as N processes under <c>mpirun</c> (Lightning's subprocess launcher).</summary>
    Mpirun,

    /// <summary>The processes must come from a launcher; a plain start with more than one device is an error that says how to launch.</summary>
    External,
}
