using System;
using System.Collections;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Batches a <see cref="TensorDataset"/>: each batch is built from the rows of a batch of indices, as
/// <typeparamref name="TBatch"/> (<c>Tensor</c>, <c>(Tensor, Tensor)</c>, <c>(Tensor, Tensor, Tensor)</c> or
/// <c>Tensor[]</c>, or anything a collate function builds). With <c>shuffle</c> the order changes every epoch
/// and, given a seed, is the same for the same (seed, epoch) in every run, a resumed one included. Under the ddp
/// strategy every process gets its shard of that same order automatically.
/// </summary>
public sealed class DataLoader<TBatch> : IReadOnlyCollection<TBatch>, IEpochAware, IShardable<TBatch>
{
    private readonly TensorDataset dataset;
    private readonly Func<Tensor[], TBatch> collate;
    private readonly ShardSpec? shard;
    private int epoch;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Visit the samples in a new random order every epoch.</param>
    /// <param name="seed">Makes the shuffled orders repeat across runs (epoch <c>e</c> uses <c>seed + e</c>).</param>
    /// <param name="dropLast">Drop the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="collate">Builds a batch from the batch's rows of each dataset tensor; required for other batch types.</param>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, long? seed = null, bool dropLast = false, Func<Tensor[], TBatch>? collate = null)
    {
        this.dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be 1 or more.");
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        this.collate = collate ?? DefaultCollate(dataset.Tensors.Count);
    }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether the order is shuffled every epoch.</summary>
    public bool Shuffle { get; }

    /// <summary>The base seed of the shuffled orders, if any.</summary>
    public long? Seed { get; }

    /// <summary>Whether a short last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The number of batches per epoch (of this process's shard under ddp).</summary>
    public int Count => (int)(DropLast ? SampleCount / BatchSize : (SampleCount + BatchSize - 1) / BatchSize);

    /// <summary>The samples of one epoch: the dataset, or this process's shard of it.</summary>
    private long SampleCount => shard switch
    {
        null => dataset.Count,
        { PadToEqualLength: true } s => (dataset.Count + s.WorldSize - 1) / s.WorldSize,
        ShardSpec s => dataset.Count > s.Rank ? (dataset.Count - s.Rank + s.WorldSize - 1) / s.WorldSize : 0,
    };

    /// <summary>Enumerates one epoch. Batches are new tensors; inside a trainer step they are freed with the step.</summary>
    public IEnumerator<TBatch> GetEnumerator()
    {
        var order = shard is null ? Shuffle ? Permutation(epoch) : null : ShardOrder(epoch, shard.Value);
        epoch++;
        try
        {
            for (int b = 0; b < Count; b++)
            {
                long start = (long)b * BatchSize;
                long length = Math.Min(BatchSize, SampleCount - start);
                var rows = new Tensor[dataset.Tensors.Count];
                if (order is null)
                {
                    for (int i = 0; i < rows.Length; i++) rows[i] = dataset.Tensors[i].narrow(0, start, length);
                }
                else
                {
                    using var indices = order.narrow(0, start, length);
                    for (int i = 0; i < rows.Length; i++) rows[i] = dataset.Tensors[i].index_select(0, indices.to(dataset.Tensors[i].device));
                }
                yield return collate(rows);
            }
        }
        finally
        {
            order?.Dispose();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Sets the epoch whose order the next enumeration produces (the trainer calls it before each epoch).</summary>
    public void SetEpoch(int epoch) => this.epoch = epoch;

    /// <summary>The same batches in dataset order (for OverfitBatches, as Lightning swaps in a sequential sampler).</summary>
    internal DataLoader<TBatch> Unshuffled() => Shuffle ? new(dataset, BatchSize, shuffle: false, seed: null, DropLast, collate) : this;

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

    private DataLoader(DataLoader<TBatch> source, ShardSpec shard)
        : this(source.dataset, source.BatchSize, source.Shuffle, source.Seed, source.DropLast, source.collate)
    {
        this.shard = shard;
        epoch = source.epoch;
    }

    /// <summary>
    /// The indices of this process's shard, as PyTorch's DistributedSampler takes them: the epoch's global order (the
    /// same one a single process uses), padded from its start to a multiple of the world size when asked, then every
    /// <c>WorldSize</c>-th position starting at <c>Rank</c>.
    /// </summary>
    private Tensor ShardOrder(int forEpoch, ShardSpec spec)
    {
        using var scope = NewDisposeScope();
        var global = Shuffle ? Permutation(forEpoch) : arange(dataset.Count, ScalarType.Int64);
        long total = dataset.Count;
        if (spec.PadToEqualLength)
        {
            total = SampleCount * spec.WorldSize;
            long padding = total - dataset.Count;
            if (padding > 0)
            {
                long repeats = (padding + dataset.Count - 1) / dataset.Count;
                global = cat([global, global.repeat(repeats).narrow(0, 0, padding)]);
            }
        }
        return global.slice(0, spec.Rank, total, spec.WorldSize).contiguous().DetachFromDisposeScope();
    }

    private readonly record struct ShardSpec(int Rank, int WorldSize, bool PadToEqualLength);

    private Tensor Permutation(int forEpoch)
    {
        if (Seed is not long seed) return randperm(dataset.Count).DetachFromDisposeScope();
        using var generator = new Generator(unchecked((ulong)(seed + forEpoch)));
        return randperm(dataset.Count, generator: generator).DetachFromDisposeScope();
    }

    private static Func<Tensor[], TBatch> DefaultCollate(int tensorCount)
    {
        var type = typeof(TBatch);
        if (type == typeof(Tensor[])) return rows => (TBatch)(object)rows;
        if (type == typeof(Tensor) && tensorCount == 1) return rows => (TBatch)(object)rows[0];
        if (type == typeof((Tensor, Tensor)) && tensorCount == 2) return rows => (TBatch)(object)(rows[0], rows[1]);
        if (type == typeof((Tensor, Tensor, Tensor)) && tensorCount == 3) return rows => (TBatch)(object)(rows[0], rows[1], rows[2]);
        throw new ArgumentException(
            $"DataLoader<{type.Name}> cannot build batches from a dataset of {tensorCount} tensors by itself; pass a collate function.", "collate");
    }
}
