using LitGen;
using TorchSharp;
using static TorchSharp.torch;

namespace RegressionPlateau;

/// <summary>Trains <see cref="Regressor"/> until EarlyStopping stops it and reports what the schedulers did.</summary>
public static class RegressionSample
{
    public sealed record Result(double ValLoss, double FinalLearningRate, int Epochs, string? StoppingReason, string LogDir);

    public static Result Run(int maxEpochs, string root)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        manual_seed(11);
        var x = rand(1024, 1) * 2 - 1;
        var y = sin(x * 3) + randn(1024, 1) * 0.05;
        var train = new DataLoader<(Tensor X, Tensor Y)>(new TensorDataset(x[..896], y[..896]), batchSize: 64, shuffle: true, seed: 11);
        var val = new DataLoader<(Tensor X, Tensor Y)>(new TensorDataset(x[896..], y[896..]), batchSize: 128);

        var model = new Regressor();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = maxEpochs, DefaultRootDir = root, EnableModelSummary = false });
        trainer.Fit(model, train, val);
        var monitor = trainer.Callbacks.OfType<LearningRateMonitor>().Single();
        return new Result(trainer.CallbackMetrics["val_loss"], monitor.LastLogged.Values.Single(), trainer.CurrentEpoch,
            trainer.EarlyStoppingCallback?.StoppingReason, trainer.LogDir);
    }
}
