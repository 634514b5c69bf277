using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LitGen.Runtime.Tests.Support;

/// <summary>
/// A real training process (tests/LitGen.Reliability.Worker) to interrupt and kill. Every wait has a timeout, and
/// disposing kills whatever is still running, so a failing test never leaves a process behind.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    public const int SigInt = 2;
    public const int SigTerm = 15;
    public const int SigUsr1 = 10;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines = new();
    private readonly ConcurrentQueue<string> transcript = new();

    private WorkerProcess(params string[] args) : this(new Dictionary<string, string>(), args)
    {
    }

    private WorkerProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LitGen.Reliability.Worker.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Receive(e.Data, toLines: true);
        process.ErrorDataReceived += (_, e) => Receive(e.Data, toLines: false);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static WorkerProcess Fit(string root, int epochs) => new("fit", root, epochs.ToString());

    /// <summary>A fresh run with extra environment variables (a fake Slurm job, a PATH with a fake scontrol).</summary>
    public static WorkerProcess Fit(string root, int epochs, IReadOnlyDictionary<string, string> environment) => new(environment, "fit", root, epochs.ToString());

    public static WorkerProcess Resume(string root, int epochs, string checkpoint) => new("resume", root, epochs.ToString(), checkpoint);

    /// <summary>A long fit in a host that owns SIGTERM and stops the run through its token.</summary>
    public static WorkerProcess Host(string root) => new("host", root);

    /// <summary>A long fit through LitCli's command line.</summary>
    public static WorkerProcess Cli(string root) => new("cli", root);

    /// <summary>A process that claims a log folder in <paramref name="root"/> once <paramref name="goFile"/> exists.</summary>
    public static WorkerProcess Claim(string root, string goFile) => new("claim", root, goFile);

    /// <summary>Waits for a line starting with <paramref name="prefix"/> and returns the rest of it.</summary>
    public string WaitForLine(string prefix)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            if (lines.TryDequeue(out var line))
            {
                if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..];
            }
            else if (process.HasExited)
            {
                process.WaitForExit();
                if (lines.IsEmpty) throw new InvalidOperationException($"The worker exited ({process.ExitCode}) before printing '{prefix}':\n{Transcript}");
            }
            else Thread.Sleep(1);
        }
        throw new TimeoutException($"The worker did not print '{prefix}' within {Patience}:\n{Transcript}");
    }

    public int ProcessId => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Everything the process wrote so far (stdout and stderr), for failure messages.</summary>
    public string Transcript => string.Join('\n', transcript);

    /// <summary>Waits for the process to print "step <paramref name="step"/>" (or more).</summary>
    public void WaitForStep(long step)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            if (lines.TryDequeue(out var line))
            {
                if (line.StartsWith("step ", StringComparison.Ordinal) && long.Parse(line.AsSpan(5)) >= step) return;
            }
            else if (process.HasExited)
            {
                process.WaitForExit();   // drains the output still in flight
                if (lines.IsEmpty) throw new InvalidOperationException($"The worker exited ({process.ExitCode}) before step {step}:\n{Transcript}");
            }
            else Thread.Sleep(1);
        }
        throw new TimeoutException($"The worker did not reach step {step} within {Patience}:\n{Transcript}");
    }

    /// <summary>Sends a POSIX signal (SIGINT, SIGTERM) as a terminal or a scheduler would.</summary>
    public void Signal(int signal)
    {
        if (Kill(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public void KillHard()
    {
        process.Kill(entireProcessTree: true);
        WaitForExit();
    }

    public int WaitForExit()
    {
        if (!process.WaitForExit(Patience)) throw new TimeoutException($"The worker did not exit within {Patience}:\n{Transcript}");
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    private void Receive(string? line, bool toLines)
    {
        if (line is null) return;
        transcript.Enqueue(line);
        if (toLines) lines.Enqueue(line);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
