using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Benchmarks;

/// <summary>The SPEC §6 workload: a 784-256-10 MLP trained with Adam, logging its loss every step.</summary>
[LightningModule]
public partial class MlpModule : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public double LearningRate { get; }
    public readonly Module<Tensor, Tensor> Net;

    public MlpModule(double learningRate = 1e-3)
    {
        LearningRate = learningRate;
        Net = Sequential(Linear(784, 256), ReLU(), Linear(256, 10));
    }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = functional.cross_entropy(Net.forward(batch.X), batch.Y);
        Log("train_loss", loss);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), LearningRate);
}

/// <summary>A small CNN on 28×28 images: conv(1→8) → pool → conv(8→16) → pool → linear.</summary>
[LightningModule]
public partial class CnnModule : LightningModule<(Tensor X, Tensor Y)>
{
    public readonly Module<Tensor, Tensor> Net = Sequential(
        Conv2d(1, 8, 3, padding: 1), ReLU(), MaxPool2d(2),
        Conv2d(8, 16, 3, padding: 1), ReLU(), MaxPool2d(2),
        Flatten(), Linear(16 * 7 * 7, 10));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = functional.cross_entropy(Net.forward(batch.X), batch.Y);
        Log("train_loss", loss);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), 1e-3);
}

/// <summary>Synthetic batches that stay alive for the whole benchmark.</summary>
public static class Batches
{
    public static List<(Tensor X, Tensor Y)> Create(int count, long[] inputShape)
    {
        manual_seed(0);
        return Enumerable.Range(0, count)
            .Select(_ => (randn(inputShape), randint(0, 10, [inputShape[0]])))
            .ToList();
    }
}
