using System;
using System.Diagnostics;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using System.Threading;

namespace LitGen;

/// <summary>
/// Every collective call of a ddp process goes through here, with what it is for. A watchdog ends the job when one waits
/// longer than <see cref="DdpStrategy.CollectiveTimeout"/>, after reporting what the process was waiting in (what, hook,
/// epoch, step), instead of letting it hang; an error Open MPI returns is reported the same way. With
/// <see cref="DdpStrategy.CheckCollectives"/>, the processes first exchange a fingerprint of the call they are about
/// to make (kind, size, what it is for), so the first call where they diverge is reported with every process's side.
/// Every report ends the job (the strategy's failure handler).
/// </summary>
internal sealed unsafe class Collectives
{
    private const int FingerprintBytes = 256;

    private readonly OpenMpi mpi;
    private readonly int rank, size;
    private readonly TimeSpan timeout;
    private readonly bool check;
    private readonly Func<string> location;
    private readonly Action<string> fail;

    // The call in progress, as the watchdog reads it: what it is (null between calls) and its deadline. Where the run is
    // (hook, step) is read when a report is made: the process stands still in the call until then. One watchdog
    // thread per process looks four times per timeout at the collectives of the trainer created last, so an overdue
    // call is reported within 1.25 timeouts and nothing is signalled per call. (A thread, timer or SIGALRM handler per
    // trainer slowed the steps of bench ddp-sync, which creates 14 trainers, by a third.)
    private volatile string? waitingIn;   // "the allreduce of the gradient exchange (…)"
    private long deadline;
    private string kindOfCall = "";
    private readonly long watchedTicks;
    private static volatile Collectives? watched;
    private static readonly Lock WatchdogGate = new();
    private static Thread? watchdog;

    public Collectives(OpenMpi mpi, int rank, int size, TimeSpan timeout, bool check, Func<string> location, Action<string> fail)
    {
        (this.mpi, this.rank, this.size, this.timeout, this.check, this.location, this.fail) = (mpi, rank, size, timeout, check, location, fail);
        watchedTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        watched = this;
        lock (WatchdogGate)
        {
            if (watchdog is null)
            {
                watchdog = new Thread(Watch) { IsBackground = true, Name = "LitGen ddp watchdog" };
                watchdog.Start();
            }
        }
    }

    /// <summary>How many collectives this process has made (for tests: how many exchanges a step costs).</summary>
    public long Count { get; private set; }

    /// <summary>Reduces <paramref name="count"/> elements at <paramref name="buffer"/> in place on every process.</summary>
    public void AllReduce(IntPtr buffer, long count, IntPtr datatype, int elementSize, IntPtr op, string what)
    {
        for (long done = 0; done < count;)
        {
            int chunk = (int)Math.Min(count - done, int.MaxValue);
            var address = buffer + (nint)(done * elementSize);
            Run("allreduce", what, chunk, elementSize, () => mpi.AllReduce(address, chunk, datatype, op));
            done += chunk;
        }
    }

    /// <summary>Sends <paramref name="bytes"/> bytes at <paramref name="buffer"/> from <paramref name="root"/> to every process.</summary>
    public void Broadcast(IntPtr buffer, long bytes, int root, string what)
    {
        for (long done = 0; done < bytes;)
        {
            int chunk = (int)Math.Min(bytes - done, int.MaxValue);
            var address = buffer + (nint)done;
            Run("broadcast", what, chunk, 1, () => mpi.Broadcast(address, chunk, root));
            done += chunk;
        }
    }

    /// <summary>Gathers <paramref name="bytes"/> bytes from every process into <paramref name="receive"/> (rank order).</summary>
    public void AllGather(IntPtr send, IntPtr receive, int bytes, string what) => Run("allgather", what, bytes, 1, () => mpi.AllGather(send, receive, bytes));

    public void Barrier(string what) => Run("barrier", what, 0, 0, mpi.Barrier);

    /// <summary>A barrier that gives up after <paramref name="limit"/> and says so (false), for the start of a job.</summary>
    public bool TryBarrier(TimeSpan limit)
    {
        Count++;
        var request = mpi.StartBarrier();
        var start = Stopwatch.GetTimestamp();
        while (!mpi.Test(ref request))
        {
            if (Stopwatch.GetElapsedTime(start) > limit) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    private void Run(string kind, string what, int count, int elementSize, Action call)
    {
        if (check) Fingerprint(kind, what, count, elementSize);
        Watched(kind, what, call);
    }

    /// <summary>Makes a call under the watchdog's eye; an error Open MPI returns ends the job with a report of it.</summary>
    private void Watched(string kind, string what, Action call)
    {
        Count++;
        Interlocked.Exchange(ref deadline, Stopwatch.GetTimestamp() + watchedTicks);
        kindOfCall = kind;
        waitingIn = what;
        try
        {
            call();
        }
        catch (MpiException e)
        {
            fail($"[rank {rank}] LitGen ddp: the {kind} of {what} {location()} failed: {e.Message} The processes are probably in different collectives " +
                 "(one took another path through the program); DdpStrategy.CheckCollectives reports the first call where they diverge.");
            throw;
        }
        finally
        {
            waitingIn = null;
        }
    }

    private static void Watch()
    {
        while (true)
        {
            Thread.Sleep(watched!.timeout / 4);
            if (watched.ReportIfOverdue()) return;
        }
    }

    private bool ReportIfOverdue()
    {
        if (waitingIn is not { } what || Stopwatch.GetTimestamp() < Interlocked.Read(ref deadline)) return false;
        fail($"[rank {rank}] LitGen ddp: the {kindOfCall} of {what} {location()} waited {timeout.TotalSeconds:0.#} s for the other processes (DdpStrategy.CollectiveTimeout) and gave up. " +
             "Another process is not making the same call: it is stuck, or it took another path through the program (a Log(..., syncDist: true) or a " +
             "collective inside an if on the rank, or a different number of batches). DdpStrategy.CheckCollectives reports the first call where the processes diverge.");
        return true;
    }

    /// <summary>Exchanges a fixed-size fingerprint of the next call; ends the job with every process's side when they differ.</summary>
    private void Fingerprint(string kind, string what, int count, int elementSize)
    {
        var description = $"{kind} of {count} × {elementSize} bytes for {what}";
        var own = new byte[FingerprintBytes];
        BitConverter.TryWriteBytes(own, XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(description)));
        var text = Encoding.UTF8.GetBytes($"{description} {location()}");
        text.AsSpan(0, Math.Min(text.Length, FingerprintBytes - 8)).CopyTo(own.AsSpan(8));
        var all = new byte[FingerprintBytes * size];
        fixed (byte* send = own)
        fixed (byte* receive = all)
        {
            var (sendAddress, receiveAddress) = ((IntPtr)send, (IntPtr)receive);
            Watched("allgather", $"the collective check (DdpStrategy.CheckCollectives) before the {kind} of {what}",
                () => mpi.AllGather(sendAddress, receiveAddress, FingerprintBytes));
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
