using System.Globalization;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

public class FitTests
{
    private static double Mse(RegressionModule model, List<(Tensor X, Tensor Y)> data)
    {
        using var noGrad = no_grad();
        return data.Average(b => nn.functional.mse_loss(model.Forward(b.X), b.Y).item<float>());
    }

    [Fact]
    public void Fit_reduces_the_loss_and_counts_epochs_and_steps()
    {
        using var dir = new TempDir();
        manual_seed(1);
        var model = new RegressionModule();
        var data = TestData.Line();
        double before = Mse(model, data);

        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 40, DefaultRootDir = dir.Path, EnableProgressBar = false });
        trainer.Fit(model, data);

        Assert.True(Mse(model, data) < before / 10, $"loss {before} -> {Mse(model, data)}");
        Assert.Equal(40, trainer.CurrentEpoch);
        Assert.Equal(160, trainer.GlobalStep);
        Assert.True(trainer.CallbackMetrics["train_loss_epoch"] < before / 10);
    }

    [Fact]
    public void MaxSteps_stops_training_mid_epoch()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxSteps = 6, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(new RegressionModule(), TestData.Line());
        Assert.Equal(6, trainer.GlobalStep);
        Assert.Equal(2, trainer.CurrentEpoch);
    }

    [Fact]
    public void Fit_writes_metrics_csv_hparams_event_file_and_one_checkpoint_per_epoch()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 3, DefaultRootDir = dir.Path, LogEveryNSteps = 2, EnableProgressBar = false });
        trainer.Fit(new RegressionModule(hidden: 4), TestData.Line(), TestData.Line(batches: 2));

        var logDir = Path.Combine(dir.Path, "lightning_logs", "version_0");
        Assert.Equal(logDir, trainer.LogDir);

        var csv = File.ReadAllLines(Path.Combine(logDir, "metrics.csv"));
        var header = csv[0].Split(',');
        Assert.Equal(["step", "epoch", "train_loss_step", "val_loss", "train_loss_epoch"], header);
        var rows = csv.Skip(1).Select(l => l.Split(',')).ToList();
        // 4 batches, a step row every 2 steps: 2 per epoch; then a val row and a train-epoch row per epoch.
        Assert.Equal(12, rows.Count);
        Assert.Equal(["1", "3"], rows.Take(2).Select(r => r[0]));
        Assert.All(rows, r => double.Parse(r[1], CultureInfo.InvariantCulture));
        var valRows = rows.Where(r => r[3].Length > 0).ToList();
        // As in Lightning, validation runs before the last batch is counted as stepped: steps 3, 7, 11.
        Assert.Equal(["3", "7", "11"], valRows.Select(r => r[0]));

        Assert.Equal("Hidden: 4\nLearningRate: 0.05\nActivation: \"tanh\"\n", File.ReadAllText(Path.Combine(logDir, "hparams.yaml")));

        var events = Directory.GetFiles(logDir, "events.out.tfevents.*").Single();
        var (version, scalars) = TensorBoardReader.Read(events);
        Assert.Equal("brain.Event:2", version);
        Assert.Equal(6, scalars.Count(s => s.Tag == "train_loss_step"));
        Assert.Equal([3L, 7L, 11L], scalars.Where(s => s.Tag == "val_loss").Select(s => s.Step));
        var hparams = TensorBoardReader.ReadHparams(events);
        Assert.Equal(4.0, hparams["Hidden"]);
        Assert.Equal(0.05, hparams["LearningRate"]);
        Assert.Equal("tanh", hparams["Activation"]);
        Assert.Contains(scalars, s => s.Tag == "hp_metric" && s.Value == -1);
        var csvVal = valRows.Select(r => (float)double.Parse(r[3], CultureInfo.InvariantCulture));
        Assert.Equal(csvVal, scalars.Where(s => s.Tag == "val_loss").Select(s => s.Value));

        var checkpoints = Directory.GetFiles(Path.Combine(logDir, "checkpoints"));
        Assert.Equal(Path.Combine(logDir, "checkpoints", "epoch=2-step=12.ckpt"), Assert.Single(checkpoints));
        Assert.Equal(checkpoints[0], trainer.CheckpointCallback!.BestModelPath);
    }

    [Fact]
    public void Several_loggers_each_get_their_own_versioned_folder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "csv", "version_0"));
        var csv = new CsvLogger(dir.Path, "csv");
        var board = new TensorBoardLogger(dir.Path, "board");
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, LogEveryNSteps = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = [csv, board] });
        trainer.Fit(new RegressionModule(), TestData.Line());

        Assert.Equal([csv, board], trainer.Loggers);
        Assert.Equal(1, csv.Version);
        Assert.True(File.Exists(Path.Combine(dir.Path, "csv", "version_1", "metrics.csv")));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "board", "version_0"), "events.out.tfevents.*"));
        Assert.Equal(csv.LogDir, trainer.LogDir);
        Assert.Empty(new Trainer(new TrainerOptions { Logger = false }).Loggers);
    }

    [Fact]
    public void Validate_test_and_predict_run_the_steps()
    {
        using var dir = new TempDir();
        var model = new RegressionModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        var data = TestData.Line(batches: 2, batchSize: 4);

        var validation = trainer.Validate(model, data);
        var test = trainer.Test(model, data);
        var predictions = trainer.Predict(model, data);

        Assert.Equal(Mse(model, data), validation[0]["val_loss"], 5);
        Assert.Equal(validation[0]["val_loss"], test[0]["test_loss"], 10);
        Assert.Equal(2, predictions.Count);
        Assert.Equal([4L, 1L], predictions[0].shape);
        foreach (var prediction in predictions) prediction.Dispose();
    }

    [Fact]
    public void Test_with_best_checkpoint_loads_the_best_weights()
    {
        using var dir = new TempDir();
        var model = new RegressionModule();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 6,
            DefaultRootDir = dir.Path,
            EnableProgressBar = false,
            Callbacks = [new ModelCheckpoint { Monitor = "val_loss", SaveTopK = 2, Filename = "{epoch:02d}-{val_loss:.3f}" }],
        });
        var data = TestData.Line();
        trainer.Fit(model, data, data);

        var callback = trainer.CheckpointCallback!;
        Assert.Equal(2, callback.BestKModels.Count);
        Assert.Equal(2, Directory.GetFiles(Path.GetDirectoryName(callback.BestModelPath!)!).Length);
        Assert.Equal(callback.BestKModels.Values.Min(), callback.BestModelScore);
        Assert.Matches(@"epoch=\d\d-val_loss=\d\.\d{3}\.ckpt$", callback.BestModelPath);

        var result = trainer.Test(model, data, ckptPath: "best");
        Assert.Equal(callback.BestModelScore!.Value, result[0]["test_loss"], 5);
    }

    [Fact]
    public void Test_of_the_best_checkpoint_works_with_the_default_checkpoint_callback()
    {
        using var dir = new TempDir();
        var model = new RegressionModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false });
        var fit = trainer.Fit(model, TestData.Line());

        // The ModelCheckpoint the trainer added for Fit is the one Test asks for "best", as in Lightning.
        trainer.Test(model, TestData.Line(), ckptPath: "best");
        Assert.Same(fit.BestModelPath, trainer.CheckpointCallback!.BestModelPath);
        Assert.EndsWith("epoch=1-step=8.ckpt", fit.BestModelPath);
    }
}
