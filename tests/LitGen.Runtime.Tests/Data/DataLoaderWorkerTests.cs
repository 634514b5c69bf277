using System.Diagnostics;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Data;

/// <summary>
/// Images with a random crop and flip drawn from the batch's generator, and a random pause so that workers finish out of
/// order. Counts every GetItem, and can fail on one sample.
/// </summary>
public sealed class AugmentedImages(int count, long? failAt = null, bool pause = true) : Dataset<(Tensor Image, long Label)>
{
    private readonly Tensor images = arange(count * 3 * 10 * 10, ScalarType.Float32).reshape(count, 3, 10, 10).DetachFromDisposeScope();
    private long loads;

    public long Loads => Interlocked.Read(ref loads);

    public override long Count => count;

    public override (Tensor Image, long Label) GetItem(long index)
    {
        Interlocked.Increment(ref loads);
        if (index == failAt) throw new InvalidDataException("corrupt image file");
        var info = WorkerInfo.Current!;
        if (pause) Thread.Sleep(info.Random.Next(0, 3));
        var offsets = randint(0, 3, [2], generator: info.Generator).data<long>().ToArray();
        var crop = images[index].narrow(1, offsets[0], 8).narrow(2, offsets[1], 8);
        if (rand([1], generator: info.Generator).item<float>() < 0.5f) crop = crop.flip(2);
        return (crop + 0, index % 4);
    }
}

[LightningModule]
public partial class ImageModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(3 * 8 * 8, 4);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
        => nn.functional.cross_entropy(layer.forward(batch.X.flatten(1) / 300), batch.Y);

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.1);
}

public class DataLoaderWorkerTests
{
    private static DataLoader<(Tensor, Tensor)> Loader(Dataset<(Tensor Image, long Label)> dataset, int workers, long? seed = 5)
        => DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(dataset, batchSize: 4, shuffle: true, seed: seed, numWorkers: workers);

