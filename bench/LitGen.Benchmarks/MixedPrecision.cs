using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// Training throughput of "bf16-mixed" (libtorch's autocast) against "32-true" on this CPU: the MLP and the CNN, each a
/// Fit of a fixed number of steps, the two precisions in alternating rounds; medians of ms per step.
/// </summary>
public static class MixedPrecision
{
    public static void Run(string[] args)
    {
        int rounds = BenchArgs.Option(args, "--rounds", 8);
        int steps = BenchArgs.Option(args, "--steps", 100);
        torch.set_num_threads(2);
        Console.WriteLine($"CPU has avx512_bf16: {CpuFlag("avx512_bf16")}, amx_bf16: {CpuFlag("amx_bf16")}");
        Measure("MLP 784-256-10, batch 64", Batches.Create(steps, [64, 784]), () => new MlpModule(), rounds);
        Measure("CNN on 28x28, batch 64", Batches.Create(steps, [64, 1, 28, 28]), () => new CnnModule(), rounds);
    }

    private static void Measure(string label, List<(Tensor X, Tensor Y)> batches, Func<LightningModule<(Tensor X, Tensor Y)>> create, int rounds)
    {
        var times = new Dictionary<string, List<double>> { ["32-true"] = [], ["bf16-mixed"] = [] };
        for (int round = 0; round <= rounds; round++)
        {
            foreach (var precision in times.Keys)
            {
                var model = create();
                var trainer = new Trainer(new TrainerOptions
                {
                    MaxEpochs = 1, Precision = precision, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
                });
                var clock = Stopwatch.StartNew();
                trainer.Fit(model, batches);
                // Round 0 warms both up.
                if (round > 0) times[precision].Add(clock.Elapsed.TotalMilliseconds / batches.Count);
                model.Dispose();
            }
        }
        var (full, mixed) = (Median(times["32-true"]), Median(times["bf16-mixed"]));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: 32-true {full:0.000} ms/step, bf16-mixed {mixed:0.000} ms/step, ratio {mixed / full:0.00}"));
    }

    private static bool CpuFlag(string flag) => File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Split(' ', '\n', '\t').Contains(flag);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
