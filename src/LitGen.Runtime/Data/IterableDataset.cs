namespace LitGen;

/// <summary>
/// A streaming dataset (PyTorch's <c>IterableDataset</c>): samples read in order, from a file, a socket or a generator,
/// without random access. <c>DataLoader.Create</c>
/// batches consecutive samples, optionally reading ahead on a worker thread. The ddp strategy cannot split a stream:
/// read a different part in each process (by <c>GlobalRank</c>) and set <c>UseDistributedSampler = false</c>.
/// </summary>
public abstract class IterableDataset<TSample>
{
    /// <summary>The samples of one pass over the stream.</summary>
    public abstract System.Collections.Generic.IEnumerable<TSample> GetSamples();
}
