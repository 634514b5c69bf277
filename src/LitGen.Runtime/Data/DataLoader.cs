using System;
using System.Collections;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Batches a dataset (PyTorch's <c>DataLoader</c>): a <see cref="TensorDataset"/> (whole batches cut out of its tensors)
/// or any <see cref="Dataset{TSample}"/> (<c>DataLoader.Create</c>: samples fetched and collated).
/// The order comes from a <see cref="Sampler"/> (<c>shuffle</c>: a new order every epoch, the same for the same seed and
/// epoch in every run, a resumed one included). With <c>numWorkers</c> &gt; 0, worker threads build batches ahead of the
/// training loop; the batches are the same, in the same order, with any number of workers. Under the ddp strategy every
/// process gets its shard of the same global order automatically.
/// </summary>
public sealed class DataLoader<TBatch> : IReadOnlyCollection<TBatch>, IEpochAware, IShardable<TBatch>, ISkippableLoader<TBatch>, IDisposable
{
    private readonly BatchSource<TBatch> source;
    private readonly Sampler? sampler;
    private readonly ShardSpec? shard;
    private BatchWorkers? persistent;
    private int epoch;

    /// <summary>Creates a loader over the tensors of <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Visit the samples in a new random order every epoch.</param>
    /// <param name="seed">Makes the shuffled orders (and the batches' random seeds) repeat across runs (epoch <c>e</c> uses <c>seed + e</c>).</param>
    /// <param name="dropLast">Drop the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="collate">Builds a batch from the batch's rows of each dataset tensor; required for other batch types.</param>
    /// <param name="numWorkers">Threads building batches ahead of the training loop (0: the loop builds them).</param>
    /// <param name="prefetchFactor">Batches each worker builds ahead.</param>
    /// <param name="persistentWorkers">Keep the worker threads between epochs (until <see cref="Dispose"/>).</param>
    /// <param name="pinMemory">Put batches in page-locked memory (faster copies to a CUDA device; ignored without CUDA).</param>
    /// <param name="sampler">The order of the samples; excludes <paramref name="shuffle"/> and <paramref name="seed"/>.</param>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, long? seed = null, bool dropLast = false, Func<Tensor[], TBatch>? collate = null,
        int numWorkers = 0, int prefetchFactor = 2, bool persistentWorkers = false, bool pinMemory = false, Sampler? sampler = null)
        : this(new TensorBatchSource<TBatch>(dataset ?? throw new ArgumentNullException(nameof(dataset)), collate),
            batchSize, shuffle, seed, dropLast, numWorkers, prefetchFactor, persistentWorkers, pinMemory, sampler)
    {
    }

    internal DataLoader(BatchSource<TBatch> source, int batchSize, bool shuffle, long? seed, bool dropLast, int numWorkers, int prefetchFactor,
        bool persistentWorkers, bool pinMemory, Sampler? sampler)
    {
        this.source = source;
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be 1 or more.");
        if (numWorkers < 0) throw new ArgumentOutOfRangeException(nameof(numWorkers), numWorkers, "NumWorkers must be 0 (build batches in the loop) or more.");
        if (prefetchFactor < 1) throw new ArgumentOutOfRangeException(nameof(prefetchFactor), prefetchFactor, "PrefetchFactor must be 1 or more.");
        if (persistentWorkers && numWorkers == 0) throw new ArgumentException("persistentWorkers needs numWorkers > 0 (as in PyTorch).", nameof(persistentWorkers));
        if (sampler is not null && (shuffle || seed is not null))
            throw new ArgumentException("A sampler decides the order itself: pass either a sampler, or shuffle/seed (as in PyTorch).", nameof(sampler));
        BatchSize = batchSize;
        Shuffle = shuffle || sampler is RandomSampler;
        Seed = seed ?? (sampler as RandomSampler)?.Seed;
        DropLast = dropLast;
        NumWorkers = numWorkers;
        PrefetchFactor = prefetchFactor;
        PersistentWorkers = persistentWorkers;
        PinMemory = pinMemory;
        this.sampler = sampler ?? (shuffle ? new RandomSampler(seed) : null);
    }

    private DataLoader(DataLoader<TBatch> source, ShardSpec shard)
        : this(source.source, source.BatchSize, shuffle: false, seed: null, source.DropLast, source.NumWorkers, source.PrefetchFactor, source.PersistentWorkers,
            source.PinMemory, source.sampler)
    {
        (Shuffle, Seed) = (source.Shuffle, source.Seed);
        this.shard = shard;
        epoch = source.epoch;
    }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether the order is shuffled every epoch.</summary>
    public bool Shuffle { get; }

    /// <summary>The base seed of the shuffled orders and of the batches' random seeds, if any.</summary>
    public long? Seed { get; }

    /// <summary>Whether a short last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Threads building batches ahead of the training loop (0: the loop builds them).</summary>
    public int NumWorkers { get; }

    /// <summary>Batches each worker builds ahead of the loop.</summary>
    public int PrefetchFactor { get; }

    /// <summary>Whether the worker threads live from one epoch to the next.</summary>
    public bool PersistentWorkers { get; }

    /// <summary>Whether batches are put in page-locked memory for faster copies to a CUDA device.</summary>
    public bool PinMemory { get; }

    /// <summary>The number of batches per epoch (of this process's shard under ddp).</summary>
    public int Count => (int)(DropLast ? SampleCount / BatchSize : (SampleCount + BatchSize - 1) / BatchSize);

    /// <summary>The samples of one epoch: the dataset, or this process's shard of it.</summary>
    private long SampleCount => shard switch
    {
        null => source.Count,
        { PadToEqualLength: true } s => (source.Count + s.WorldSize - 1) / s.WorldSize,
        ShardSpec s => source.Count > s.Rank ? (source.Count - s.Rank + s.WorldSize - 1) / s.WorldSize : 0,
    };

    /// <summary>Enumerates one epoch. Batches are new tensors; inside a trainer step they are freed with the step.</summary>
    public IEnumerator<TBatch> GetEnumerator() => Enumerate(skipBatches: 0).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    IEnumerator<TBatch> ISkippableLoader<TBatch>.GetEnumerator(int skipBatches) => Enumerate(skipBatches).GetEnumerator();

    /// <summary>Sets the epoch whose order the next enumeration produces (the trainer calls it before each epoch).</summary>
    public void SetEpoch(int epoch) => this.epoch = epoch;

    /// <summary>
    /// The part of every epoch that process <paramref name="rank"/> of <paramref name="worldSize"/> reads (PyTorch's
    /// <c>DistributedSampler</c>): positions rank, rank + worldSize, … of the order this loader gives one process,
    /// padded from the start of that order to equal length unless <paramref name="padToEqualLength"/> is false. The ddp
    /// strategy applies it automatically; call it yourself only with <see cref="TrainerOptions.UseDistributedSampler"/> = false.
    /// </summary>
    public DataLoader<TBatch> Shard(int rank, int worldSize, bool padToEqualLength = true)
    {
        if (shard is not null)
            throw new MisconfigurationException(
                "This DataLoader is already one process's shard. Under ddp the trainer splits LitGen's DataLoader itself: pass the whole loader, " +
                "or keep your own split and set TrainerOptions.UseDistributedSampler = false.");
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "The world size must be 1 or more.");
        if (rank < 0 || rank >= worldSize) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The rank must be between 0 and {worldSize - 1}.");
        return new DataLoader<TBatch>(this, new ShardSpec(rank, worldSize, padToEqualLength));
    }

    IEnumerable<TBatch> IShardable<TBatch>.Shard(int rank, int worldSize, bool padToEqualLength) => Shard(rank, worldSize, padToEqualLength);

    /// <summary>Stops the persistent worker threads, if any.</summary>
    public void Dispose()
    {
        persistent?.Dispose();
        persistent = null;
    }

    /// <summary>The same batches in dataset order (for OverfitBatches, as Lightning swaps in a sequential sampler).</summary>
    internal DataLoader<TBatch> Unshuffled()
        => sampler is null ? this : new(source, BatchSize, shuffle: false, seed: null, DropLast, NumWorkers, PrefetchFactor, PersistentWorkers, PinMemory, sampler: null);

    private IEnumerable<TBatch> Enumerate(int skipBatches)
    {
        int forEpoch = epoch++;
        var order = Order(forEpoch);
        // Batch seeds come from the loader's seed, or from libtorch's generator (so a seeded, or resumed, run repeats them).
        long epochSeed = Seed is long seed ? WorkerInfo.BatchSeed(seed, forEpoch) : source.RunsUserCode ? DrawSeed() : 0;
        int count = Count;
        if (NumWorkers == 0)
        {
            for (int index = skipBatches; index < count; index++) yield return Build(order, epochSeed, index, worker: -1);
            yield break;
        }

        var workers = persistent ?? new BatchWorkers(NumWorkers);
        if (PersistentWorkers) persistent = workers;
        try
        {
            foreach (var batch in workers.Run(skipBatches, count, PrefetchFactor, (index, worker) => Build(order, epochSeed, index, worker)))
                yield return batch;
        }
        finally
        {
            if (!PersistentWorkers) workers.Dispose();
        }
    }

    private TBatch Build(long[]? order, long epochSeed, int index, int worker)
    {
        var info = new WorkerInfo(worker, NumWorkers, WorkerInfo.BatchSeed(epochSeed, index), index).Enter();
        try
        {
            long start = (long)index * BatchSize;
            var batch = source.Build(order, start, Math.Min(BatchSize, SampleCount - start));
            return PinMemory && cuda.is_available() ? BatchTransfer.Map(batch, t => t.pin_memory()) : batch;
        }
        finally
        {
            info.Exit();
        }
    }

    /// <summary>
    /// The sample indices of this epoch, or null for dataset order. A shard takes, as PyTorch's DistributedSampler: the
    /// epoch's global order (the same one a single process uses), padded from its start to a multiple of the world
    /// size when asked, then every <c>WorldSize</c>-th position starting at <c>Rank</c>.
    /// </summary>
    private long[]? Order(int forEpoch)
    {
        var global = sampler?.Order(source.Count, forEpoch);
        if (shard is not ShardSpec spec) return global;
        global ??= new SequentialSampler().Order(source.Count, forEpoch);
        long total = spec.PadToEqualLength ? SampleCount * spec.WorldSize : source.Count;
        var shardOrder = new long[SampleCount];
        for (long position = spec.Rank, i = 0; position < total; position += spec.WorldSize, i++)
            shardOrder[i] = global[position % source.Count];
        return shardOrder;
    }

    private static long DrawSeed()
    {
        using var value = randint(long.MaxValue, [1], ScalarType.Int64);
        return value.item<long>();
    }

    private readonly record struct ShardSpec(int Rank, int WorldSize, bool PadToEqualLength);
}

