using System.Diagnostics;
using System.Globalization;
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
        if (args.Contains("--compiler-only"))
        {
            RunCompiler();
            return;
        }
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        torch.set_num_threads(2);
        var bench = new TrainerBenchmarks();
        bench.Setup();
        int steps = TrainerBenchmarks.Steps;
        Report($"MLP 784-256-10, {steps} steps per round", rounds, ("hand loop", () => bench.MlpHandLoop()), ("Trainer.Fit", () => bench.MlpTrainerFit()), steps, "µs/step");
        Report($"CNN, {steps} steps per round", Math.Max(5, rounds / 3), ("hand loop", () => bench.CnnHandLoop()), ("Trainer.Fit", () => bench.CnnTrainerFit()), steps, "µs/step");
        ReportAllocations();
        RunCompiler();
    }

    private static void RunCompiler()
    {
        var compiler = new GeneratorBenchmarks();
        compiler.Setup();
        Report($"compile {GeneratorBenchmarks.Modules} modules from scratch", 10,
            ("no analyzers", () => GeneratorBenchmarks.CompileWithoutAnalyzers(compiler.Generated)),
            ("LitGen analyzers", () => GeneratorBenchmarks.CompileWithAnalyzers(compiler.Generated)), 1, "ms");
        Report($"compile {GeneratorBenchmarks.Modules} modules through the analyzer driver", 10,
            ("no-op analyzer", () => GeneratorBenchmarks.CompileWithNoOpAnalyzer(compiler.Generated)),
            ("LitGen analyzers", () => GeneratorBenchmarks.CompileWithAnalyzers(compiler.Generated)), 1, "ms");
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
            var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false });
            trainer.Fit(model, batches);
            return trainer.GlobalStep;
        });
        Console.WriteLine($"managed allocation per step (steady state): hand loop {hand:0} B, Trainer.Fit {fit:0} B, trainer's share {fit - hand:0} B");
    }

    /// <summary>Alternates <paramref name="baseline"/> and <paramref name="candidate"/> and prints medians per unit (µs per step, or ms per run).</summary>
    private static void Report(string name, int rounds, (string Label, Action Run) baseline, (string Label, Action Run) candidate, int unitsPerRound, string unit)
    {
        for (int i = 0; i < 3; i++) { baseline.Run(); candidate.Run(); }
        var baseTimes = new List<double>();
        var candidateTimes = new List<double>();
        var ratios = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            // Alternate which runs first, so neither always follows the other.
            double b, c;
            if (i % 2 == 0) { b = Time(baseline.Run); c = Time(candidate.Run); }
            else { c = Time(candidate.Run); b = Time(baseline.Run); }
            baseTimes.Add(b);
            candidateTimes.Add(c);
            ratios.Add(c / b);
        }
        double scale = unit == "µs/step" ? 1000.0 / unitsPerRound : 1.0 / unitsPerRound;
        string F(List<double> values, double p) => (Percentile(values, p) * scale).ToString("0.0", CultureInfo.InvariantCulture);
        Console.WriteLine($"{name}: {rounds} rounds");
        Console.WriteLine($"  {baseline.Label,-14} median {F(baseTimes, 0.5)} {unit} (p10 {F(baseTimes, 0.1)}, p90 {F(baseTimes, 0.9)})");
        Console.WriteLine($"  {candidate.Label,-14} median {F(candidateTimes, 0.5)} {unit} (p10 {F(candidateTimes, 0.1)}, p90 {F(candidateTimes, 0.9)})");
        Console.WriteLine($"  ratio of medians {Median(candidateTimes) / Median(baseTimes):0.000}; median of per-round ratios {Median(ratios):0.000} (p10 {Percentile(ratios, 0.1):0.000}, p90 {Percentile(ratios, 0.9):0.000})");
    }

    internal static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    internal static double Median(List<double> values) => Percentile(values, 0.5);

    internal static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Round(p * (sorted.Count - 1))];
    }
}
