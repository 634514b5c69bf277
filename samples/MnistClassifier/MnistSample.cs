using System.Globalization;
using LitGen;
using TorchSharp;

namespace MnistClassifier;

/// <summary>
/// The main job on LitCli: the command line sets <see cref="LitClassifier"/>'s hyperparameters, <see cref="MnistDataModule"/>'s
/// and the trainer's (<c>--help</c> lists them); the job trains, tests the best checkpoint, reloads it, exports it to ONNX and prints the results.
/// </summary>
public static class MnistSample
{
    /// <summary>The trainer before the command line changes it: 8 epochs, the best checkpoint by validation accuracy, and plots.</summary>
    public static TrainerOptions TrainerDefaults => new()
    {
        MaxEpochs = 8,
        LogEveryNSteps = 20,
        Callbacks =
        [
            new ModelCheckpoint { Monitor = "val_acc", Mode = MonitorMode.Max, SaveTopK = 1, Filename = "{epoch}-{val_acc:.4f}" },
            new EarlyStopping { Monitor = "val_loss", Patience = 3 },
            new ParameterHistograms { EveryNSteps = 50 },
            new LearningRateMonitor(),
        ],
    };

    /// <summary>Runs the job on <paramref name="args"/>; returns the exit code (2: bad options or missing data, said on <paramref name="error"/>).</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        // Before LitCli builds the module, so that its initial weights are the same every run.
        torch.manual_seed(42);
        return LitCli.Run<LitClassifier, MnistDataModule>(args, (model, data, trainer) =>
        {
            // With --devices N > 1 the trainer runs N processes under mpirun, each with its shard of every loader; rank 0 prints and writes the files.
            var fit = trainer.Fit(model, data);
            var results = trainer.Test(model, data, ckptPath: "best");
            var best = fit.BestModelPath!;
            var reloaded = LitClassifier.LoadFromCheckpoint(best, hp => hp with { LearningRate = 1e-4 });
            if (!trainer.Strategy.IsGlobalZero) return 0;
            // The best model for serving without TorchSharp (samples/OnnxServe): ONNX, beside its checkpoint.
            var onnx = Path.Combine(Path.GetDirectoryName(best)!, "model.onnx");
            reloaded.ToOnnx(onnx, torch.zeros(1, 1, 28, 28));
            var print = output ?? Console.Out;
            print.WriteLine($"data: {data.Description}");
            print.WriteLine($"test_acc={results[0]["test_acc"].ToString("0.0000", CultureInfo.InvariantCulture)}");
            print.WriteLine($"test_loss={results[0]["test_loss"].ToString("0.0000", CultureInfo.InvariantCulture)}");
            print.WriteLine($"logs: {trainer.LogDir}");
            // The CSV logger writes metrics.html (the charts of metrics.csv) whenever a run ends.
            print.WriteLine($"report: {Path.Combine(trainer.LogDir, "metrics.html")}");
            // ... and the dashboard comparing every run of lightning_logs/ (index.html beside the version folders).
            print.WriteLine($"runs: {Path.Combine(Path.GetDirectoryName(trainer.LogDir)!, "index.html")}");
            print.WriteLine($"best checkpoint: {best}");
            print.WriteLine($"reloaded: {reloaded.Hparams}");
            print.WriteLine($"onnx: {onnx}");
            return 0;
        }, new LitCliOptions { TrainerDefaults = TrainerDefaults, Output = output, Error = error });
    }
}
