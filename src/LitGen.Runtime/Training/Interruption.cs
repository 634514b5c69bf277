using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace LitGen;

/// <summary>
/// Turns a cancellation (the caller's token) or an interrupt (Ctrl+C / SIGINT, SIGTERM) into a graceful stop at the next
/// batch boundary, as Lightning does on KeyboardInterrupt: the run ends with an <see cref="OperationCanceledException"/>
/// after <c>OnException</c> (where <see cref="OnExceptionCheckpoint"/> saves) and the loggers are finalized. A second
/// signal is not intercepted, so it ends the process at once. SIGUSR1 (on Linux; what Slurm sends before a time limit with
/// <c>--signal=USR1@90</c>) is the same stop, after which the trainer saves a checkpoint to requeue from (see
/// <see cref="Trainer"/>'s <c>hpc_ckpt_N.ckpt</c>).
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource source;
    private readonly CancellationToken callerToken;
    private readonly Strategy strategy;
    private readonly PosixSignalRegistration?[] registrations;
    private volatile string? signal;

    /// <summary>The signal that requested the stop (<c>"SIGINT"</c>, <c>"SIGTERM"</c>), or null for a cancellation.</summary>
    public string? Signal => signal;

    /// <summary>Watches <paramref name="cancellationToken"/>, and SIGINT and SIGTERM when <paramref name="handleSignals"/>.</summary>
    public Interruption(CancellationToken cancellationToken, Strategy strategy, bool handleSignals)
    {
        this.strategy = strategy;
        callerToken = cancellationToken;
        source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        registrations = !handleSignals ? []
            : OperatingSystem.IsLinux() ? [Register(PosixSignal.SIGINT), Register(PosixSignal.SIGTERM), Register(SigUsr1)]
            : [Register(PosixSignal.SIGINT), Register(PosixSignal.SIGTERM)];
    }

    /// <summary>SIGUSR1's number on Linux; .NET takes raw signal numbers cast to <see cref="PosixSignal"/>.</summary>
    internal const PosixSignal SigUsr1 = (PosixSignal)10;

    /// <summary>The name of the signal that asks for a checkpoint and a requeue.</summary>
    public const string Requeue = "SIGUSR1";

    /// <summary>The exit code a shell expects after a stop by <paramref name="signal"/>: 128 + its number.</summary>
    public static int ExitCode(string? signal) => signal switch
    {
        "SIGTERM" => 143,
        Requeue => 138,
        _ => 130,
    };

    // What a process requests, as one number the processes of a ddp job can agree on (the highest wins).
    private const int NoRequest = 0, Cancellation = 1;
    private static readonly string[] SignalNames = ["SIGINT", Requeue, "SIGTERM"];
    private static readonly int[] SignalNumbers = [2, 10, 15];

    /// <summary>
    /// Throws at a batch boundary once a stop was requested. Under ddp the processes agree first, on the request and on
    /// the signal behind it (a request on any of them stops all at the same boundary, for the same reason, even where
    /// the signal has not arrived yet), so none is left waiting in a gradient exchange. In the same exchange they agree
    /// whether any of them has another batch (<paramref name="hasBatch"/>, this one's): evaluation shards are unequal, and
    /// every process goes on while one does. Returns whether any process has a batch.
    /// </summary>
    public bool ThrowIfRequested(bool hasBatch = true)
    {
        int request = signal is { } own ? SignalNumbers[Array.IndexOf(SignalNames, own)] : source.IsCancellationRequested ? Cancellation : NoRequest;
        bool anyHasBatch = hasBatch;
        if (strategy.WorldSize > 1)
        {
            long[] agreed = [request, hasBatch ? 1 : 0];
            using (strategy.ForPurpose("the agreement at a batch boundary (a stop request, more batches)")) strategy.AllReduceMax(agreed);
            (request, anyHasBatch) = ((int)agreed[0], agreed[1] == 1);
            if (request > Cancellation && signal is null) signal = SignalNames[Array.IndexOf(SignalNumbers, request)];
        }
        if (request == NoRequest) return anyHasBatch;
        throw new OperationCanceledException(signal is { } name
            ? $"Training was interrupted by {name} and stopped at a batch boundary; callbacks saw it in OnException and the loggers were finalized."
            : "Training was cancelled and stopped at a batch boundary; callbacks saw it in OnException and the loggers were finalized.",
            // The caller's own token when it asked, so that `catch (OperationCanceledException e) when (e.CancellationToken == token)` matches.
            callerToken.IsCancellationRequested ? callerToken : source.Token);
    }

    private PosixSignalRegistration? Register(PosixSignal posixSignal)
    {
        try
        {
            return PosixSignalRegistration.Create(posixSignal, OnSignal);
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (source.IsCancellationRequested) return;
        signal = context.Signal == SigUsr1 ? Requeue : context.Signal.ToString();
        context.Cancel = true;
        source.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in registrations) registration?.Dispose();
        source.Dispose();
    }
}
