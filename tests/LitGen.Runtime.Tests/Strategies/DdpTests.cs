using System.Diagnostics;
using LitGen.Distributed.Worker;
using LitGen.Runtime.Tests.Support;
using LitGen.Tests.Shared;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Strategies;

/// <summary>
/// Data-parallel training on Open MPI: two real processes under mpirun (this machine has two cores), compared with one
/// process running the same code in this test process.
/// </summary>
public class DdpTests
{
    [MpiFact]
    public void Two_processes_with_batch_16_train_what_one_process_trains_with_batch_32() => AssertSameAsOneProcess();

    [MpiFact]
    public void Two_processes_with_a_shuffled_loader_train_what_one_process_trains() => AssertSameAsOneProcess("shuffle=true");

    // The two optimizer steps' gradient norms are about 1.23 and 0.79: a clip of 1.0 cuts the first and leaves the second,
    // so gradients summed instead of averaged over the processes (twice as large) would train other weights.
    [MpiFact]
    public void Two_processes_with_accumulation_and_clipping_train_what_one_process_trains() => AssertSameAsOneProcess("shuffle=true", "accumulate=2", "clip=1.0");

    [MpiFact]
    public void Two_processes_with_manual_optimization_train_what_one_process_trains() => AssertSameAsOneProcess("shuffle=true", "manual=true");

    [MpiFact]
    public void Gradients_are_exchanged_on_stepping_batches_only()
    {
        // Averaging is linear, so exchanging on accumulating batches too would give the same weights: only a count shows it.
        using var dir = new TempDir();
        MpiJob.Run(2, "train", dir.Path, "batch=4", "epochs=1", "accumulate=2");
        foreach (int rank in new[] { 0, 1 })
        {
            var report = RankReport.Read(dir.Path, rank);
            // 64 samples: 32 per process, 8 batches of 4, 4 optimizer steps.
            Assert.Equal(4, report.GlobalStep);
            Assert.Equal(4, report.GradientExchanges);
        }
    }

