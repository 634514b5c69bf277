using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace LitGen;

/// <summary>
/// What a run does on SIGUSR1, Slurm's warning before a time limit (<c>#SBATCH --signal=USR1@90</c>), as Lightning's Slurm
/// support does: after the stop at a batch boundary it saves <c>hpc_ckpt_N.ckpt</c> (N one more than the highest there) in
/// the root folder, and under Slurm (<c>SLURM_JOB_ID</c>) puts the job back in the queue with <c>scontrol requeue</c>.
/// The next run resumes with <c>ckptPath: "last"</c>, which includes these files.
/// </summary>
internal static partial class Requeue
{
    public static void SaveAndRequeue(Trainer trainer)
    {
        var existing = Checkpoints(trainer.DefaultRootDir).Select(Number).DefaultIfEmpty(0).Max();
        var path = Path.Combine(trainer.DefaultRootDir, $"hpc_ckpt_{(existing + 1).ToString(CultureInfo.InvariantCulture)}.ckpt");
        Directory.CreateDirectory(trainer.DefaultRootDir);
        trainer.SaveCheckpoint(path);
        TrainerLog.RequeueCheckpointSaved(trainer.Log, path);
        if (!trainer.Strategy.IsGlobalZero || Environment.GetEnvironmentVariable("SLURM_JOB_ID") is not { Length: > 0 } jobId) return;
        // An array task is requeued by its own id.
        if (Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID") is { Length: > 0 } arrayJob && Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID") is { Length: > 0 } task)
            jobId = $"{arrayJob}_{task}";
        var (exitCode, output) = Run("scontrol", "requeue", jobId);
        if (exitCode == 0) TrainerLog.JobRequeued(trainer.Log, jobId);
        else TrainerLog.RequeueFailed(trainer.Log, jobId, output);
    }

    /// <summary>The requeue checkpoints in <paramref name="root"/>.</summary>
    public static IEnumerable<string> Checkpoints(string root)
        => Directory.Exists(root) ? Directory.EnumerateFiles(root, "hpc_ckpt_*.ckpt").Where(f => FileName().IsMatch(Path.GetFileName(f))) : [];

    private static int Number(string path) => int.Parse(FileName().Match(Path.GetFileName(path)).Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^hpc_ckpt_(\d{1,9})\.ckpt$")]
    private static partial Regex FileName();

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{program} did not answer within 30 s");
            }
            return (process.ExitCode, (output.Result + errors.Result).Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{program} could not be started: {e.Message}");
        }
    }
}
