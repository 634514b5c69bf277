using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// The memory soak: trains the MLP for many steps on a dataloader that creates every batch lazily, and reports
/// resident memory and live tensors as it goes and after Fit returns. With <c>--workers N</c> the batches come from a
/// map-style dataset through LitGen's DataLoader with N worker threads. With <c>--full</c> it also runs what a long real
/// run runs — the default CSV and TensorBoard loggers (every step), a ModelCheckpoint every 50 steps, gradient
/// accumulation, epoch-level logging; with <c>--gc-pressure</c> a thread forces garbage collections too, the condition
/// under which a Scalar the finalizer frees mid-call fails an op (issue 22; bench <c>scalars</c>). It reports the steps
/// it completed.
/// </summary>
public static class Soak
{
    public static void Run(string[] args)
    {
        int steps = BenchArgs.Option(args, "--steps", 5000);
        int workers = BenchArgs.Option(args, "--workers", -1);
        bool full = args.Contains("--full");
        bool gcPressure = args.Contains("--gc-pressure");
        torch.set_num_threads(2);
        manual_seed(0);
        var model = new MlpModule();
        var probe = new MemoryProbe(every: 500);
        var root = Path.Combine(Path.GetTempPath(), "litgen-soak-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var trainer = new Trainer(full
            ? new TrainerOptions
            {
                MaxSteps = steps, DefaultRootDir = root, LogEveryNSteps = 1, AccumulateGradBatches = 2, EnableProgressBar = false, EnableModelSummary = false,
                Callbacks = [probe, new ModelCheckpoint { EveryNTrainSteps = 50, Monitor = "train_loss", SaveTopK = 3 }],
            }
            : new TrainerOptions
            {
                MaxSteps = steps, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false, Callbacks = [probe],
            });
        bool stop = false;
        var collector = new Thread(() =>
        {
            while (gcPressure && !Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Thread.Sleep(1);
            }
        });
        collector.Start();
        long liveBefore = Tensor.TotalCount;
        try
        {
            trainer.Fit(model, workers < 0 ? LazyBatches() : SampledBatches(workers));
        }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
            Console.WriteLine($"steps completed: {trainer.GlobalStep} of {steps}");
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
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
