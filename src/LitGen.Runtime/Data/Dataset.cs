using System;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// A map-style dataset (PyTorch's <c>torch.utils.data.Dataset</c>): a number of samples and the sample at an index.
/// <c>DataLoader.Create</c> batches it, on worker threads if asked. <c>GetItem</c> may run on
/// several threads at once; randomness in it should come from <see cref="WorkerInfo.Current"/>, so that batches do
/// not depend on the number of workers.
/// </summary>
public abstract class Dataset<TSample>
{
    /// <summary>The number of samples.</summary>
    public abstract long Count { get; }

    /// <summary>The sample at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    public abstract TSample GetItem(long index);
}

/// <summary>Datasets from functions and from TorchSharp's dataset types.</summary>
public static class Dataset
{
    /// <summary>A dataset of <paramref name="count"/> samples made by <paramref name="getItem"/>.</summary>
    public static Dataset<TSample> FromFunction<TSample>(long count, Func<long, TSample> getItem)
    {
        ArgumentNullException.ThrowIfNull(getItem);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new FunctionDataset<TSample>(count, getItem);
    }

    /// <summary>
    /// A TorchSharp dataset (<c>torch.utils.data.Dataset&lt;T&gt;</c>, e.g. TorchVision's MNIST or CIFAR) as a LitGen dataset,
    /// so that LitGen's <see cref="DataLoader"/> batches it with workers, sampling and ddp sharding.
    /// </summary>
    public static Dataset<T> FromTorchSharp<T>(utils.data.Dataset<T> dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new FunctionDataset<T>(dataset.Count, dataset.GetTensor);
    }

    private sealed class FunctionDataset<TSample>(long count, Func<long, TSample> getItem) : Dataset<TSample>
    {
        public override long Count => count;

        public override TSample GetItem(long index) => getItem(index);
    }
}
