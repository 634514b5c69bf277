using System.Diagnostics;
using System.Globalization;
using LitGen;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// Trainer.Fit and the hand loop measured in alternation (A, B, A, B, …) so that drift on a shared 2-core machine
/// hits both equally; reports the medians, their ratio and the median of the per-round ratios.
/// </summary>
public static class Paired
{
    public static void Run(string[] args)
    {
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        torch.set_num_threads(2);
        var bench = new TrainerBenchmarks();
        bench.Setup();
        Report("MLP 784-256-10", rounds, () => bench.MlpHandLoop(), () => bench.MlpTrainerFit());
        Report("CNN", Math.Max(5, rounds / 3), () => bench.CnnHandLoop(), () => bench.CnnTrainerFit());
        ReportAllocations();
    }

    /// <summary>
    /// Managed bytes allocated per training step in steady state: the difference between runs of 400 and 200 steps,
    /// so that setup costs cancel out.
    /// </summary>
    private static void ReportAllocations()
    {
        var short200 = Batches.Create(200, [64, 784]);
        var long400 = Batches.Create(400, [64, 784]);
        double PerStep(Func<List<(Tensor X, Tensor Y)>, object> run)
        {
            run(short200);
            long a = GC.GetAllocatedBytesForCurrentThread();
            run(short200);
            long b = GC.GetAllocatedBytesForCurrentThread();
            run(long400);
            long c = GC.GetAllocatedBytesForCurrentThread();
            return ((c - b) - (b - a)) / 200.0;
        }
        double hand = PerStep(batches =>
        {
            using var model = new MlpModule();
            return TrainerBenchmarks.HandLoop(model.Net, model.parameters(), batches);
        });
        double fit = PerStep(batches =>
        {
            using var model = new MlpModule();
            var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Logger = false, EnableCheckpointing = false, EnableProgressBar = false });
            trainer.Fit(model, batches);
            return trainer.GlobalStep;
        });
        Console.WriteLine($"managed allocation per step (steady state): hand loop {hand:0} B, Trainer.Fit {fit:0} B, trainer's share {fit - hand:0} B");
    }

    private static void Report(string name, int rounds, Action hand, Action fit)
    {
        for (int i = 0; i < 3; i++) { hand(); fit(); }
        var handTimes = new List<double>();
        var fitTimes = new List<double>();
        var ratios = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            // Alternate which runs first, so neither always follows the other.
            double h, f;
            if (i % 2 == 0) { h = Time(hand); f = Time(fit); }
            else { f = Time(fit); h = Time(hand); }
            handTimes.Add(h);
            fitTimes.Add(f);
            ratios.Add(f / h);
        }
        double steps = TrainerBenchmarks.Steps;
        Console.WriteLine($"{name}: {rounds} rounds of {steps} steps");
        Console.WriteLine($"  hand loop   median {Median(handTimes) / steps * 1000:0.0} µs/step (p10 {Percentile(handTimes, 0.1) / steps * 1000:0.0}, p90 {Percentile(handTimes, 0.9) / steps * 1000:0.0})");
        Console.WriteLine($"  Trainer.Fit median {Median(fitTimes) / steps * 1000:0.0} µs/step (p10 {Percentile(fitTimes, 0.1) / steps * 1000:0.0}, p90 {Percentile(fitTimes, 0.9) / steps * 1000:0.0})");
        Console.WriteLine($"  ratio of medians {Median(fitTimes) / Median(handTimes):0.000}; median of per-round ratios {Median(ratios):0.000} (p10 {Percentile(ratios, 0.1):0.000}, p90 {Percentile(ratios, 0.9):0.000})");
        Console.WriteLine($"  overhead {(Median(fitTimes) - Median(handTimes)) / steps * 1000:0.0} µs/step");
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Round(p * (sorted.Count - 1))];
    }
}
