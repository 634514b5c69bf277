using LitGen;
using static TorchSharp.torch;

namespace MnistClassifier;

/// <summary>
/// MNIST's IDX files as training, validation (the last 1/8 of the training files) and test dataloaders. Its
/// hyperparameters are the sample's data options (<c>--data-dir</c>, <c>--batch-size</c>, <c>--num-workers</c>).
/// </summary>
[LightningDataModule]
public partial class MnistDataModule : LightningDataModule<(Tensor X, Tensor Y)>
{
    /// <summary>The folder with the four MNIST IDX files; empty: the bundled subset in samples/data.</summary>
    [Hyperparameter] public string DataDir { get; }

    /// <summary>Training batch size (validation and test batches hold 256 images).</summary>
    [Hyperparameter] public int BatchSize { get; }

    /// <summary>DataLoader threads that decode images; 0 decodes them on the training thread.</summary>
    [Hyperparameter] public int NumWorkers { get; }

    private MnistDataset? fit, validation, test;

    public MnistDataModule(string dataDir = "", int batchSize = 64, int numWorkers = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(numWorkers);
        (DataDir, BatchSize, NumWorkers) = (dataDir, batchSize, numWorkers);
    }

    /// <summary>The folder the files are read from.</summary>
    public string Folder => DataDir.Length > 0 ? DataDir : MnistIdx.BundledData();

    /// <summary>What was read, for the run's report.</summary>
    public string Description => $"{Folder}: {fit?.Count ?? 0} train, {validation?.Count ?? 0} validation, {test?.Count ?? 0} test images";

    public override void Setup(Stage stage)
    {
        if (stage is Stage.Fit or Stage.Validate && fit is null)
        {
            var images = MnistDataset.Load(Folder, "train");
            long validationCount = images.Count / 8;
            fit = images.Slice(0, images.Count - validationCount);
            validation = images.Slice(images.Count - validationCount, validationCount);
        }
        if (stage is Stage.Test && test is null) test = MnistDataset.Load(Folder, "t10k");
    }

    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader() => Loader(fit!, BatchSize, shuffle: true);
    public override IEnumerable<(Tensor X, Tensor Y)>? ValDataloader() => Loader(validation!, 256, shuffle: false);
    public override IEnumerable<(Tensor X, Tensor Y)>? TestDataloader() => Loader(test!, 256, shuffle: false);

    private DataLoader<(Tensor X, Tensor Y)> Loader(MnistDataset dataset, int batchSize, bool shuffle)
        => DataLoader.Create<(Tensor Image, long Label), (Tensor X, Tensor Y)>(dataset, batchSize, shuffle, seed: shuffle ? 42 : null, numWorkers: NumWorkers);
}
