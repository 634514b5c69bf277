using System;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// What a dataset's <c>GetItem</c> and a collate function may know while a batch is built (PyTorch's
/// <c>get_worker_info()</c>), and where their randomness must come from: a generator and a <see cref="System.Random"/>
/// seeded for this batch from the loader's seed, the epoch and the batch index. Batches, random augmentations included,
/// are then the same with any number of workers and after a resume. libtorch's default generator is shared by all
/// threads, so augmentations must not use it on workers.
/// </summary>
public sealed class WorkerInfo
{
    [ThreadStatic]
    private static WorkerInfo? current;

    private Generator? generator;
    private Random? random;

    internal WorkerInfo(int id, int numWorkers, long seed, int batchIndex)
    {
        (Id, NumWorkers, Seed, BatchIndex) = (id, numWorkers, seed, batchIndex);
    }

    /// <summary>The batch being built on this thread, or null outside a batch.</summary>
    public static WorkerInfo? Current => current;

    /// <summary>The worker thread building the batch (0 … NumWorkers − 1), or −1 when the loading thread builds it itself.</summary>
    public int Id { get; }

    /// <summary>The loader's number of worker threads (0: batches are built by the thread that reads them).</summary>
    public int NumWorkers { get; }

    /// <summary>The seed of this batch.</summary>
    public long Seed { get; }

    /// <summary>The index of the batch in its epoch.</summary>
    public int BatchIndex { get; }

    /// <summary>A libtorch generator seeded for this batch (pass it to <c>rand</c>, <c>randint</c>, <c>randperm</c>, …).</summary>
    public Generator Generator => generator ??= new Generator(unchecked((ulong)Seed));

    /// <summary>A .NET random number generator seeded for this batch.</summary>
    public Random Random => random ??= new Random(unchecked((int)(Seed ^ (Seed >> 32))));

    /// <summary>Makes this the current batch of the calling thread until disposed.</summary>
    internal WorkerInfo Enter()
    {
        current = this;
        return this;
    }

    /// <summary>Ends the batch: the thread has no current batch, and the generator is freed.</summary>
    internal void Exit()
    {
        if (ReferenceEquals(current, this)) current = null;
        generator?.Dispose();
    }

    /// <summary>The seed of batch <paramref name="batchIndex"/> of an epoch whose batches derive from <paramref name="epochSeed"/> (SplitMix64).</summary>
    internal static long BatchSeed(long epochSeed, int batchIndex)
    {
        ulong z = unchecked((ulong)epochSeed + 0x9E3779B97F4A7C15UL * (ulong)(batchIndex + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((long)(z ^ (z >> 31)));
    }
}
