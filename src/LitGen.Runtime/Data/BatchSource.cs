using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>What a <see cref="DataLoader{TBatch}"/> batches: it builds the batch of the given sample indices.</summary>
internal abstract class BatchSource<TBatch>
{
    /// <summary>The number of samples.</summary>
    public abstract long Count { get; }

    /// <summary>Whether building runs the user's code (per-sample items, a collate function), which may be random.</summary>
    public abstract bool RunsUserCode { get; }

    /// <summary>
    /// The batch of samples <paramref name="order"/>[start … start + length), or of samples start … start + length
    /// when <paramref name="order"/> is null (dataset order).
    /// </summary>
    public abstract TBatch Build(long[]? order, long start, long length);
}

/// <summary>A <see cref="TensorDataset"/>: whole batches are cut out of its tensors at once (narrowed, or gathered by index).</summary>
internal sealed class TensorBatchSource<TBatch>(TensorDataset dataset, Func<Tensor[], TBatch>? collate) : BatchSource<TBatch>
{
    private readonly Func<Tensor[], TBatch> build = collate ?? DefaultCollate(dataset.Tensors.Count);

    public override long Count => dataset.Count;

    public override bool RunsUserCode { get; } = collate is not null;

    public override TBatch Build(long[]? order, long start, long length)
    {
        var rows = new Tensor[dataset.Tensors.Count];
        if (order is null)
        {
            for (int i = 0; i < rows.Length; i++) rows[i] = dataset.Tensors[i].narrow(0, start, length);
        }
        else
        {
            using var indices = tensor(order.AsSpan((int)start, (int)length).ToArray());
            for (int i = 0; i < rows.Length; i++) rows[i] = dataset.Tensors[i].index_select(0, indices.to(dataset.Tensors[i].device));
        }
        return build(rows);
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

/// <summary>A map-style dataset: every sample is fetched with <c>GetItem</c> and the batch collated from them.</summary>
internal sealed class SampleBatchSource<TSample, TBatch>(Dataset<TSample> dataset, Func<IReadOnlyList<TSample>, TBatch> collate) : BatchSource<TBatch>
{
    public override long Count => dataset.Count;

    public override bool RunsUserCode => true;

    public override TBatch Build(long[]? order, long start, long length)
    {
        var samples = new TSample[length];
        for (long i = 0; i < length; i++)
        {
            long index = order is null ? start + i : order[start + i];
            try
            {
                samples[i] = dataset.GetItem(index);
            }
            catch (Exception e)
            {
                throw new DataLoaderException(
                    $"{dataset.GetType().Name}.GetItem({index}) failed ({e.GetType().Name}: {e.Message}); sample {index} could not be loaded.", index, e);
            }
        }
        return collate(samples);
    }
}
