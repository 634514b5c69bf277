using System;
using System.Collections;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Batches a <see cref="TensorDataset"/>: each batch is built from the rows of a batch of indices, as
/// <typeparamref name="TBatch"/> (<c>Tensor</c>, <c>(Tensor, Tensor)</c>, <c>(Tensor, Tensor, Tensor)</c> or
/// <c>Tensor[]</c>, or anything a collate function builds). With <c>shuffle</c> the order changes every epoch
/// and, given a seed, is the same for the same (seed, epoch) in every run, a resumed one included.
/// </summary>
public sealed class DataLoader<TBatch> : IReadOnlyCollection<TBatch>, IEpochAware
{
    private readonly TensorDataset dataset;
    private readonly Func<Tensor[], TBatch> collate;
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

    /// <summary>The number of batches per epoch.</summary>
    public int Count => (int)(DropLast ? dataset.Count / BatchSize : (dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>Enumerates one epoch. Batches are new tensors; inside a trainer step they are freed with the step.</summary>
    public IEnumerator<TBatch> GetEnumerator()
    {
        var order = Shuffle ? Permutation(epoch) : null;
        epoch++;
        try
        {
            for (int b = 0; b < Count; b++)
            {
                long start = (long)b * BatchSize;
                long length = Math.Min(BatchSize, dataset.Count - start);
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
