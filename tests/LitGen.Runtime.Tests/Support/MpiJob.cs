using System.Diagnostics;
using System.Text;

namespace LitGen.Runtime.Tests.Support;

/// <summary>A ddp job of the test worker (tests/LitGen.Distributed.Worker), under mpirun or started plainly; always bounded in time.</summary>
public sealed class MpiJob : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private MpiJob(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        // Tests run as root in CI; Open MPI refuses that unless told.
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string WorkerPath => Path.Combine(AppContext.BaseDirectory, "LitGen.Distributed.Worker.dll");

    /// <summary><c>mpirun -np <paramref name="processes"/> dotnet worker.dll args…</c></summary>
    public static MpiJob Start(int processes, params string[] args)
    {
        var start = new ProcessStartInfo("mpirun");
        foreach (var arg in new[] { "-np", processes.ToString(), "dotnet", WorkerPath }.Concat(args)) start.ArgumentList.Add(arg);
        return new MpiJob(start);
    }

    /// <summary><c>dotnet worker.dll args…</c> without a launcher: the trainer has to start the processes itself.</summary>
    public static MpiJob StartPlainly(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        foreach (var arg in new[] { WorkerPath }.Concat(args)) start.ArgumentList.Add(arg);
        return new MpiJob(start);
    }

    /// <summary>
    /// <c>dotnet worker.dll args…</c> without a launcher, as the leader of a process group of its own (as a shell starts a
    /// foreground job), so that a test can signal the group as a terminal's Ctrl+C does.
    /// </summary>
    public static MpiJob StartPlainlyAsGroupLeader(params string[] args)
    {
        // setsid execs the command in place (the test host's child is no group leader), so the job's pid is the group's.
        var start = new ProcessStartInfo("setsid");
        foreach (var arg in new[] { "dotnet", WorkerPath }.Concat(args)) start.ArgumentList.Add(arg);
        return new MpiJob(start);
    }

    /// <summary>The pid of the process the test started (the launcher, or mpirun).</summary>
    public int Id => process.Id;

    /// <summary>Runs a job to its end and asserts it succeeded.</summary>
    public static void Run(int processes, params string[] args)
    {
        using var job = Start(processes, args);
        var code = job.WaitForExit(TimeSpan.FromSeconds(180));
        Assert.True(code == 0, $"the job failed ({code}):\n{job.Output}");
    }

    public string Output
    {
        get
        {
            lock (output) return output.ToString();
        }
    }

    /// <summary>Waits for the job to end; a job that does not is killed and fails the test.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The job did not end within {timeout}:\n{Output}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Waits until the job printed <paramref name="text"/>.</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"The job did not print '{text}' within {timeout}:\n{Output}");
            if (process.HasExited) throw new InvalidOperationException($"The job ended before printing '{text}':\n{Output}");
            Thread.Sleep(10);
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }
}