    private static List<(float[] Images, long[] Labels)> TwoEpochs(int workers)
    {
        var loader = Loader(new AugmentedImages(22), workers);
        var batches = new List<(float[], long[])>();
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var (images, labels) in loader)
                using (images)
                using (labels)
                    batches.Add((images.data<float>().ToArray(), labels.data<long>().ToArray()));
        return batches;
    }

    [Fact]
    public void Batches_are_bit_identical_with_0_1_2_and_4_workers()
    {
        var reference = TwoEpochs(workers: 0);
        Assert.Equal(12, reference.Count);
        foreach (int workers in new[] { 1, 2, 4 })
        {
            var batches = TwoEpochs(workers);
            Assert.Equal(reference.Count, batches.Count);
            for (int i = 0; i < reference.Count; i++)
            {
                Assert.Equal(reference[i].Labels, batches[i].Labels);
                Assert.Equal(reference[i].Images, batches[i].Images);
            }
        }
        // The augmentation is random (epochs differ) and the order is shuffled.
        Assert.NotEqual(reference[0].Images, reference[6].Images);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Augmentation_seeds_change_with_the_epoch_and_a_second_run_reproduces_both_epochs(int workers)
    {
        // No shuffling: batch i holds the same samples in the same order in both epochs, so only the augmentation can differ.
        List<float[]> Run()
        {
            var loader = DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(new AugmentedImages(16, pause: false), batchSize: 4, shuffle: false, seed: 5, numWorkers: workers);
            var images = new List<float[]>();
            for (int epoch = 0; epoch < 2; epoch++)
            {
                loader.SetEpoch(epoch);
                foreach (var (batch, labels) in loader)
                {
                    images.Add(batch.data<float>().ToArray());
                    Assert.Equal([0L, 1, 2, 3], labels.data<long>().ToArray());
                    batch.Dispose();
                    labels.Dispose();
                }
            }
            return images;
        }

        var first = Run();
        Assert.Equal(8, first.Count);
        for (int i = 0; i < 4; i++) Assert.NotEqual(first[i], first[4 + i]);
        Assert.Equal(first, Run());
    }

    [Fact]
    public void Without_a_seed_the_batches_follow_libtorchs_seed_and_still_do_not_depend_on_workers()
    {
        List<float[]> Run(int workers)
        {
            manual_seed(3);
            var loader = Loader(new AugmentedImages(12), workers, seed: null);
            return loader.Select(b => b.Item1.data<float>().ToArray()).ToList();
        }
        Assert.Equal(Run(0), Run(2));
    }

    [Fact]
    public void A_failing_sample_is_named_and_stops_the_other_workers()
    {
        var dataset = new AugmentedImages(400, failAt: 13);
        var loader = DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(dataset, batchSize: 4, numWorkers: 2);
        var error = Assert.Throws<DataLoaderException>(() => loader.ToList().ForEach(b => b.Item1.Dispose()));
        Assert.Equal(13, error.SampleIndex);
        Assert.Contains("GetItem(13)", error.Message);
        Assert.Contains("corrupt image file", error.Message);
        Assert.True(dataset.Loads < 100, $"the workers went on loading: {dataset.Loads} samples");
    }

    [Fact]
    public void A_failing_sample_fails_Fit_with_its_index()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false });
        var error = Assert.Throws<DataLoaderException>(() => trainer.Fit(new ImageModule(), Loader(new AugmentedImages(40, failAt: 21), workers: 2)));
        Assert.Equal(21, error.SampleIndex);
    }

    [Fact]
    public void A_resume_mid_epoch_with_workers_equals_the_uninterrupted_run_and_loads_no_skipped_batch()
    {
        using var dir = new TempDir();
        Trainer NewTrainer(params Callback[] callbacks) => new(new TrainerOptions
        {
            MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, Callbacks = callbacks, EnableCheckpointing = callbacks.Length > 0,
        });

        manual_seed(0);
        var whole = new ImageModule();
        var checkpoints = Path.Combine(dir.Path, "ckpt");
        NewTrainer(new ModelCheckpoint { DirPath = checkpoints, EveryNTrainSteps = 3, SaveTopK = -1 }).Fit(whole, Loader(new AugmentedImages(22), workers: 2));

        manual_seed(0);
        var resumed = new ImageModule();
        var dataset = new AugmentedImages(22);
        // 6 batches per epoch: step 9 is 3 batches into the second epoch.
        NewTrainer().Fit(resumed, Loader(dataset, workers: 2), ckptPath: Path.Combine(checkpoints, "epoch=1-step=9.ckpt"));

        foreach (var (name, expected) in whole.state_dict())
            Assert.True(expected.equal(resumed.state_dict()[name]).all().item<bool>(), $"{name} differs from the uninterrupted run");
        // The resumed epoch built its last 3 batches only (10 samples: 4 + 4 + 2).
        Assert.Equal(10, dataset.Loads);
    }

    [Fact]
    public void Workers_leave_no_tensor_behind_however_the_epoch_ends()
    {
        var loader = Loader(new AugmentedImages(40), workers: 2);
        long before = LiveTensors();
        foreach (var (images, labels) in loader) { images.Dispose(); labels.Dispose(); }
        // Stopping early leaves prefetched batches behind, which the loader frees.
        foreach (var (images, labels) in loader) { images.Dispose(); labels.Dispose(); break; }
        Assert.Equal(before, LiveTensors());
    }

    [Fact]
    public void Persistent_workers_keep_their_threads_between_epochs()
    {
        using var loader = DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(new AugmentedImages(16), 4, numWorkers: 2, persistentWorkers: true);
        int ThreadCount() => Process.GetCurrentProcess().Threads.Count;
        foreach (var (images, labels) in loader) { images.Dispose(); labels.Dispose(); }
        int afterFirst = ThreadCount();
        foreach (var (images, labels) in loader) { images.Dispose(); labels.Dispose(); }
        Assert.Equal(afterFirst, ThreadCount());
        Assert.Throws<ArgumentException>(() => DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(new AugmentedImages(4), 4, persistentWorkers: true));
    }

    [Fact]
    public void Live_tensors_and_memory_stay_flat_over_a_long_run_with_two_workers()
    {
        (long LiveAfter, SoakProbe Probe) Soak(int steps)
        {
            using var dir = new TempDir();
            var probe = new SoakProbe();
            var trainer = new Trainer(new TrainerOptions
            {
                MaxSteps = steps, DefaultRootDir = dir.Path, EnableProgressBar = false, EnableModelSummary = false, Logger = false, EnableCheckpointing = false,
                Callbacks = [probe],
            });
            var loader = DataLoader.Create<(Tensor Image, long Label), (Tensor, Tensor)>(new AugmentedImages(64, pause: false), 4, shuffle: true, seed: 1, numWorkers: 2);
            var model = new ImageModule();
            long before = LiveTensors();
            trainer.Fit(model, loader);
            return (LiveTensors() - before, probe);
        }

        var (shortRun, _) = Soak(1000);
        var (longRun, probe) = Soak(5000);
        // What outlives Fit (the optimizer state) does not grow with the number of steps, and neither does the process.
        Assert.Equal(shortRun, longRun);
        Assert.True(probe.RssAtEnd < probe.RssAt1000 * 1.05, $"RSS grew from {probe.RssAt1000 / 1e6:0.0} MB at step 1000 to {probe.RssAtEnd / 1e6:0.0} MB at step 5000");
    }

    /// <summary>Tensors still referenced anywhere in the process (unreferenced wrappers of earlier tests are finalized first).</summary>
    private static long LiveTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }

    private sealed class SoakProbe : Callback
    {
        // Resident memory once garbage is collected: what the run holds, not how far the GC let its heap grow.
        private static long SettledRss()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return Environment.WorkingSet;
        }

        public long RssAt1000 { get; private set; }
        public long RssAtEnd { get; private set; }

        public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx)
        {
            if (trainer.GlobalStep == 1000) RssAt1000 = SettledRss();
            if (trainer.GlobalStep == 5000) RssAtEnd = SettledRss();
        }
    }
}
