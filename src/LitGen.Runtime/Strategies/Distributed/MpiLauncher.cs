using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace LitGen;

/// <summary>
/// Where the processes of a ddp run come from. Under <c>mpirun</c> (or another MPI launcher) the world is in the
/// environment. Started plainly with more than one device, the process starts the same command line under
/// <c>mpirun</c>, waits for the job and exits with its exit code, as Lightning's subprocess launcher re-runs the script.
/// </summary>
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

    /// <summary>Runs this program's command line as <paramref name="processes"/> processes under mpirun; never returns.</summary>
    public static void RelaunchAndExit(int processes, IReadOnlyList<string> mpirunArguments)
    {
        var start = new ProcessStartInfo(FindMpirun()) { UseShellExecute = false };
        start.ArgumentList.Add("-np");
        start.ArgumentList.Add(processes.ToString(CultureInfo.InvariantCulture));
        if (processes > Environment.ProcessorCount) start.ArgumentList.Add("--oversubscribe");
        if (GetEUid() == 0) start.ArgumentList.Add("--allow-run-as-root");
        // A graceful stop (exception checkpoint, finalized logs) needs longer than Open MPI's 1 s from SIGTERM to SIGKILL.
        start.ArgumentList.Add("--mca");
        start.ArgumentList.Add("odls_base_sigkill_timeout");
        start.ArgumentList.Add("30");
        foreach (var argument in mpirunArguments) start.ArgumentList.Add(argument);
        foreach (var part in CommandLine()) start.ArgumentList.Add(part);

        using var job = Process.Start(start) ?? throw new InvalidOperationException("mpirun could not be started.");
        // The launcher stays alive to report the job's exit code; a terminal's Ctrl+C reaches mpirun and the ranks directly,
        // a SIGTERM sent to this process alone is passed on.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Kill(job.Id, 15);
        });
        job.WaitForExit();
        Environment.Exit(job.ExitCode);
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

    private static string FindMpirun()
    {
        foreach (var directory in (Variable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "mpirun");
            if (File.Exists(candidate)) return candidate;
        }
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
