using System.Diagnostics;
using System.Security.Cryptography;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Reliability;

/// <summary>An uninterrupted run of the worker: what every interrupted-and-resumed run must end up equal to.</summary>
public sealed class UninterruptedWorkerRun : IDisposable
{
    public const int Epochs = 2;
    public const int StepsPerEpoch = 16;
    private readonly TempDir dir = new();

    public UninterruptedWorkerRun()
    {
        using var worker = WorkerProcess.Fit(dir.Path, Epochs);
        Assert.True(worker.WaitForExit() == 0, worker.Transcript);
        using var last = Checkpoint.Load(Path.Combine(dir.Path, "checkpoints", "last.ckpt"));
        FinalWeights = last.StateDict.ToDictionary(p => p.Key, p => p.Value.clone());
        HparamsYaml = File.ReadAllText(Path.Combine(dir.Path, "logs", "version_0", "hparams.yaml"));
    }

    public IReadOnlyDictionary<string, Tensor> FinalWeights { get; }

    public string HparamsYaml { get; }

    public void Dispose() => dir.Dispose();
}

/// <summary>
/// Fault injection on real processes: a training run is killed (SIGKILL) or interrupted (SIGINT, SIGTERM) at many points;
/// every file it leaves must be whole or absent, resuming from what is left must reach the uninterrupted result, and
/// nothing outside the run's folders may change.
/// </summary>
public sealed class ProcessFaultTests(UninterruptedWorkerRun reference) : IClassFixture<UninterruptedWorkerRun>
{
    public enum KillPoint { AfterStep, DuringCheckpointWrite }

    [Theory]
    [InlineData(KillPoint.AfterStep, 1)]
    [InlineData(KillPoint.AfterStep, 6)]
    [InlineData(KillPoint.AfterStep, 16)]
    [InlineData(KillPoint.AfterStep, 17)]
    [InlineData(KillPoint.AfterStep, 29)]
    [InlineData(KillPoint.DuringCheckpointWrite, 2)]
    [InlineData(KillPoint.DuringCheckpointWrite, 12)]
    [InlineData(KillPoint.DuringCheckpointWrite, 20)]
    public void A_killed_run_leaves_whole_files_only_and_resumes_to_the_uninterrupted_result(KillPoint point, int step)
    {
        // A kill aimed at a checkpoint write can land just after the write's rename; every attempt is checked in full,
        // and one of a few must catch a write in progress.
        bool caughtMidWrite = false;
        for (int attempt = 0; attempt < 5 && !caughtMidWrite; attempt++)
        {
            caughtMidWrite = KillAndResume(point, step);
            if (point == KillPoint.AfterStep) return;
        }
        Assert.True(caughtMidWrite, "no kill landed while a checkpoint was being written");
    }

    /// <summary>One kill and resume; returns whether the kill left a half-written (temporary) file behind.</summary>
    private bool KillAndResume(KillPoint point, int step)
    {
        using var dir = new TempDir();
        var (root, untouched) = NewRunBeside(dir.Path);
        int killedPid;
        using (var worker = WorkerProcess.Fit(root, UninterruptedWorkerRun.Epochs))
        {
            killedPid = worker.ProcessId;
            worker.WaitForStep(step);
            if (point == KillPoint.DuringCheckpointWrite) WaitForTemporaryFile(Path.Combine(root, "checkpoints"), worker);
            worker.KillHard();
        }

        var abandoned = AssertOnlyWholeFiles(root, killedPid);

        var last = Path.Combine(root, "checkpoints", "last.ckpt");
        using (var resumed = File.Exists(last) ? WorkerProcess.Resume(root, UninterruptedWorkerRun.Epochs, last) : WorkerProcess.Fit(root, UninterruptedWorkerRun.Epochs))
            Assert.True(resumed.WaitForExit() == 0, resumed.Transcript);

        var leftovers = Directory.GetFiles(root, ".*.tmp", SearchOption.AllDirectories);
        Assert.True(leftovers.Length == 0, $"killed {killedPid}, left behind: " + string.Join(", ", leftovers));
        AssertOnlyWholeFiles(root, killedPid: null);
        AssertEqualsUninterrupted(last);
        untouched.AssertUnchanged();
        return abandoned.Count > 0;
    }

