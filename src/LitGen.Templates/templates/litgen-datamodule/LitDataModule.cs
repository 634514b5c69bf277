using LitGen;
using static TorchSharp.torch;

namespace LitGenNamespace;

/// <summary>
/// A LightningDataModule: where the data comes from and how it is batched. Setup reads it once per run (here it makes
/// a synthetic classification set: put your files' loading there); the dataloader hooks batch it.
/// </summary>
[LightningDataModule]
public partial class LitDataModule : LightningDataModule<(Tensor X, Tensor Y)>
{
    /// <summary>Inputs per sample.</summary>
    [Hyperparameter] public int Features { get; }

    /// <summary>Classes the samples fall into.</summary>
    [Hyperparameter] public int Classes { get; }

    /// <summary>Samples in the whole dataset.</summary>
    [Hyperparameter] public int Samples { get; }

    /// <summary>Training batch size.</summary>
    [Hyperparameter] public int BatchSize { get; }

    /// <summary>DataLoader worker threads; 0 loads batches on the training thread.</summary>
    [Hyperparameter] public int NumWorkers { get; }

    private TensorDataset? train, validation, test;

    public LitDataModule(int features = 16, int classes = 2, int samples = 4096, int batchSize = 64, int numWorkers = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(numWorkers);
        (Features, Classes, Samples, BatchSize, NumWorkers) = (features, classes, samples, batchSize, numWorkers);
    }

    public override void Setup(Stage stage)
    {
        if (train is not null) return;
        var generator = new Generator(seed: 1234);
        var x = randn([Samples, Features], generator: generator);
        var y = x.matmul(randn([Features, Classes], generator: generator)).argmax(1);
        int trainCount = Samples * 8 / 10, validationCount = Samples / 10;
        train = new TensorDataset(x[..trainCount], y[..trainCount]);
        validation = new TensorDataset(x[trainCount..(trainCount + validationCount)], y[trainCount..(trainCount + validationCount)]);
        test = new TensorDataset(x[(trainCount + validationCount)..], y[(trainCount + validationCount)..]);
    }

    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader() => Loader(train!, shuffle: true);
    public override IEnumerable<(Tensor X, Tensor Y)>? ValDataloader() => Loader(validation!, shuffle: false);
    public override IEnumerable<(Tensor X, Tensor Y)>? TestDataloader() => Loader(test!, shuffle: false);

    private DataLoader<(Tensor X, Tensor Y)> Loader(TensorDataset dataset, bool shuffle)
        => new(dataset, BatchSize, shuffle, seed: shuffle ? 42 : null, numWorkers: NumWorkers);
}
