using System.Diagnostics;
using System.Runtime.InteropServices;
using LitGen.Distributed.Worker;
using LitGen.Runtime.Tests.Support;
using LitGen.Tests.Shared;

namespace LitGen.Runtime.Tests.Strategies;

/// <summary>
/// SIGINT and SIGTERM on a self-launched ddp job (plain <c>dotnet app.dll</c> with Devices = 2), sent where a terminal, a
/// container runtime or an operator sends them: every process stops at the same batch boundary, one resumable
/// on_exception.ckpt is written, and the job ends in seconds with 128 + the signal (it took 58.5 s and exited 1).
/// </summary>
public class DdpSignalTests
{
    public enum Target
    {
        /// <summary>The launcher's process group, as a terminal's Ctrl+C.</summary>
        Group,

        /// <summary>The launcher alone, as a container runtime stopping its main process.</summary>
        Launcher,

        /// <summary>mpirun, the launcher's child.</summary>
        Mpirun,

        /// <summary>The process of rank 1 alone: rank 0 learns of the signal only through the processes' agreement.</summary>
        Rank1,
    }

    [MpiTheory]
    [InlineData(2, Target.Group, 130)]
    [InlineData(15, Target.Launcher, 143)]
    [InlineData(15, Target.Mpirun, 143)]
    // mpirun turns any signal into the same SIGCONT…SIGTERM sequence, so its processes cannot tell SIGINT from SIGTERM.
    [InlineData(2, Target.Mpirun, 143)]
    // mpirun's SIGTERM reaches its processes one after the other; the one that has it tells the others which signal it was.
    [InlineData(15, Target.Rank1, 143)]
    public void A_signal_stops_every_process_at_one_batch_boundary_with_one_resumable_checkpoint_within_seconds(int signal, Target target, int expectedCode)
    {
        using var dir = new TempDir();
        using var job = MpiJob.StartPlainlyAsGroupLeader("interrupt", dir.Path);
        WaitForSteps(dir.Path, job, steps: 20);

        int pid = target switch
        {
            Target.Group => -job.Id,
            Target.Launcher => job.Id,
            Target.Rank1 => int.Parse(File.ReadAllText(Path.Combine(dir.Path, "pid-rank1"))),
            _ => Children(job.Id).Single(p => File.ReadAllText($"/proc/{p}/cmdline").Contains("mpirun", StringComparison.Ordinal)),
        };
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Kill(pid, signal));
        int code = job.WaitForExit(TimeSpan.FromSeconds(90));
        var elapsed = clock.Elapsed;

        Assert.True(code == expectedCode, $"exit code {code}, expected {expectedCode}:\n{job.Output}");
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"the job took {elapsed} to end after the signal");
        // Rank 0 speaks for the job, and names the signal even when another process received it (mpirun sends SIGTERM).
        var received = target == Target.Mpirun || signal == 15 ? "SIGTERM" : "SIGINT";
        Assert.Contains($"after OperationCanceledException: Training was interrupted by {received}", job.Output);
        var (rank0, rank1) = (RankReport.Read(dir.Path, 0), RankReport.Read(dir.Path, 1));
        Assert.Equal(rank0.GlobalStep, rank1.GlobalStep);
        Assert.Equal(LastStep(dir.Path, 0), LastStep(dir.Path, 1));
        Assert.Single(Directory.GetFiles(dir.Path, "*.ckpt"));
        using var checkpoint = Checkpoint.Load(Path.Combine(dir.Path, "on_exception.ckpt"));
        Assert.Equal(rank0.GlobalStep, checkpoint.GlobalStep);
        Assert.True(checkpoint.Loops.Count > 0, "the checkpoint holds the loop state a fit resumes from");
    }

    private static void WaitForSteps(string folder, MpiJob job, int steps)
    {
        var clock = Stopwatch.StartNew();
        var file = Path.Combine(folder, "steps-rank1");
        while (!File.Exists(file) || File.ReadAllLines(file).Length < steps)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException($"the job did not reach step {steps}:\n{job.Output}");
            Thread.Sleep(50);
        }
    }

    private static long LastStep(string folder, int rank) => long.Parse(File.ReadAllLines(Path.Combine(folder, $"steps-rank{rank}"))[^1].Split(' ')[1]);

    private static List<int> Children(int parent) => Directory.GetDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out int pid) ? pid : 0)
        .Where(pid => pid > 0 && ParentOf(pid) == parent).ToList();

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
