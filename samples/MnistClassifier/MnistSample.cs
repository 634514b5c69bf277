using LitGen;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistClassifier;

/// <summary>Trains, tests and reloads <see cref="LitClassifier"/>; what the main job prints.</summary>
public static class MnistSample
{
    public sealed record Result(double TestAccuracy, double TestLoss, string LogDir, string BestCheckpoint, LitClassifier.HyperParameters Reloaded, string Report);

    public static Result Run(SampleOptions options)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        torch.manual_seed(42);

        // First, so that with --devices N > 1 the processes are started before any data is read (Devices > 1: data-parallel
        // processes under mpirun, each with its shard of every loader; rank 0 prints and writes the files).
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = options.Epochs,
            Devices = options.Devices,
            DefaultRootDir = options.RootDir,
            LogEveryNSteps = 20,
            Callbacks =
            [
                new ModelCheckpoint { Monitor = "val_acc", Mode = MonitorMode.Max, SaveTopK = 1, Filename = "{epoch}-{val_acc:.4f}" },
                new EarlyStopping { Monitor = "val_loss", Patience = 3 },
                new ParameterHistograms { EveryNSteps = 50 },
                new LearningRateMonitor(),
            ],
        });

        var images = MnistDataset.Load(options.DataDir, "train");
        var testImages = MnistDataset.Load(options.DataDir, "t10k");
        // A fixed validation split: the last 1/8 of the training files. Samples are decoded on --workers threads.
        long validationCount = images.Count / 8, fitCount = images.Count - validationCount;
        DataLoader<(Tensor X, Tensor Y)> Loader(MnistDataset dataset, int batchSize, bool shuffle) => DataLoader.Create<(Tensor Image, long Label), (Tensor X, Tensor Y)>(
            dataset, batchSize, shuffle, seed: shuffle ? 42 : null, numWorkers: options.Workers);
        var train = Loader(images.Slice(0, fitCount), 64, shuffle: true);
        var validation = Loader(images.Slice(fitCount, validationCount), 256, shuffle: false);
        var test = Loader(testImages, 256, shuffle: false);
        Console.WriteLine($"MNIST from {options.DataDir}: {fitCount} train, {validationCount} validation, {testImages.Count} test images.");

        var model = new LitClassifier();
        var fit = trainer.Fit(model, train, validation);

        var results = trainer.Test(model, test, ckptPath: "best");
        var best = fit.BestModelPath!;
        var restored = LitClassifier.LoadFromCheckpoint(best, hp => hp with { LearningRate = 1e-4 });
        // The CSV logger writes metrics.html (the charts of metrics.csv) whenever a run ends.
        return new Result(results[0]["test_acc"], results[0]["test_loss"], trainer.LogDir, best, restored.Hparams, Path.Combine(trainer.LogDir, "metrics.html"));
    }
}
