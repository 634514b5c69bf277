using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Runtime.Tests.Seeds;

// Lightning's ClassificationTask (docs/source-pytorch/common/lightning_module.rst, "Inference in Production"), with
// the learning rate saved and the injected model left out of the hyperparameters:
//
//   class ClassificationTask(L.LightningModule):
//       def __init__(self, model, learning_rate=1e-3):
//           super().__init__()
//           self.save_hyperparameters(ignore=["model"])
//           self.model = model
//
//       def training_step(self, batch, batch_idx):
//           x, y = batch
//           y_hat = self.model(x)
//           return F.cross_entropy(y_hat, y)
//
//       def validation_step(self, batch, batch_idx):
//           loss, acc = self._shared_eval_step(batch, batch_idx)
//           self.log_dict({"val_acc": acc, "val_loss": loss})
//
//       def _shared_eval_step(self, batch, batch_idx):
//           x, y = batch
//           y_hat = self.model(x)
//           return F.cross_entropy(y_hat, y), accuracy(y_hat, y)
//
//       def configure_optimizers(self):
//           return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)
//
//   model = ClassificationTask.load_from_checkpoint(PATH, model=MyBackbone())
[LightningModule]
public partial class ClassificationTask : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public double LearningRate { get; }

    private readonly Module<Tensor, Tensor> model;

    public ClassificationTask(Module<Tensor, Tensor> model, double learningRate = 1e-3)
    {
        this.model = model;
        LearningRate = learningRate;
    }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
        => functional.cross_entropy(model.forward(batch.X), batch.Y);

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var (loss, acc) = SharedEvalStep(batch);
        LogDict(new Dictionary<string, Tensor> { ["val_acc"] = acc, ["val_loss"] = loss });
        return null;
    }

    private (Tensor Loss, Tensor Accuracy) SharedEvalStep((Tensor X, Tensor Y) batch)
    {
        var yHat = model.forward(batch.X);
        return (functional.cross_entropy(yHat, batch.Y), (yHat.argmax(1) == batch.Y).to(ScalarType.Float32).mean());
    }

    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) => model.forward(batch.X).argmax(1);

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), LearningRate);
}

public class InjectedModelSeed
{
    private static Module<Tensor, Tensor> Backbone() => Sequential(Flatten(), Linear(28 * 28, 32), ReLU(), Linear(32, 10));

    [Fact]
    public void A_module_built_around_an_injected_model_saves_without_it_and_loads_with_it()
    {
        using var dir = new TempDir();
        manual_seed(1);
        var task = new ClassificationTask(Backbone(), learningRate: 0.01);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(task, SeedData.Loader(256), SeedData.Loader(64, seed: 1));
        Assert.True(trainer.CallbackMetrics["val_acc"] > 0.9);

        var restored = ClassificationTask.LoadFromCheckpoint(trainer.CheckpointCallback!.BestModelPath!, model: Backbone());
        Assert.Equal(0.01, restored.LearningRate);
        foreach (var (key, value) in task.state_dict()) Assert.True(value.equal(restored.state_dict()[key]).all().item<bool>(), key);

        // The generated signature: the path, the constructor's other arguments as named there, then the usual options.
        var parameters = typeof(ClassificationTask).GetMethod(nameof(ClassificationTask.LoadFromCheckpoint))!.GetParameters();
        Assert.Equal(["path", "model", "overrides", "mapLocation", "strict"], parameters.Select(p => p.Name));
        Assert.Equal(typeof(Module<Tensor, Tensor>), parameters[1].ParameterType);
        Assert.False(typeof(ILitCliModule<ClassificationTask>).IsAssignableFrom(typeof(ClassificationTask)));
    }
}
