using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Seeds;

// Lightning's MNISTDataModule (docs/source-pytorch/data/datamodule.rst), on the stand-in digits:
//
//   class MNISTDataModule(L.LightningDataModule):
//       def __init__(self, data_dir: str = "path/to/dir", batch_size: int = 32):
//           super().__init__()
//           self.data_dir = data_dir
//           self.batch_size = batch_size
//
//       def setup(self, stage: str):
//           self.mnist_test = MNIST(self.data_dir, train=False)
//           self.mnist_predict = MNIST(self.data_dir, train=False)
//           mnist_full = MNIST(self.data_dir, train=True)
//           self.mnist_train, self.mnist_val = random_split(
//               mnist_full, [55000, 5000], generator=torch.Generator().manual_seed(42)
//           )
//
//       def train_dataloader(self):
//           return DataLoader(self.mnist_train, batch_size=self.batch_size)
//       def val_dataloader(self):
//           return DataLoader(self.mnist_val, batch_size=self.batch_size)
//       def test_dataloader(self):
//           return DataLoader(self.mnist_test, batch_size=self.batch_size)
//       def predict_dataloader(self):
//           return DataLoader(self.mnist_predict, batch_size=self.batch_size)
//
//   trainer.fit(model, mnist)
public sealed class MnistDataModule(int batchSize = 32) : LightningDataModule<(Tensor X, Tensor Y)>
{
    private TensorDataset? train, val, test;

    public List<Stage> SetUp { get; } = [];

    public override void Setup(Stage stage)
    {
        SetUp.Add(stage);
        test = SeedData.Digits(64, seed: 2);
        var full = SeedData.Digits(320, seed: 3);
        // random_split(full, [256, 64], generator=torch.Generator().manual_seed(42))
        using var generator = new Generator(42);
        var order = randperm(320, generator: generator);
        train = new TensorDataset(full.Tensors[0][order[..256]], full.Tensors[1][order[..256]]);
        val = new TensorDataset(full.Tensors[0][order[256..]], full.Tensors[1][order[256..]]);
    }

    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader() => new DataLoader<(Tensor X, Tensor Y)>(train!, batchSize);
    public override IEnumerable<(Tensor X, Tensor Y)>? ValDataloader() => new DataLoader<(Tensor X, Tensor Y)>(val!, batchSize);
    public override IEnumerable<(Tensor X, Tensor Y)>? TestDataloader() => new DataLoader<(Tensor X, Tensor Y)>(test!, batchSize);
    public override IEnumerable<(Tensor X, Tensor Y)>? PredictDataloader() => new DataLoader<(Tensor X, Tensor Y)>(test!, batchSize);
}

public class DataModuleSeed
{
    [Fact]
    public void A_datamodule_supplies_every_stage()
    {
        using var dir = new TempDir();
        manual_seed(3);
        var mnist = new MnistDataModule();
        var model = new ClassificationTask(TorchSharp.torch.nn.Sequential(TorchSharp.torch.nn.Flatten(), TorchSharp.torch.nn.Linear(28 * 28, 10)), 0.01);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(model, mnist);
        Assert.True(trainer.CallbackMetrics["val_acc"] > 0.9);
        Assert.Equal(8, trainer.NumTrainingBatches);
        Assert.Equal(2, trainer.Predict(model, mnist).Count);
        Assert.Equal([Stage.Fit, Stage.Predict], mnist.SetUp);
    }
}
