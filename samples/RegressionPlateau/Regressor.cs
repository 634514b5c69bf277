using LitGen;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RegressionPlateau;

/// <summary>An MLP fitting y = sin(3x); ReduceLROnPlateau halves the learning rate when val_loss stalls.</summary>
[LightningModule]
public partial class Regressor : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public int Hidden { get; }
    [Hyperparameter] public double LearningRate { get; }

    private readonly Module<Tensor, Tensor> net;

    public Regressor(int hidden = 32, double learningRate = 0.02)
    {
        Hidden = hidden;
        LearningRate = learningRate;
        net = Sequential(Linear(1, hidden), Tanh(), Linear(hidden, hidden), Tanh(), Linear(hidden, 1));
    }

    public Tensor Forward(Tensor x) => net.forward(x);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = functional.mse_loss(Forward(batch.X), batch.Y);
        Log("train_loss", loss, progBar: true);
        return loss;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_loss", functional.mse_loss(Forward(batch.X), batch.Y), progBar: true);
        return null;
    }

    public override IEnumerable<Callback> ConfigureCallbacks() =>
        [new EarlyStopping { Monitor = "val_loss", Patience = 8, MinDelta = 1e-5 }, new LearningRateMonitor()];

    public override OptimizerConfig ConfigureOptimizers()
    {
        var optimizer = optim.Adam(parameters(), LearningRate);
        var plateau = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2);
        return new OptimizerConfig(optimizer, new LrSchedulerConfig(plateau) { Monitor = "val_loss" });
    }
}
