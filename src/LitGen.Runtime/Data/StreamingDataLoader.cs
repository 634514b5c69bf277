using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Batches a streaming dataset: consecutive samples, collated, optionally read and collated ahead of the training loop
/// on one worker thread (a stream is read in order, so one reader is all it can have). Its length is unknown; the
/// trainer finds the last batch by reading one ahead.
/// </summary>
public sealed class StreamingDataLoader<TBatch> : IEnumerable<TBatch>
{
    private readonly Func<IEnumerable<TBatch>> batches;

    internal StreamingDataLoader(Func<IEnumerable<TBatch>> batches, int batchSize, bool dropLast, int numWorkers, int prefetchFactor)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be 1 or more.");
        if (numWorkers is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(numWorkers), numWorkers,
                "A stream is read in order by at most one worker thread; for more, split it into several datasets (e.g. one file each).");
        if (prefetchFactor < 1) throw new ArgumentOutOfRangeException(nameof(prefetchFactor), prefetchFactor, "PrefetchFactor must be 1 or more.");
        this.batches = batches;
        (BatchSize, DropLast, NumWorkers, PrefetchFactor) = (batchSize, dropLast, numWorkers, prefetchFactor);
    }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether a short last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>0: the training loop reads the stream; 1: a worker thread reads and collates ahead.</summary>
    public int NumWorkers { get; }

    /// <summary>Batches the worker reads ahead.</summary>
    public int PrefetchFactor { get; }

    /// <summary>Reads one pass of the stream.</summary>
    public IEnumerator<TBatch> GetEnumerator() => (NumWorkers == 0 ? batches() : ReadAhead()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<TBatch> ReadAhead()
    {
        using var queue = new BlockingCollection<(TBatch Batch, List<Tensor> Owned)>(PrefetchFactor);
        using var stop = new CancellationTokenSource();
        ExceptionDispatchInfo? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                using var source = batches().GetEnumerator();
                while (!stop.IsCancellationRequested)
                {
                    using var scope = NewDisposeScope();
                    if (!source.MoveNext()) break;
                    var item = (source.Current, BatchOwnership.Detach(scope, source.Current));
                    try
                    {
                        queue.Add(item, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        BatchOwnership.Free(item.Item2);
                    }
                }
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                queue.CompleteAdding();
            }
        }) { IsBackground = true, Name = "LitGen stream reader" };
        reader.Start();
        try
        {
            foreach (var (batch, owned) in queue.GetConsumingEnumerable()) yield return BatchOwnership.Adopt(batch, owned);
            failure?.Throw();
        }
        finally
        {
            stop.Cancel();
            reader.Join();
            while (queue.TryTake(out var left)) BatchOwnership.Free(left.Owned);
        }
    }
}
