using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// What a Fit costs beyond its steps (setup, folders, loggers, checkpoints, teardown): a Fit of N steps against the hand
/// loop doing the same N steps, in alternation, for a short fit (10 steps, where the fixed cost dominates) and a longer
/// one (300). Two trainers: the minimal one (no loggers, checkpoints, bar or summary) and the default one (CSV and
/// TensorBoard loggers, a checkpoint at the end, the model summary; no progress bar, to keep the output readable).
/// </summary>
public static class FixedCost
{
    public static void Run(string[] args)
    {
        int rounds = BenchArgs.Option(args, "--rounds", 40);
        torch.set_num_threads(2);
        var root = Path.Combine(Path.GetTempPath(), "litgen-fixed-cost-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            foreach (int steps in new[] { 10, 300 })
            {
                var batches = Batches.Create(steps, [64, 784]);
                Measure(steps, steps == 10 ? rounds : Math.Max(5, rounds / 4), batches, root);
            }
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static void Measure(int steps, int rounds, List<(Tensor X, Tensor Y)> batches, string root)
    {
        var runs = new (string Label, Action Run)[]
        {
            ("hand loop", () =>
            {
                using var model = new MlpModule();
                TrainerBenchmarks.HandLoop(model.Net, model.parameters(), batches);
            }),
            ("Fit, minimal", () => Fit(batches, new TrainerOptions
            {
                MaxEpochs = 1, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false, DefaultRootDir = root,
            })),
            ("Fit, defaults", () => Fit(batches, new TrainerOptions { MaxEpochs = 1, EnableProgressBar = false, DefaultRootDir = root })),
        };
        foreach (var (_, run) in runs) run();
        var times = runs.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < runs.Length; i++)
            {
                // Rotate the order so that no run always follows another.
                int at = (i + round) % runs.Length;
                times[at].Add(Paired.Time(runs[at].Run));
            }

        double hand = Paired.Median(times[0]);
        Console.WriteLine($"MLP 784-256-10, {steps} steps, {rounds} rounds (median ms; fixed cost = median − hand loop's median)");
        for (int i = 0; i < runs.Length; i++)
        {
            double median = Paired.Median(times[i]);
            string extra = i == 0 ? "" : $", fixed cost {median - hand:0.0} ms";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {runs[i].Label,-14} median {median:0.0} ms (p10 {Paired.Percentile(times[i], 0.1):0.0}, p90 {Paired.Percentile(times[i], 0.9):0.0}){extra}"));
        }
    }

    private static void Fit(List<(Tensor X, Tensor Y)> batches, TrainerOptions options)
    {
        using var model = new MlpModule();
        new Trainer(options).Fit(model, batches);
    }
}