    [MpiFact]
    public void A_process_that_never_reaches_the_trainer_ends_the_job_after_StartupTimeout()
    {
        using var dir = new TempDir();
        using var job = MpiJob.Start(2, "straggler", dir.Path);
        // Rank 0's StartupTimeout is 2 s; the default of 2 minutes would outlast this wait.
        Assert.NotEqual(0, job.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("not every process of the job reached the trainer within 2 s", job.Output);
    }

    [MpiFact]
    public void Gradients_travel_in_buckets_of_BucketCapMb()
    {
        // 8 → 65536 → 1: a 2 MiB weight first, then 0.5 MiB of bias and weight. With 1 MiB buckets that is two exchanges
        // per step (the default 25 MiB holds all in one).
        using var dir = new TempDir();
        MpiJob.Run(2, "train", dir.Path, "batch=16", "epochs=1", "hidden=65536", "bucket-mb=1");
        foreach (int rank in new[] { 0, 1 })
            Assert.Equal(2, RankReport.Read(dir.Path, rank).GradientBuckets);
    }

    private static void AssertSameAsOneProcess(params string[] settingArgs)
    {
        using var dir = new TempDir();
        MpiJob.Run(2, ["train", dir.Path, "batch=16", "epochs=2", .. settingArgs]);

        var settings = RunSettings.Parse(settingArgs);
        manual_seed(1);
        var trainer = new Trainer(DdpModel.Options(settings, dir.Path, devices: 1));
        var model = new DdpModel(settings.Dropout, settings.Manual);
        trainer.Fit(model, DdpModel.Loader(32, settings.Shuffle));

        using var distributed = Checkpoint.Load(Path.Combine(dir.Path, "final.ckpt"));
        Assert.Equal(trainer.GlobalStep, distributed.GlobalStep);
        Assert.Equal(trainer.GlobalStep, RankReport.Read(dir.Path, 1).GlobalStep);
        foreach (var (name, expected) in model.state_dict())
        {
            double difference = (expected - distributed.StateDict[name]).abs().max().item<float>();
            Assert.True(difference <= 1e-5, $"{name}: max |Δw| = {difference}");
        }
        // The runs really trained: the weights moved away from their initial values.
        manual_seed(1);
        var initial = new DdpModel();
        Assert.Contains(initial.state_dict(), p => !p.Value.allclose(model.state_dict()[p.Key]));
    }

    [MpiFact]
    public void SyncDist_reduces_with_the_metric_reduction_and_rank_zero_writes_the_files()
    {
        using var dir = new TempDir();
        MpiJob.Run(2, "metrics", dir.Path);

        // Rank r logs r + 1 + batchIdx on its 2 batches per epoch: rank 0 logs 1, 2 and rank 1 logs 2, 3.
        var (rank0, rank1) = (RankReport.Read(dir.Path, 0), RankReport.Read(dir.Path, 1));
        foreach (var report in new[] { rank0, rank1 })
        {
            Assert.Equal(2.0, report.CallbackMetrics["epoch_mean"]);
            Assert.Equal(3.0, report.CallbackMetrics["epoch_max"]);
            Assert.Equal(8.0, report.CallbackMetrics["epoch_sum"]);
            Assert.Equal(2.5, report.CallbackMetrics["step_mean"]);
            Assert.Equal(5.0, report.CallbackMetrics["step_sum"]);
        }
        // Metric objects: counts summed over ranks (rank 0 all right, rank 1 all wrong), scores of unequal lengths gathered.
        var batches = new[] { (0, 0), (0, 1), (1, 0), (1, 1) }.Select(p => RankMetricsModel.AurocBatch(p.Item1, p.Item2)).ToList();
        double expectedAuroc = MetricFunctions.BinaryAUROC(cat(batches.Select(b => b.Scores).ToArray()), cat(batches.Select(b => b.Labels).ToArray())).item<float>();
        foreach (var report in new[] { rank0, rank1 })
        {
            Assert.Equal(0.5, report.CallbackMetrics["metric_acc"], 6);
            Assert.Equal(expectedAuroc, report.CallbackMetrics["metric_auroc"], 6);
        }
        Assert.Equal(1.5, rank0.CallbackMetrics["epoch_local"]);
        Assert.Equal(2.5, rank1.CallbackMetrics["epoch_local"]);
        Assert.Equal(rank0.LogDir, rank1.LogDir);

        // One run folder, one metrics.csv with the reduced step values, one checkpoint.
        var csv = Directory.GetFiles(dir.Path, "metrics.csv", SearchOption.AllDirectories);
        Assert.Single(csv);
        var lines = File.ReadAllLines(csv[0]);
        var header = lines[0].Split(',');
        var stepMeans = lines.Skip(1).Select(l => l.Split(',')[Array.IndexOf(header, "step_mean")]).Where(v => v.Length > 0).ToList();
        Assert.Equal(["1.5", "2.5", "1.5", "2.5"], stepMeans);
        Assert.Single(Directory.GetDirectories(Path.Combine(dir.Path, "lightning_logs")));
        Assert.Single(Directory.GetFiles(dir.Path, "*.ckpt", SearchOption.AllDirectories));
        Assert.Single(Directory.GetFiles(dir.Path, "events.out.tfevents.*", SearchOption.AllDirectories));
    }

    [MpiFact]
    public void Early_stopping_stops_every_process_at_the_same_epoch()
    {
        using var dir = new TempDir();
        MpiJob.Run(2, "earlystop", dir.Path);
        // Rank 1's value worsens after epoch 0 (patience 1: it stops after epoch 1); rank 0's keeps improving.
        Assert.Equal(2, RankReport.Read(dir.Path, 0).CurrentEpoch);
        Assert.Equal(2, RankReport.Read(dir.Path, 1).CurrentEpoch);
    }

    [MpiFact]
    public void A_resumed_ddp_run_equals_the_uninterrupted_ddp_run()
    {
        using var dir = new TempDir();
        var (whole, resumed) = (Path.Combine(dir.Path, "whole"), Path.Combine(dir.Path, "resumed"));
        string[] settings = ["batch=4", "epochs=2", "shuffle=true", "dropout=true"];
        MpiJob.Run(2, ["train", whole, "ckpt-every=3", .. settings]);
        // Step 9 is one batch into the second epoch: sampler position, every rank's dropout generator and the loops restore.
        var midEpoch = Path.Combine(whole, "checkpoints", "epoch=1-step=9.ckpt");
        MpiJob.Run(2, ["train", resumed, $"resume={midEpoch}", .. settings]);

        AssertSameFinalWeights(whole, resumed, steps: 16);
    }

    [MpiFact]
    public void MaxRestarts_restarts_a_job_whose_process_was_killed_from_its_newest_checkpoint_to_the_uninterrupted_weights()
    {
        using var dir = new TempDir();
        var (whole, restarted) = (Path.Combine(dir.Path, "whole"), Path.Combine(dir.Path, "restarted"));
        string[] settings = ["batch=4", "epochs=2", "shuffle=true", "dropout=true", "ckpt-every=3"];
        MpiJob.Run(2, ["train", whole, .. settings]);
        // Self-launched; rank 1 is killed after step 11, two steps past the newest checkpoint (step 9, mid-epoch).
        using (var job = MpiJob.StartPlainly(["train", restarted, "devices=2", "max-restarts=2", "die-at=11", .. settings]))
        {
            Assert.True(job.WaitForExit(TimeSpan.FromSeconds(240)) == 0, job.Output);
            Assert.Contains("restarting it from its newest checkpoint (restart 1 of 2)", job.Output);
            Assert.DoesNotContain("restart 2 of 2", job.Output);
            Assert.Contains($"Restart 1 of the job after a failure: resuming from {Path.Combine(restarted, "checkpoints", "epoch=1-step=9.ckpt")}", job.Output);
        }

        AssertSameFinalWeights(whole, restarted, steps: 16);
    }

    /// <summary>The final.ckpt of <paramref name="run"/> reached <paramref name="steps"/> with the weights of <paramref name="uninterrupted"/>, bit for bit.</summary>
    private static void AssertSameFinalWeights(string uninterrupted, string run, long steps)
    {
        using var expected = Checkpoint.Load(Path.Combine(uninterrupted, "final.ckpt"));
        using var actual = Checkpoint.Load(Path.Combine(run, "final.ckpt"));
        Assert.Equal(steps, actual.GlobalStep);
        foreach (var (name, value) in expected.StateDict)
            Assert.True(value.equal(actual.StateDict[name]).all().item<bool>(), $"{name} differs from the uninterrupted run");
    }

    [MpiFact]
    public void A_job_that_fails_every_time_is_restarted_MaxRestarts_times_and_then_fails()
    {
        using var dir = new TempDir();
        using var job = MpiJob.StartPlainly("train", dir.Path, "devices=2", "max-restarts=1", "die-at=2", "die-always=true", "ckpt-every=1", "epochs=1");
        Assert.NotEqual(0, job.WaitForExit(TimeSpan.FromSeconds(240)));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(job.Output, "restarting it from its newest checkpoint"));
        Assert.Contains("(restart 1 of 1)", job.Output);
    }

