using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace LitGen;

/// <summary>
/// Where the processes of a ddp run come from. Under <c>mpirun</c> (or another MPI launcher) the world is in the
/// environment. Started plainly with more than one device, the process starts the same command line under
/// <c>mpirun</c>, waits for the job and exits with its exit code, as Lightning's subprocess launcher re-runs the script.
/// </summary>
/// <remarks>
/// Signals: mpirun runs in a session of its own, so a terminal's Ctrl+C (or a signal to the launcher's process group)
/// reaches the launcher only, which passes SIGINT or SIGTERM straight to every process of the job: they stop together at
/// a batch boundary, write the exception checkpoint and exit, and the launcher exits with 128 + the signal. Left to
/// mpirun (a signal sent to mpirun itself, a failed process), it becomes Open MPI's SIGCONT … SIGTERM … SIGKILL sequence,
/// whose waits mpirun sits out in full even when every process has ended, so the launcher keeps them short
/// (<see cref="KillTimeoutSeconds"/>).
/// </remarks>
internal static class MpiLauncher
{
    /// <summary>Whether this process was started by an MPI launcher (Open MPI's, or a PMI-based one).</summary>
    public static bool UnderLauncher => Variable("OMPI_COMM_WORLD_SIZE") is not null || Variable("PMI_SIZE") is not null;

    /// <summary>The number of processes of the job, as the launcher says; 1 without a launcher.</summary>
    public static int WorldSize => Integer("OMPI_COMM_WORLD_SIZE") ?? Integer("PMI_SIZE") ?? 1;

    /// <summary>The rank of this process in the job, as the launcher says; 0 without a launcher.</summary>
    public static int GlobalRank => Integer("OMPI_COMM_WORLD_RANK") ?? Integer("PMI_RANK") ?? 0;

    /// <summary>The rank of this process on its machine, as the launcher says.</summary>
    public static int? LocalRank => Integer("OMPI_COMM_WORLD_LOCAL_RANK") ?? Integer("MPI_LOCALRANKID") ?? Integer("PMI_LOCAL_RANK");

    /// <summary>The number of processes on this machine, as the launcher says.</summary>
    public static int? LocalSize => Integer("OMPI_COMM_WORLD_LOCAL_SIZE") ?? Integer("MPI_LOCALNRANKS") ?? Integer("PMI_LOCAL_SIZE");

    /// <summary>
    /// Open MPI's wait from SIGCONT to SIGTERM and from SIGTERM to SIGKILL when it ends a job. mpirun waits both in full,
    /// so a job it ends takes twice this, and a stop it began has this long to write its checkpoint; a stop passed on by
    /// the launcher has no such limit (the kill sequence starts only when the processes exit, after their checkpoint).
    /// </summary>
    internal const int KillTimeoutSeconds = 3;

