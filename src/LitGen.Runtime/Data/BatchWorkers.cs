using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Worker threads that build a dataloader's batches ahead of the training loop (PyTorch's <c>num_workers</c>, as .NET
/// threads: no processes, no pickling). Batches are built in any order but handed out in epoch order, at most
/// <c>window</c> ahead of the consumer. A batch built on a worker belongs to no dispose scope until the consumer adopts
/// it into the scope of the step that uses it; what is never handed out is freed. The first failure stops the other
/// workers and is rethrown to the consumer.
/// </summary>
internal sealed class BatchWorkers : IDisposable
{
    private readonly Thread[] threads;
    private readonly object gate = new();
    private IEpoch? epoch;
    private bool stopping;

    public BatchWorkers(int count)
    {
        threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int id = i;
            threads[i] = new Thread(() => Work(id)) { IsBackground = true, Name = $"LitGen DataLoader worker {id}" };
            threads[i].Start();
        }
    }

    /// <summary>Builds batches <paramref name="first"/> … <paramref name="count"/> − 1 with <paramref name="build"/> (batch, worker) and yields them in order.</summary>
    public IEnumerable<TBatch> Run<TBatch>(int first, int count, int window, Func<int, int, TBatch> build)
    {
        var run = new Epoch<TBatch>(first, count, Math.Max(1, window), build, threads.Length);
        lock (gate)
        {
            if (epoch is not null) throw new InvalidOperationException("A DataLoader with persistent workers cannot be enumerated twice at the same time.");
            epoch = run;
            Monitor.PulseAll(gate);
        }
        try
        {
            for (int index = first; index < count; index++) yield return Take(run, index);
        }
        finally
        {
            lock (gate)
            {
                run.Cancelled = true;
                Monitor.PulseAll(gate);
                while (run.InFlight > 0) Monitor.Wait(gate);
                epoch = null;
            }
            run.DisposeReady();
        }
    }

    private TBatch Take<TBatch>(Epoch<TBatch> run, int index)
    {
        (TBatch Batch, List<Tensor> Owned) item;
        lock (gate)
        {
            while (!run.Ready.ContainsKey(index) && run.Failure is null) Monitor.Wait(gate);
            if (!run.Ready.Remove(index, out item)) run.Failure!.Throw();
            run.Consumed = index + 1;
            Monitor.PulseAll(gate);
        }
        return BatchOwnership.Adopt(item.Batch, item.Owned);
    }

    private void Work(int id)
    {
        while (true)
        {
            IEpoch current;
            int index;
            lock (gate)
            {
                while (!stopping && (epoch is null || !epoch.CanClaim)) Monitor.Wait(gate);
                if (stopping) return;
                current = epoch!;
                index = current.Claim();
            }
            current.Build(id, index, gate);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
        foreach (var thread in threads) thread.Join();
    }

    private interface IEpoch
    {
        /// <summary>Whether a worker may start another batch (under the lock).</summary>
        bool CanClaim { get; }

        /// <summary>Takes the next batch to build (under the lock).</summary>
        int Claim();

        /// <summary>Builds a claimed batch outside the lock, then stores it (or the failure) under it.</summary>
        void Build(int worker, int index, object gate);
    }

    private sealed class Epoch<TBatch>(int first, int count, int window, Func<int, int, TBatch> build, int workers) : IEpoch
    {
        private int next = first;

        public Dictionary<int, (TBatch Batch, List<Tensor> Owned)> Ready { get; } = [];
        public int Consumed { get; set; } = first;
        public int InFlight { get; private set; }
        public bool Cancelled { get; set; }
        public ExceptionDispatchInfo? Failure { get; private set; }

        public bool CanClaim => !Cancelled && Failure is null && next < count && next < Consumed + window * workers;

        public int Claim()
        {
            InFlight++;
            return next++;
        }

        public void Build(int worker, int index, object gate)
        {
            (TBatch Batch, List<Tensor> Owned)? built = null;
            ExceptionDispatchInfo? error = null;
            try
            {
                using var scope = NewDisposeScope();
                var batch = build(index, worker);
                built = (batch, BatchOwnership.Detach(scope, batch));
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
            lock (gate)
            {
                InFlight--;
                if (error is not null) Failure ??= error;
                else if (Cancelled) BatchOwnership.Free(built!.Value.Owned);
                else Ready[index] = built!.Value;
                Monitor.PulseAll(gate);
            }
        }

        public void DisposeReady()
        {
            foreach (var (_, item) in Ready) BatchOwnership.Free(item.Owned);
            Ready.Clear();
        }
    }
}