    [Theory]
    [InlineData(WorkerProcess.SigInt)]
    [InlineData(WorkerProcess.SigTerm)]
    public void An_interrupt_stops_gracefully_with_an_exception_checkpoint_and_flushed_logs(int signal)
    {
        using var dir = new TempDir();
        var (root, untouched) = NewRunBeside(dir.Path);
        using (var worker = WorkerProcess.Fit(root, epochs: 1000))
        {
            worker.WaitForStep(5);
            worker.Signal(signal);
            Assert.True(worker.WaitForExit() == 130, worker.Transcript);
            Assert.Contains("interrupted", worker.Transcript);
            Assert.Contains(signal == WorkerProcess.SigInt ? "SIGINT" : "SIGTERM", worker.Transcript);
        }

        AssertOnlyWholeFiles(root, killedPid: null);
        var onException = Path.Combine(root, "checkpoints", "on_exception.ckpt");
        long stoppedAt;
        using (var checkpoint = Checkpoint.Load(onException)) stoppedAt = checkpoint.GlobalStep;
        Assert.InRange(stoppedAt, 5, 999 * UninterruptedWorkerRun.StepsPerEpoch);
        // Rows are flushed as they are logged, not only at epoch end: every step up to the interrupt is there.
        var rows = File.ReadAllLines(Path.Combine(root, "logs", "version_0", "metrics.csv")).Skip(1).Select(r => long.Parse(r.Split(',')[0])).ToList();
        Assert.Equal(Enumerable.Range(0, (int)stoppedAt).Select(s => (long)s), rows);
        Assert.Equal((int)stoppedAt + 1, TensorBoardReader.ReadAll(Directory.GetFiles(Path.Combine(root, "logs", "version_0"), "events.out.tfevents.*").Single()).Scalars.Count(s => s.Tag == "train_loss") + 1);

        if (stoppedAt < UninterruptedWorkerRun.Epochs * UninterruptedWorkerRun.StepsPerEpoch)
        {
            using (var resumed = WorkerProcess.Resume(root, UninterruptedWorkerRun.Epochs, onException))
                Assert.True(resumed.WaitForExit() == 0, resumed.Transcript);
            AssertEqualsUninterrupted(Path.Combine(root, "checkpoints", "last.ckpt"));
        }
        untouched.AssertUnchanged();
    }

    [Fact]
    public void SIGUSR1_saves_a_requeue_checkpoint_requeues_the_Slurm_job_and_ckptPath_last_resumes_it_to_the_uninterrupted_result()
    {
        using var dir = new TempDir();
        var (root, untouched) = NewRunBeside(dir.Path);
        // A stand-in for Slurm's scontrol that records how it was called.
        using var slurmDir = new TempDir();
        var bin = Directory.CreateDirectory(Path.Combine(slurmDir.Path, "bin")).FullName;
        var calls = Path.Combine(slurmDir.Path, "scontrol.calls");
        File.WriteAllText(Path.Combine(bin, "scontrol"), $"#!/bin/sh\necho \"$@\" >> '{calls}'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(bin, "scontrol"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var slurm = new Dictionary<string, string> { ["SLURM_JOB_ID"] = "4242", ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH") };
        using (var worker = WorkerProcess.Fit(root, epochs: 1000, slurm))
        {
            worker.WaitForStep(5);
            worker.Signal(WorkerProcess.SigUsr1);
            Assert.True(worker.WaitForExit() == 130, worker.Transcript);
            Assert.Contains("interrupted by SIGUSR1", worker.Transcript);
            Assert.Contains("SIGUSR1: saved", worker.Transcript);
        }

