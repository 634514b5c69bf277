using System.Text.Json;
using LitGen.Distributed.Worker;
using LitGen.Runtime.Tests.Support;
using LitGen.Tests.Shared;

namespace LitGen.Runtime.Tests.Strategies;

/// <summary>
/// ddp that is exact in evaluation and fails loudly instead of hanging: unequal evaluation shards, collective timeouts,
/// the collective check, and step values logged with syncDist reduced in one exchange.
/// </summary>
public class DdpCollectiveTests
{
    /// <summary>
    /// 1,001 samples over two processes (501 and 500, so rank 1 has one batch fewer): validation, test and prediction see
    /// every sample once, and the batch-size-weighted mean, the sum, the max, a step value and the metric objects (an
    /// accuracy, an AUROC over gathered scores) equal one process's. With the sampler's padding the sum would say 1,002 and
    /// the others drift. With one sample, rank 1 has no batch at all and still takes part in every reduction.
    /// </summary>
    [MpiTheory]
    [InlineData(EvaluationModel.Samples, 501L, 500L)]
    [InlineData(1, 1L, 0L)]
    public void Evaluation_under_ddp_sees_every_sample_once_and_equals_one_process(int samples, long onRank0, long onRank1)
    {
        using var dir = new TempDir();
        MpiJob.Run(2, "evaluate", dir.Path, $"samples={samples}");
        var expected = EvaluationModel.Run(new TrainerOptions
        {
            DefaultRootDir = dir.Path, Logger = false, EnableProgressBar = false, EnableCheckpointing = false, EnableModelSummary = false,
        }, samples);
        Assert.Equal(samples, expected.Validated["samples"]);
        var ranks = new[] { EvaluationResults.Read(dir.Path, 0), EvaluationResults.Read(dir.Path, 1) };
        Assert.Equal([onRank0, onRank1], ranks.Select(r => r.Predicted));
        foreach (var rank in ranks)
        {
            foreach (var (actual, reference) in new[] { (rank.Validated, expected.Validated), (rank.Tested, expected.Tested) })
            {
                Assert.Equal(reference.Keys.Order(), actual.Keys.Order());
                foreach (var (name, value) in reference)
                    Assert.True(Math.Abs(actual[name] - value) <= 1e-6 * Math.Max(1, Math.Abs(value)), $"rank {rank.Rank} {name}: {actual[name]}, one process: {value}");
            }
        }
    }

    /// <summary>
    /// A Log(..., syncDist: true) that only rank 0 makes (inside `if (GlobalRank == 0)`): rank 0's exchange meets rank 1's
    /// gradient exchange, and the job ends at once (well within the 10 s timeout) with a message that names the log call,
    /// the hook and the step, instead of hanging.
    /// </summary>
    [MpiFact]
    public void A_synced_Log_on_one_process_ends_the_job_with_a_message_naming_it()
        => Assert.Contains("the step values of Log(\"rank0_only\") (syncDist) in TrainingStep (fit, epoch 0, global step 0)", FailedDivergentJob("mode=skip"));

    /// <summary>Each process logs a name of its own with syncDist: every process fails with both lists (the exchange checks names before values).</summary>
    [MpiFact]
    public void Processes_that_log_different_synced_names_fail_with_both_lists()
        => Assert.Contains("rank 0: the step values of Log(\"rank0_name\") (syncDist); rank 1: the step values of Log(\"rank1_name\") (syncDist)",
            FailedDivergentJob("mode=rename"));

    /// <summary>
    /// Rank 1 stalls for a minute in a training step: rank 0, waiting in the gradient exchange, gives up after the 10 s
    /// CollectiveTimeout, says where it waited and ends the job (which would otherwise have finished successfully a
    /// minute later).
    /// </summary>
    [MpiFact]
    public void A_process_waiting_longer_than_CollectiveTimeout_reports_where_and_ends_the_job()
        => Assert.Contains("[rank 0] LitGen ddp: the allreduce of the gradient exchange (bucket 1 of 1, 2 parameters) in TrainingStep (fit, epoch 0, global step 1) waited 10 s",
            FailedDivergentJob("mode=stall"));

    /// <summary>With CheckCollectives, the first divergent call is reported by both processes with both sides.</summary>
    [MpiFact]
    public void CheckCollectives_reports_the_first_divergent_call_with_every_side()
    {
        var output = FailedDivergentJob("mode=skip", "check=true");
        Assert.Contains("different collective calls (DdpStrategy.CheckCollectives)", output);
        Assert.Contains("rank 0: allgather of 24 × 1 bytes for the step values of Log(\"rank0_only\") (syncDist) in TrainingStep (fit, epoch 0, global step 0)", output);
        Assert.Contains("rank 1: allreduce of 11 × 4 bytes for the gradient exchange (bucket 1 of 1, 2 parameters)", output);
    }

    /// <summary>
    /// The output of a job whose ranks part ways (the worker's <c>divergent</c> scenario, 10 s collective timeout), which
    /// must fail within 45 s: a stalled rank would let it succeed after a minute, a hang would run on.
    /// </summary>
    private static string FailedDivergentJob(params string[] settings)
    {
        using var dir = new TempDir();
        using var job = MpiJob.Start(2, ["divergent", dir.Path, .. settings]);
        Assert.NotEqual(0, job.WaitForExit(TimeSpan.FromSeconds(45)));
        return job.Output;
    }

    /// <summary>ReduceBooleanDecision: "any" is true when one process says so, "all" only when every one does; every process gets the same answer.</summary>
    [MpiFact]
    public void ReduceBooleanDecision_takes_any_or_all_of_the_votes()
    {
        using var dir = new TempDir();
        MpiJob.Run(2, "decisions", dir.Path);
        var expected = new Dictionary<string, bool> { ["any_of_one"] = true, ["all_of_one"] = false, ["any_of_none"] = false, ["all_of_both"] = true };
        foreach (int rank in new[] { 0, 1 })
            Assert.Equal(expected, JsonSerializer.Deserialize<Dictionary<string, bool>>(File.ReadAllText(Path.Combine(dir.Path, $"decisions-rank{rank}.json")))!);
    }

    /// <summary>
    /// Ten step values logged with syncDist in a training step (rank 1 logs them in the reverse order) cost two exchanges
    /// (names, then values), not ten.
    /// </summary>
    [MpiFact]
    public void The_synced_step_values_of_a_hook_travel_in_one_exchange()
    {
        using var dir = new TempDir();
        MpiJob.Run(2, "synccount", dir.Path);
        var counts = JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(Path.Combine(dir.Path, "synccount.json")))!;
        Assert.Equal(2, counts["steps"]);
        Assert.Equal(2 * counts["steps"], counts["values10"] - counts["values0"]);
    }
}
