using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// A data-bound pipeline: 3 × 64 × 64 images stored one per file (written at first run), each read from disk, decoded
/// to floats, blurred (a stand-in for image decoding), randomly cropped to 56 × 56 and flipped, then batched by 32 for a
/// small CNN whose step costs about as much as loading its batch. Reports samples/s, the time from Fit's start to the
/// first batch, and resident memory, for <c>--workers N</c>. <c>bench/python/data_pipeline.py</c> does the same work
/// with PyTorch's DataLoader.
/// </summary>
public static partial class DataPipeline
{
    public const int Images = 2048;
    public const int Side = 64;
    public const int Crop = 56;

    public static void Run(string[] args)
    {
        int workers = BenchArgs.Option(args, "--workers", 0);
        int steps = BenchArgs.Option(args, "--steps", 150);
        string folder = EnsureImages(args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault());
        set_num_threads(1);
        manual_seed(0);

        if (args.Contains("--loading-only"))
        {
            var alone = DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(new ImageFiles(folder), batchSize: 32, shuffle: true, seed: 0, numWorkers: workers);
            var watch = Stopwatch.StartNew();
            int batches = 0;
            foreach (var (x, y) in alone)
            {
                x.Dispose();
                y.Dispose();
                if (++batches == steps) break;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"workers\": {workers}, \"loading_only_samples_per_s\": {batches * 32 / watch.Elapsed.TotalSeconds:0.0}}}"));
            return;
        }
        var clock = new PipelineClock(warmup: 10);
        var trainer = new Trainer(new TrainerOptions
        {
            MaxSteps = 10 + steps, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false, Callbacks = [clock],
        });
        var loader = DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(new ImageFiles(folder), batchSize: 32, shuffle: true, seed: 0, numWorkers: workers);
        clock.Start();
        trainer.Fit(new SmallCnn(), loader);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"workers\": {workers}, \"samples_per_s\": {steps * 32 / clock.Timed.TotalSeconds:0.0}, \"first_batch_ms\": {clock.FirstBatch.TotalMilliseconds:0.0}, \"peak_rss_mib\": {clock.PeakRss / 1048576.0:0.0}}}"));
    }

    /// <summary>The image files, written once: 8-bit RGB, raw, one file per image (its label is the file number mod 10).</summary>
    public static string EnsureImages(string? folder)
    {
        folder ??= Path.Combine(Path.GetTempPath(), "litgen-bench-images");
        if (Directory.Exists(folder) && Directory.GetFiles(folder, "*.rgb").Length == Images) return folder;
        Directory.CreateDirectory(folder);
        var random = new Random(0);
        var pixels = new byte[3 * Side * Side];
        for (int i = 0; i < Images; i++)
        {
            random.NextBytes(pixels);
            File.WriteAllBytes(Path.Combine(folder, $"{i:D5}.rgb"), pixels);
        }
        return folder;
    }


    /// <summary>Reads, decodes, blurs, crops and flips one image per sample.</summary>
    private sealed class ImageFiles(string folder) : Dataset<(Tensor Image, long Label)>
    {
        private static readonly Tensor Blur = (ones(3, 1, 5, 5) / 25).DetachFromDisposeScope();

        public override long Count => Images;

        public override (Tensor Image, long Label) GetItem(long index)
        {
            var bytes = File.ReadAllBytes(Path.Combine(folder, $"{index:D5}.rgb"));
            var image = tensor(bytes, ScalarType.Byte).reshape(1, 3, Side, Side).to(ScalarType.Float32).div_(255);
            for (int pass = 0; pass < 6; pass++) image = nn.functional.conv2d(image, Blur, padding: [2, 2], groups: 3);
            var info = WorkerInfo.Current!;
            int top = info.Random.Next(0, Side - Crop + 1), left = info.Random.Next(0, Side - Crop + 1);
            var crop = image[0].narrow(1, top, Crop).narrow(2, left, Crop);
            if (info.Random.Next(2) == 1) crop = crop.flip(2);
            return (crop.sub(0.5).div(0.25), index % 10);
        }
    }

    [LightningModule]
    public partial class SmallCnn : LightningModule<(Tensor X, Tensor Y)>
    {
        private readonly TorchSharp.Modules.Sequential net = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 14 * 14, 10));

        public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
            => nn.functional.cross_entropy(net.forward(batch.X), batch.Y);

        public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
    }

    private sealed class PipelineClock(int warmup) : Callback
    {
        private readonly Stopwatch sinceStart = new();
        private readonly Stopwatch timed = new();

        public TimeSpan FirstBatch { get; private set; }
        public TimeSpan Timed => timed.Elapsed;
        public long PeakRss { get; private set; }

        public void Start() => sinceStart.Restart();

        public override void OnTrainBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx)
        {
            if (trainer.GlobalStep == 0) FirstBatch = sinceStart.Elapsed;
            if (trainer.GlobalStep == warmup) timed.Restart();
            PeakRss = Math.Max(PeakRss, Environment.WorkingSet);
        }
    }
}
