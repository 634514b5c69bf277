using System.Globalization;
using LitGen;
using LitGen.Callbacks;
using LitGen.Data;
using MnistClassifier;
using TorchSharp;
using static TorchSharp.torch;

// The main job: trains LitClassifier on MNIST, tests the best checkpoint, and reloads it.
//   dotnet run --project samples/MnistClassifier -c Release [-- --data DIR --epochs N --root DIR]
var options = SampleOptions.Parse(args);
torch.set_num_threads(Environment.ProcessorCount);
torch.manual_seed(42);

var (trainImages, trainLabels) = MnistIdx.Load(options.DataDir, "train");
var (testImages, testLabels) = MnistIdx.Load(options.DataDir, "t10k");
// A fixed validation split: the last 1/8 of the training files.
long validationCount = trainImages.shape[0] / 8, fitCount = trainImages.shape[0] - validationCount;
var train = new DataLoader<(Tensor X, Tensor Y)>(
    new TensorDataset(trainImages[..(int)fitCount], trainLabels[..(int)fitCount]), batchSize: 64, shuffle: true, seed: 42);
var validation = new DataLoader<(Tensor X, Tensor Y)>(
    new TensorDataset(trainImages[(int)fitCount..], trainLabels[(int)fitCount..]), batchSize: 256);
var test = new DataLoader<(Tensor X, Tensor Y)>(new TensorDataset(testImages, testLabels), batchSize: 256);
Console.WriteLine($"MNIST from {options.DataDir}: {fitCount} train, {validationCount} validation, {testImages.shape[0]} test images.");

var model = new LitClassifier();
var trainer = new Trainer(new TrainerOptions
{
    MaxEpochs = options.Epochs,
    DefaultRootDir = options.RootDir,
    LogEveryNSteps = 20,
    Callbacks =
    [
        new ModelCheckpoint { Monitor = "val_acc", Mode = MonitorMode.Max, SaveTopK = 1, Filename = "{epoch}-{val_acc:.4f}" },
        new EarlyStopping { Monitor = "val_loss", Patience = 3 },
    ],
});
trainer.Fit(model, train, validation);

var results = trainer.Test(model, test, ckptPath: "best");
var best = trainer.CheckpointCallback!.BestModelPath!;
Console.WriteLine($"test_acc={results[0]["test_acc"].ToString("0.0000", CultureInfo.InvariantCulture)}");
Console.WriteLine($"test_loss={results[0]["test_loss"].ToString("0.0000", CultureInfo.InvariantCulture)}");
Console.WriteLine($"logs: {trainer.LogDir}");
Console.WriteLine($"best checkpoint: {best}");

var restored = LitClassifier.LoadFromCheckpoint(best, hp => hp with { LearningRate = 1e-4 });
Console.WriteLine($"reloaded: {restored.Hparams}");

internal sealed record SampleOptions(string DataDir, int Epochs, string RootDir)
{
    public static SampleOptions Parse(string[] args)
    {
        var options = new SampleOptions(DefaultDataDir(), 8, Directory.GetCurrentDirectory());
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--data" => options with { DataDir = Value() },
                "--epochs" => options with { Epochs = int.TryParse(Value(), CultureInfo.InvariantCulture, out var e) && e > 0 ? e : throw new ArgumentException("--epochs needs a positive integer.") },
                "--root" => options with { RootDir = Value() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --data DIR, --epochs N, --root DIR."),
            };
        }
        return options;
    }

    // samples/data, found from the build output or the working directory.
    private static string DefaultDataDir()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples", "data");
            if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return candidate;
        }
        return Path.Combine(Directory.GetCurrentDirectory(), "samples", "data");
    }
}