    [MpiFact]
    public void MaxRestarts_under_another_launcher_is_refused_naming_what_to_use_instead()
    {
        using var dir = new TempDir();
        using var job = MpiJob.Start(2, "train", dir.Path, "max-restarts=1");
        Assert.NotEqual(0, job.WaitForExit(TimeSpan.FromSeconds(120)));
        Assert.Contains("this job was started by another launcher", job.Output);
    }

    [MpiFact]
    public void A_rank_that_throws_ends_the_job_with_its_error()
    {
        using var dir = new TempDir();
        using var job = MpiJob.Start(2, "throw", dir.Path);
        var clock = Stopwatch.StartNew();
        int code = job.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Contains("[rank 1]", job.Output);
        Assert.Contains("rank 1 found a corrupt batch", job.Output);
    }

    [MpiFact]
    public void A_rank_killed_with_SIGKILL_ends_the_job()
    {
        using var dir = new TempDir();
        using var job = MpiJob.Start(2, "slow", dir.Path);
        job.WaitForOutput("step 3", TimeSpan.FromSeconds(60));
        var pid = int.Parse(File.ReadAllText(Path.Combine(dir.Path, "pid-rank1")));
        var clock = Stopwatch.StartNew();
        using (var rank1 = Process.GetProcessById(pid)) rank1.Kill();
        int code = job.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [MpiFact]
    public void A_dataloader_the_strategy_cannot_split_is_refused_naming_the_fixes()
    {
        using var dir = new TempDir();
        using var job = MpiJob.Start(2, "list", dir.Path);
        Assert.NotEqual(0, job.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("cannot split a List", job.Output);
        Assert.Contains("UseDistributedSampler = false", job.Output);
    }

    [MpiFact]
    public void Started_without_a_launcher_the_trainer_starts_the_processes_itself_with_the_given_mpirun_arguments()
    {
        using var dir = new TempDir();
        // MpirunArguments = ["-x", "LITGEN_EXPORTED=by-mpirun"]: only mpirun's -x can put the variable into the ranks.
        using var job = MpiJob.StartPlainly("train", dir.Path, "devices=2", $"export={RankReport.ExportedVariable}=by-mpirun");
        Assert.True(job.WaitForExit(TimeSpan.FromSeconds(180)) == 0, job.Output);
        Assert.Equal(2, RankReport.Read(dir.Path, 0).WorldSize);
        Assert.Equal(1, RankReport.Read(dir.Path, 1).Rank);
        Assert.Equal(["by-mpirun", "by-mpirun"], new[] { 0, 1 }.Select(rank => RankReport.Read(dir.Path, rank).Exported));
        Assert.True(File.Exists(Path.Combine(dir.Path, "final.ckpt")));
    }
}
