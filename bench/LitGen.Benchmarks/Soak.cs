using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// The memory soak: trains the MLP for many steps on a dataloader that creates every batch lazily, and reports
/// resident memory and live tensors as it goes and after Fit returns. With <c>--workers N</c> the batches come from a
/// map-style dataset through LitGen's DataLoader with N worker threads.
/// </summary>
public static class Soak
{
    public static void Run(string[] args)
    {
        int steps = BenchArgs.Option(args, "--steps", 5000);
        int workers = BenchArgs.Option(args, "--workers", -1);
        torch.set_num_threads(2);
        manual_seed(0);
        var model = new MlpModule();
        var probe = new MemoryProbe(every: 500);
        var trainer = new Trainer(new TrainerOptions
        {
            MaxSteps = steps,
            Logger = false,
            EnableCheckpointing = false,
            EnableProgressBar = false,
            EnableModelSummary = false,
            Callbacks = [probe],
        });
        long liveBefore = Tensor.TotalCount;
        trainer.Fit(model, workers < 0 ? LazyBatches() : SampledBatches(workers));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long liveAfter = Tensor.TotalCount;

        Console.WriteLine("step,rss_mib,live_tensors");
        foreach (var (step, rss, live) in probe.Samples) Console.WriteLine($"{step},{rss:0.0},{live}");
        var at200 = probe.Samples.First(s => s.Step >= 200);
        var last = probe.Samples[^1];
        Console.WriteLine($"rss growth from step {at200.Step} to {last.Step}: {(last.Rss / at200.Rss - 1) * 100:0.0}%");
        Console.WriteLine($"live tensors created by Fit and still alive after it: {liveAfter - liveBefore} (the optimizer state)");
    }

    /// <summary>Batches made on demand, as a streaming dataset would: nothing is kept between steps.</summary>
    private static IEnumerable<(Tensor X, Tensor Y)> LazyBatches()
    {
        while (true) yield return (randn(64, 784), randint(0, 10, [64]));
    }

    /// <summary>Batches of samples made one by one on <paramref name="workers"/> worker threads (0: in the training loop).</summary>
    private static DataLoader<(Tensor, Tensor)> SampledBatches(int workers)
    {
        var samples = Dataset.FromFunction(4096, _ =>
        {
            var generator = WorkerInfo.Current!.Generator;
            return (randn([784], generator: generator), randint(0, 10, [1], generator: generator)[0].item<long>());
        });
        return DataLoader.Create<(Tensor, long), (Tensor, Tensor)>(samples, 64, shuffle: true, seed: 0, numWorkers: workers);
    }


    private sealed class MemoryProbe(int every) : Callback
    {
        public List<(long Step, double Rss, long Live)> Samples { get; } = [];

        public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx)
        {
            long step = trainer.GlobalStep;
            if (step != 200 && step % every != 0) return;
            using var process = Process.GetCurrentProcess();
            Samples.Add((step, process.WorkingSet64 / 1024.0 / 1024.0, Tensor.TotalCount));
        }
    }
}