    /// <summary>
    /// Runs this program's command line as <paramref name="processes"/> processes under mpirun; never returns. A job that
    /// fails (a process killed, out of memory, an exception) is started again up to <paramref name="maxRestarts"/> times,
    /// and its processes resume from the newest checkpoint it wrote (see <see cref="RestartAttempt"/>); a job stopped by a
    /// signal is not.
    /// </summary>
    public static void RelaunchAndExit(int processes, IReadOnlyList<string> mpirunArguments, int maxRestarts)
    {
        var mpirun = FindMpirun();
        // setsid --wait: mpirun in a new session (out of the terminal's reach), and its exit code is setsid's.
        var setsid = FindOnPath("setsid");
        var start = new ProcessStartInfo(setsid ?? mpirun) { UseShellExecute = false };
        if (setsid is not null)
        {
            start.ArgumentList.Add("--wait");
            start.ArgumentList.Add(mpirun);
        }
        start.ArgumentList.Add("-np");
        start.ArgumentList.Add(processes.ToString(CultureInfo.InvariantCulture));
        if (processes > Environment.ProcessorCount) start.ArgumentList.Add("--oversubscribe");
        if (GetEUid() == 0) start.ArgumentList.Add("--allow-run-as-root");
        start.ArgumentList.Add("--mca");
        start.ArgumentList.Add("odls_base_sigkill_timeout");
        start.ArgumentList.Add(KillTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in mpirunArguments) start.ArgumentList.Add(argument);
        foreach (var part in CommandLine()) start.ArgumentList.Add(part);

        // Where rank 0 leaves the exit code of a stop mpirun began (its own exit code is 1 whatever the cause).
        var stopReport = Path.Combine(Path.GetTempPath(), $"litgen-launch-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.stop");
        start.Environment[StopReportVariable] = stopReport;
        Process? job = null;
        int? received = null;
        void PassOn(PosixSignalContext context, int number)
        {
            context.Cancel = true;
            received ??= number;
            // A second signal is passed on too: the processes then end at once, as a second Ctrl+C does to one process.
            try
            {
                if (job is { } running)
                    foreach (var pid in Descendants(running.Id)) Kill(pid, number);
            }
            catch (InvalidOperationException)
            {
                // The job ended (and was let go) while the signal arrived: there is nothing left to stop.
            }
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => PassOn(context, 2));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => PassOn(context, 15));
        // Slurm's warning before a time limit: every process saves the requeue checkpoint together.
        using var requeue = OperatingSystem.IsLinux() ? PosixSignalRegistration.Create(Interruption.SigUsr1, context => PassOn(context, 10)) : null;
        for (int attempt = 0; ; attempt++)
        {
            File.Delete(stopReport);
            start.Environment[RestartVariable] = attempt.ToString(CultureInfo.InvariantCulture);
            int jobExitCode;
            using (job = Process.Start(start) ?? throw new InvalidOperationException("mpirun could not be started."))
            {
                job.WaitForExit();
                jobExitCode = job.ExitCode;
            }
            job = null;
            // After a stop passed on, the job's code is the stop's (the processes may report it as a failure to mpirun);
            // after a stop mpirun began, the one rank 0 reported.
            var stopped = received is int signal ? 128 + signal : ReadStopReport(stopReport);
            File.Delete(stopReport);
            int exitCode = stopped ?? jobExitCode;
            if (exitCode == 0 || stopped is not null || attempt >= maxRestarts) Environment.Exit(exitCode);
            Console.Error.WriteLine($"LitGen ddp: the job failed (exit code {exitCode}); restarting it from its newest checkpoint (restart {attempt + 1} of {maxRestarts}).");
        }
    }

    private const string RestartVariable = "LITGEN_RESTART";

    /// <summary>
    /// Which start of a self-launched job this process belongs to: 0 the first, N the Nth restart after a failure (when
    /// <see cref="TrainerOptions.MaxRestarts"/> allows); null when the job was not started by the self-launcher.
    /// </summary>
    public static int? RestartAttempt => Integer(RestartVariable);

    private const string StopReportVariable = "LITGEN_LAUNCH_STOP_REPORT";

    /// <summary>Called by rank 0 when a signal stopped its run: tells the self-launcher (if there is one) the exit code to give.</summary>
    internal static void ReportStop(int exitCode)
    {
        if (Variable(StopReportVariable) is not { Length: > 0 } path) return;
        try
        {
            File.WriteAllText(path, exitCode.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The launcher then exits with mpirun's code, which is still non-zero.
        }
    }

    private static int? ReadStopReport(string path)
        => File.Exists(path) && int.TryParse(File.ReadAllText(path), NumberStyles.None, CultureInfo.InvariantCulture, out int code) ? code : null;

    /// <summary>Every process below <paramref name="root"/> (mpirun's ranks, and any process they started), from <c>/proc</c>.</summary>
    private static List<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                int parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(pid);
            }
            catch (IOException)
            {
                // The process ended while the list was read.
            }
        }
        var result = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out int pid))
            foreach (var child in children.GetValueOrDefault(pid, []))
            {
                result.Add(child);
                pending.Enqueue(child);
            }
        return result;
    }

    /// <summary>The command that started this process: the host and the app's assembly for <c>dotnet app.dll</c>, else the app itself.</summary>
    private static List<string> CommandLine()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown, so it cannot be started again under mpirun.");
        var args = Environment.GetCommandLineArgs();
        bool viaDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var command = new List<string> { host };
        command.AddRange(viaDotnet ? args : args[1..]);
        return command;
    }

    private static string? FindOnPath(string program)
        => (Variable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);

    private static string FindMpirun()
    {
        if (FindOnPath("mpirun") is string mpirun) return mpirun;
        throw new MisconfigurationException(
            "Devices > 1 with strategy \"ddp\" starts one process per device under mpirun, which is not installed. " +
            "Install Open MPI (Debian/Ubuntu: apt install openmpi-bin), or train with Devices = 1.");
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name);

    private static int? Integer(string name) => int.TryParse(Variable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEUid();

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
