using LitGen.Runtime.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Runtime.Tests.Seeds;

// Lightning's LitModel (docs/source-pytorch/common/lightning_module.rst, "Minimal example"):
//
//   class LitModel(L.LightningModule):
//       def __init__(self):
//           super().__init__()
//           self.l1 = nn.Linear(28 * 28, 10)
//
//       def forward(self, x):
//           return torch.relu(self.l1(x.view(x.size(0), -1)))
//
//       def training_step(self, batch, batch_idx):
//           x, y = batch
//           y_hat = self(x)
//           loss = F.cross_entropy(y_hat, y)
//           return loss
//
//       def configure_optimizers(self):
//           return torch.optim.Adam(self.parameters(), lr=0.02)
//
//   trainer = L.Trainer(max_epochs=1)
//   trainer.fit(LitModel(), train_dataloader)
//   predictions = trainer.predict(model, predict_dataloader)   # predict_step defaults to self(batch)
[LightningModule]
public partial class LitModel : LightningModule<(Tensor X, Tensor Y), Tensor, Tensor>
{
    private readonly Linear l1 = Linear(28 * 28, 10);

    public override Tensor forward(Tensor x) => functional.relu(l1.forward(x.view(x.size(0), -1)));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var yHat = forward(batch.X);
        return functional.cross_entropy(yHat, batch.Y);
    }

    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) => forward(batch.X);

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), 0.02);
}

public class LitModelSeed
{
    [Fact]
    public void LitModel_trains_predicts_and_composes_as_a_TorchSharp_module()
    {
        using var dir = new TempDir();
        manual_seed(0);
        var model = new LitModel();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(model, SeedData.Loader(256));

        var predictions = cat(trainer.Predict(model, SeedData.Loader(64)).ToArray());
        var (images, labels) = (SeedData.Digits(64).Tensors[0], SeedData.Digits(64).Tensors[1]);
        using (no_grad()) Assert.True(predictions.equal(model.forward(images)).all().item<bool>());
        // Far above chance (0.1); the ReLU on the logits, kept from Lightning's example, leaves some classes dead.
        var accuracy = (predictions.argmax(1) == labels).to(ScalarType.Float32).mean().item<float>();
        Assert.True(accuracy > 0.4, $"accuracy {accuracy}");

        // self(x): the module is a TorchSharp IModule and nests in other models.
        var pipeline = Sequential(("lit", model.AsModule()), ("softmax", Softmax(1)));
        using var probabilities = pipeline.forward(SeedData.Digits(4).Tensors[0]);
        Assert.Equal([4L, 10L], probabilities.shape);
        Assert.Equal(model.parameters().Count(), pipeline.parameters().Count());
    }
}
