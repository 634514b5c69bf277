using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Runtime.Tests.Support;

/// <summary>Linear regression y = 2x + 1 on a deterministic dataset; small enough to train in milliseconds.</summary>
[LightningModule]
public partial class RegressionModule : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public int Hidden { get; }
    [Hyperparameter] public double LearningRate { get; }
    [Hyperparameter] public string Activation { get; }

    private readonly Linear input;
    private readonly Linear output;

    public RegressionModule(int hidden = 8, double learningRate = 0.05, string activation = "tanh")
    {
        Hidden = hidden;
        LearningRate = learningRate;
        Activation = activation;
        input = Linear(1, hidden);
        output = Linear(hidden, 1);
    }

    public Tensor Forward(Tensor x) => output.forward(tanh(input.forward(x)));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = functional.mse_loss(Forward(batch.X), batch.Y);
        Log("train_loss", loss, onEpoch: true, progBar: true);
        return loss;
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_loss", functional.mse_loss(Forward(batch.X), batch.Y));
        return null;
    }

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("test_loss", functional.mse_loss(Forward(batch.X), batch.Y));
        return null;
    }

    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) => Forward(batch.X);

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), LearningRate);
}

public static class TestData
{
    /// <summary>Batches of (x, 2x + 1) with x evenly spaced in [-1, 1].</summary>
    public static List<(Tensor X, Tensor Y)> Line(int batches = 4, int batchSize = 16)
    {
        var result = new List<(Tensor, Tensor)>();
        var all = linspace(-1, 1, batches * batchSize).reshape(-1, 1);
        for (int b = 0; b < batches; b++)
        {
            var x = all[(b * batchSize)..((b + 1) * batchSize)].clone();
            result.Add((x, x * 2 + 1));
        }
        return result;
    }
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "litgen-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
