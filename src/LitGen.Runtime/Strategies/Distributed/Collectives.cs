using System;
using System.Diagnostics;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using System.Threading;

namespace LitGen;

/// <summary>
/// Every collective call of a ddp process goes through here: started non-blocking and waited for with a deadline
/// (<see cref="DdpStrategy.CollectiveTimeout"/>), so a process whose peers never arrive fails with a report of what it
/// was waiting in (what, hook, epoch, step) instead of hanging; an error Open MPI returns is reported the same way.
/// With <see cref="DdpStrategy.CheckCollectives"/>, the processes first exchange a fingerprint of the call they are
/// about to make (kind, element count, type, what it is for), so the first call where they diverge is reported with
/// every process's side. Either report ends the job (<paramref name="fail"/>).
/// </summary>
internal sealed unsafe class Collectives(OpenMpi mpi, int rank, int size, TimeSpan timeout, bool check, Func<string> location, Action<string> fail)
{
    private const int FingerprintBytes = 256;
    // Most exchanges complete within microseconds: poll at full speed first, then yield, then sleep between polls.
    private const int SpinPolls = 4096;
    private static readonly TimeSpan YieldPhase = TimeSpan.FromMilliseconds(20);

    /// <summary>How many collectives this process has started (for tests: how many exchanges a step costs).</summary>
    public long Count { get; private set; }

    /// <summary>Reduces <paramref name="count"/> elements at <paramref name="buffer"/> in place on every process.</summary>
    public void AllReduce(IntPtr buffer, long count, IntPtr datatype, int elementSize, IntPtr op, string what)
    {
        for (long done = 0; done < count;)
        {
            int chunk = (int)Math.Min(count - done, int.MaxValue);
            Run("allreduce", what, chunk, elementSize, () => mpi.StartAllReduce(buffer + (nint)(done * elementSize), chunk, datatype, op));
            done += chunk;
        }
    }

    /// <summary>Sends <paramref name="bytes"/> bytes at <paramref name="buffer"/> from <paramref name="root"/> to every process.</summary>
    public void Broadcast(IntPtr buffer, long bytes, int root, string what)
    {
        for (long done = 0; done < bytes;)
        {
            int chunk = (int)Math.Min(bytes - done, int.MaxValue);
            Run("broadcast", what, chunk, 1, () => mpi.StartBroadcast(buffer + (nint)done, chunk, root));
            done += chunk;
        }
    }

    /// <summary>Gathers <paramref name="bytes"/> bytes from every process into <paramref name="receive"/> (rank order).</summary>
    public void AllGather(IntPtr send, IntPtr receive, int bytes, string what) => Run("allgather", what, bytes, 1, () => mpi.StartAllGather(send, receive, bytes));

    /// <summary>Waits until every process arrives, for at most <paramref name="limit"/> (the collective timeout by default); false when it expired.</summary>
    public bool TryBarrier(string what, TimeSpan? limit = null)
    {
        if (check) Fingerprint("barrier", what, 0, 0);
        Count++;
        var request = Start("barrier", what, mpi.StartBarrier);
        return Wait(ref request, limit ?? timeout, "barrier", what);
    }

    public void Barrier(string what) => Run("barrier", what, 0, 0, mpi.StartBarrier);

    private void Run(string kind, string what, int count, int elementSize, Func<IntPtr> start)
    {
        if (check) Fingerprint(kind, what, count, elementSize);
        Count++;
        var request = Start(kind, what, start);
        Wait(ref request, timeout, kind, what);
    }

    private IntPtr Start(string kind, string what, Func<IntPtr> start)
    {
        try
        {
            return start();
        }
        catch (MpiException e)
        {
            fail(Failed(kind, what, e.Message));
            throw;
        }
    }

    /// <summary>Polls the request until it completes; on expiry of <paramref name="limit"/> the job fails (or, for a barrier with a limit of its own, false).</summary>
    private bool Wait(ref IntPtr request, TimeSpan limit, string kind, string what)
    {
        long start = Stopwatch.GetTimestamp();
        for (int polls = 0; ; polls++)
        {
            try
            {
                if (mpi.Test(ref request)) return true;
            }
            catch (MpiException e)
            {
                fail(Failed(kind, what, e.Message));
                throw;
            }
            if (polls < SpinPolls) continue;
            var waited = Stopwatch.GetElapsedTime(start);
            if (waited > limit)
            {
                if (limit != timeout) return false;
                fail($"[rank {rank}] LitGen ddp: the {kind} of {what} {location()} waited {timeout.TotalSeconds:0.#} s for the other processes " +
                     "(DdpStrategy.CollectiveTimeout) and gave up. Another process is not making the same call: it is stuck, or it took another path through " +
                     "the program (a Log(..., syncDist: true) or a collective inside an if on the rank, or a different number of batches). " +
                     "DdpStrategy.CheckCollectives reports the first call where the processes diverge.");
                throw new TimeoutException($"The {kind} of {what} timed out.");
            }
            if (waited < YieldPhase) Thread.Yield();
            else Thread.Sleep(1);
        }
    }

    private string Failed(string kind, string what, string error)
        => $"[rank {rank}] LitGen ddp: the {kind} of {what} {location()} failed: {error} The processes are probably in different collectives " +
           "(one took another path through the program); DdpStrategy.CheckCollectives reports the first call where they diverge.";

    /// <summary>Exchanges a fixed-size fingerprint of the next call; ends the job with every process's side when they differ.</summary>
    private void Fingerprint(string kind, string what, int count, int elementSize)
    {
        var description = $"{kind} of {count} × {elementSize} bytes for {what}";
        var own = new byte[FingerprintBytes];
        BitConverter.TryWriteBytes(own, XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(description)));
        var text = Encoding.UTF8.GetBytes($"{description} {location()}");
        text.AsSpan(0, Math.Min(text.Length, FingerprintBytes - 8)).CopyTo(own.AsSpan(8));
        var all = new byte[FingerprintBytes * size];
        Count++;
        fixed (byte* send = own)
        fixed (byte* receive = all)
        {
            var (sendAddress, receiveAddress) = ((IntPtr)send, (IntPtr)receive);
            var request = Start("allgather", "the collective check", () => mpi.StartAllGather(sendAddress, receiveAddress, FingerprintBytes));
            Wait(ref request, timeout, "allgather", "the collective check (DdpStrategy.CheckCollectives)");
        }
        var hashes = Enumerable.Range(0, size).Select(r => BitConverter.ToUInt64(all, r * FingerprintBytes)).ToArray();
        if (hashes.All(h => h == hashes[0])) return;
        var sides = Enumerable.Range(0, size).Select(r => $"  rank {r}: {Encoding.UTF8.GetString(all, r * FingerprintBytes + 8, FingerprintBytes - 8).TrimEnd('\0')}");
        fail($"[rank {rank}] LitGen ddp: the processes are about to make different collective calls (DdpStrategy.CheckCollectives):{Environment.NewLine}" +
             string.Join(Environment.NewLine, sides) + Environment.NewLine +
             "Every process must make the same collectives in the same order: look for a Log(..., syncDist: true), a metric or a Strategy call that only some ranks reach.");
        throw new InvalidOperationException("The processes diverged.");
    }
}