        Assert.Equal("requeue 4242", File.ReadAllText(calls).Trim());
        var requeue = Assert.Single(Directory.GetFiles(root, "hpc_ckpt_*.ckpt"));
        Assert.Equal("hpc_ckpt_1.ckpt", Path.GetFileName(requeue));
        using (var checkpoint = Checkpoint.Load(requeue))
        using (var onException = Checkpoint.Load(Path.Combine(root, "checkpoints", "on_exception.ckpt")))
            Assert.Equal(onException.GlobalStep, checkpoint.GlobalStep);
        AssertOnlyWholeFiles(root, killedPid: null);

        // The requeued job starts again with ckptPath: "last", and the requeue checkpoint is one of the files "last" finds:
        // with the callbacks' own last files gone, it is the one resumed from.
        long stoppedAt;
        using (var checkpoint = Checkpoint.Load(requeue)) stoppedAt = checkpoint.GlobalStep;
        File.Delete(Path.Combine(root, "checkpoints", "on_exception.ckpt"));
        File.Delete(Path.Combine(root, "checkpoints", "last.ckpt"));
        using (var resumed = WorkerProcess.Resume(root, UninterruptedWorkerRun.Epochs, "last"))
        {
            Assert.True(resumed.WaitForExit() == 0, resumed.Transcript);
            Assert.StartsWith($"step {stoppedAt + 1}\n", resumed.Transcript[resumed.Transcript.IndexOf("step ", StringComparison.Ordinal)..]);
        }
        AssertEqualsUninterrupted(Path.Combine(root, "checkpoints", "last.ckpt"));
        untouched.AssertUnchanged();
    }

    private void AssertEqualsUninterrupted(string lastCheckpoint)
    {
        using var last = Checkpoint.Load(lastCheckpoint);
        Assert.Equal(UninterruptedWorkerRun.Epochs * UninterruptedWorkerRun.StepsPerEpoch, last.GlobalStep);
        Assert.Equal(reference.FinalWeights.Keys.Order(), last.StateDict.Keys.Order());
        foreach (var (name, expected) in reference.FinalWeights)
        {
            var actual = last.StateDict[name];
            Assert.True(expected.shape.SequenceEqual(actual.shape) && expected.eq(actual).all().item<bool>(), $"{name} differs from the uninterrupted run");
        }
    }

    /// <summary>
    /// Every file under the run is whole: checkpoints load (checksums and all), CSV rows are complete, event records pass
    /// their CRCs, hparams.yaml is what a finished run writes. Returns the temporary files of the killed writer.
    /// </summary>
    private List<string> AssertOnlyWholeFiles(string root, int? killedPid)
    {
        var abandoned = new List<string>();
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                Assert.True(killedPid is not null && name.Contains($".{killedPid}-"), $"unexpected temporary file {file}");
                abandoned.Add(file);
            }
            else if (name.EndsWith(".ckpt", StringComparison.Ordinal)) Checkpoint.Load(file).Dispose();
            else if (name == "metrics.csv") AssertWholeCsv(file);
            else if (name.StartsWith("events.out.tfevents.", StringComparison.Ordinal)) TensorBoardReader.ReadAll(file);
            else if (name == "hparams.yaml") Assert.Equal(reference.HparamsYaml, File.ReadAllText(file));
            else if (name is "metrics.html" or "index.html") Assert.EndsWith("</html>", File.ReadAllText(file).TrimEnd());
            else if (name == ".litgen-version") Assert.Equal(0, new FileInfo(file).Length);
            else Assert.Fail($"unexpected file {file}");
        }
        return abandoned;
    }

    private static void AssertWholeCsv(string path)
    {
        var text = File.ReadAllText(path);
        Assert.EndsWith("\n", text);
        var lines = text.TrimEnd('\n').Split('\n');
        int columns = lines[0].Split(',').Length;
        Assert.All(lines.Skip(1), line => Assert.Equal(columns, line.Split(',').Length));
    }

    private static void WaitForTemporaryFile(string folder, WorkerProcess worker)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !worker.HasExited)
            if (Directory.Exists(folder) && Directory.EnumerateFiles(folder, ".*.tmp").Any()) return;
        throw new TimeoutException($"No checkpoint write was seen in progress (exited: {worker.HasExited}):\n{worker.Transcript}");
    }

    /// <summary>The run's root, beside a folder of another run's files (a lookalike checkpoint among them) that must survive.</summary>
    private static (string Root, Snapshot Untouched) NewRunBeside(string parent)
    {
        var other = Path.Combine(parent, "other-run");
        Directory.CreateDirectory(Path.Combine(other, "checkpoints"));
        File.WriteAllText(Path.Combine(other, "checkpoints", "epoch=0-step=1.ckpt"), "another run's checkpoint");
        File.WriteAllText(Path.Combine(other, "checkpoints", ".last.ckpt.1-0123456789abcdef0123456789abcdef.tmp"), "not ours to clean");
        File.WriteAllText(Path.Combine(parent, "notes.txt"), "keep me");
        return (Path.Combine(parent, "run"), new Snapshot(parent, exclude: Path.Combine(parent, "run")));
    }

    /// <summary>Hashes of every file under a folder (except the run's own), compared after the faults.</summary>
    private sealed class Snapshot
    {
        private readonly string folder;
        private readonly string exclude;
        private readonly Dictionary<string, string> hashes;

        public Snapshot(string folder, string exclude)
        {
            (this.folder, this.exclude) = (folder, exclude);
            hashes = Take();
        }

        public void AssertUnchanged() => Assert.Equal(hashes, Take());

        private Dictionary<string, string> Take() => Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(exclude + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
    }

    [Fact]
    public void Runs_started_at_the_same_moment_in_one_root_each_get_a_version_folder_of_their_own()
    {
        using var dir = new TempDir();
        var root = Path.Combine(dir.Path, "run");
        var go = Path.Combine(dir.Path, "go");
        var workers = Enumerable.Range(0, 4).Select(_ => WorkerProcess.Claim(root, go)).ToList();
        try
        {
            foreach (var worker in workers) worker.WaitForLine("ready");
            File.WriteAllText(go, "");
            var folders = workers.Select(w => w.WaitForLine("logdir ")).ToList();
            Assert.Equal(4, folders.Distinct().Count());
            Assert.Equal(["version_0", "version_1", "version_2", "version_3"], folders.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var worker in workers) worker.Dispose();
        }
    }

    [Theory]
    [InlineData(WorkerProcess.SigInt, 130)]
    [InlineData(WorkerProcess.SigTerm, 143)]
    [InlineData(WorkerProcess.SigUsr1, 138)]
    public void An_interrupted_LitCli_fit_says_so_exits_as_a_shell_expects_and_kept_its_config(int signal, int exitCode)
    {
        using var dir = new TempDir();
        using var worker = WorkerProcess.Cli(dir.Path);
        worker.WaitForStep(3);
        worker.Signal(signal);
        Assert.True(worker.WaitForExit() == exitCode, worker.Transcript);
        Assert.Contains("interrupted: Training was interrupted by " + signal switch { WorkerProcess.SigInt => "SIGINT", WorkerProcess.SigTerm => "SIGTERM", _ => "SIGUSR1" },
            worker.Transcript);
        var config = Assert.Single(Directory.GetFiles(dir.Path, "config.json", SearchOption.AllDirectories));
        Assert.Equal(10000, (int?)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!["trainer"]!["max-epochs"]);
    }

    [Fact]
    public void A_host_that_owns_the_signals_stops_the_run_through_its_token()
    {
        using var dir = new TempDir();
        using var worker = WorkerProcess.Host(dir.Path);
        worker.WaitForStep(3);
        worker.Signal(WorkerProcess.SigTerm);
        Assert.True(worker.WaitForExit() == 0, worker.Transcript);
        // Only the host's handler ran: the trainer saw a cancellation of the host's token, not a signal of its own.
        Assert.Contains("host stopping", worker.Transcript);
        Assert.Contains("stopped by the host: Training was cancelled", worker.Transcript);
    }
}