/// <summary>Creates dataloaders over map-style datasets.</summary>
public static class DataLoader
{
    /// <summary>
    /// A loader over <paramref name="dataset"/>: each batch fetches its samples with <c>GetItem</c> and collates them
    /// (<paramref name="collate"/>, or <see cref="Collate.Default{TSample, TBatch}"/>). The options are PyTorch's.
    /// </summary>
    public static DataLoader<TBatch> Create<TSample, TBatch>(Dataset<TSample> dataset, int batchSize, bool shuffle = false, long? seed = null, bool dropLast = false,
        Func<IReadOnlyList<TSample>, TBatch>? collate = null, int numWorkers = 0, int prefetchFactor = 2, bool persistentWorkers = false, bool pinMemory = false,
        Sampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new DataLoader<TBatch>(new SampleBatchSource<TSample, TBatch>(dataset, collate ?? Collate.Default<TSample, TBatch>()),
            batchSize, shuffle, seed, dropLast, numWorkers, prefetchFactor, persistentWorkers, pinMemory, sampler);
    }

    /// <summary>
    /// A loader over a streaming dataset: batches of consecutive samples, collated (<paramref name="collate"/>, or
    /// <see cref="Collate.Default{TSample, TBatch}"/>); with <paramref name="numWorkers"/> = 1 a worker thread reads ahead.
    /// </summary>
    public static StreamingDataLoader<TBatch> Create<TSample, TBatch>(IterableDataset<TSample> dataset, int batchSize, bool dropLast = false,
        Func<IReadOnlyList<TSample>, TBatch>? collate = null, int numWorkers = 0, int prefetchFactor = 2)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var build = collate ?? Collate.Default<TSample, TBatch>();
        return new StreamingDataLoader<TBatch>(() => Batches(dataset, batchSize, dropLast, build), batchSize, dropLast, numWorkers, prefetchFactor);
    }

    private static IEnumerable<TBatch> Batches<TSample, TBatch>(IterableDataset<TSample> dataset, int batchSize, bool dropLast, Func<IReadOnlyList<TSample>, TBatch> collate)
    {
        var samples = new List<TSample>(batchSize);
        int index = 0;
        foreach (var sample in dataset.GetSamples())
        {
            samples.Add(sample);
            if (samples.Count < batchSize) continue;
            yield return Collated(collate, samples, index++);
            samples = new List<TSample>(batchSize);
        }
        if (samples.Count > 0 && !dropLast) yield return Collated(collate, samples, index);
    }

    // Collation may be random too: it gets the batch's WorkerInfo, seeded from the batch index.
    private static TBatch Collated<TSample, TBatch>(Func<IReadOnlyList<TSample>, TBatch> collate, List<TSample> samples, int index)
    {
        var info = new WorkerInfo(-1, 0, WorkerInfo.BatchSeed(0, index), index).Enter();
        try
        {
            return collate(samples);
        }
        finally
        {
            info.Exit();
        }
    }
}
