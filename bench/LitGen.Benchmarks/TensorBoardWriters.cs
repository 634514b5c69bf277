using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// LitGen's TensorBoard event writer against TorchSharp 0.107's <c>torch.utils.tensorboard.SummaryWriter</c>: the time to
/// write the same scalars and histograms, in alternating rounds, and the size of the files. What each can write at all is
/// in docs/metrics.md.
/// </summary>
public static class TensorBoardWriters
{
    public static void Run(string[] args)
    {
        int rounds = BenchArgs.Option(args, "--rounds", 5);
        int scalars = BenchArgs.Option(args, "--scalars", 20_000);
        int histograms = BenchArgs.Option(args, "--histograms", 200);
        torch.set_num_threads(2);
        torch.random.manual_seed(0);
        using var weights = randn(100_000);
        var root = Path.Combine(Path.GetTempPath(), "litgen-tensorboard-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            var times = new Dictionary<string, List<(double Scalars, double Histograms)>> { ["LitGen"] = [], ["TorchSharp"] = [] };
            var sizes = new Dictionary<string, long>();
            for (int round = 0; round <= rounds; round++)
            {
                foreach (var writer in new[] { "LitGen", "TorchSharp" })
                {
                    var dir = Path.Combine(root, $"{writer}-{round}");
                    var (scalarSeconds, histogramSeconds) = writer == "LitGen" ? LitGen(dir, scalars, histograms, weights) : TorchSharpWriter(dir, scalars, histograms, weights);
                    // Round 0 warms up both (JIT, first file).
                    if (round == 0) continue;
                    times[writer].Add((scalarSeconds, histogramSeconds));
                    sizes[writer] = Directory.GetFiles(dir, "events.out.tfevents.*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
                }
            }
            Console.WriteLine($"{scalars} scalars and {histograms} histograms of {weights.numel()} values, {rounds} rounds (median):");
            Console.WriteLine("| writer | µs per scalar | ms per histogram | file bytes |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var (writer, list) in times)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {writer} | {Median(list.Select(t => t.Scalars)) / scalars * 1e6:0.00} | {Median(list.Select(t => t.Histograms)) / histograms * 1e3:0.00} | {sizes[writer]} |"));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static (double, double) LitGen(string dir, int scalars, int histograms, Tensor weights)
    {
        using var logger = new TensorBoardLogger(dir, "run", version: 0);
        var experiment = logger.Experiment;
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < scalars; step++) experiment.AddScalar("train_loss", 1.0 / (step + 1), step);
        experiment.Flush();
        double scalarSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int step = 0; step < histograms; step++) experiment.AddHistogram("weights", weights, step);
        experiment.Flush();
        return (scalarSeconds, clock.Elapsed.TotalSeconds);
    }

    private static (double, double) TorchSharpWriter(string dir, int scalars, int histograms, Tensor weights)
    {
        // TorchSharp's writer has no Flush, Close or Dispose: each event is written as it is added, and the file stays open.
        var writer = torch.utils.tensorboard.SummaryWriter(dir);
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < scalars; step++) writer.add_scalar("train_loss", (float)(1.0 / (step + 1)), step);
        double scalarSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (int step = 0; step < histograms; step++) writer.add_histogram("weights", weights, step);
        return (scalarSeconds, clock.Elapsed.TotalSeconds);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
