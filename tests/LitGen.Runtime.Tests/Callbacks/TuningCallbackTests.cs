using LitGen.Runtime.Tests.Support;
using LitGen.Runtime.Tests.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen.Runtime.Tests.Callbacks;

/// <summary>Copies the module's parameters at every training epoch start and when training starts.</summary>
public sealed class WeightRecorder : Callback
{
    public List<List<Tensor>> AtEpochStart { get; } = [];
    public List<Tensor>? AtTrainStart { get; private set; }
    public double LearningRateAtTrainStart { get; private set; }

    private static List<Tensor> Copy(LightningModule module) => module.parameters().Select(p => p.detach().clone()).ToList();

    public override void OnTrainStart(Trainer trainer, LightningModule module)
    {
        AtTrainStart = Copy(module);
        LearningRateAtTrainStart = module.Optimizers()[0].ParamGroups.First().LearningRate;
    }

    public override void OnTrainEpochStart(Trainer trainer, LightningModule module) => AtEpochStart.Add(Copy(module));
}

public class TuningCallbackTests
{
    [Fact]
    public void Stochastic_weight_averaging_averages_the_epoch_start_weights_and_anneals_the_learning_rate()
    {
        using var dir = new TempDir();
        var recorder = new WeightRecorder();
        var swa = new StochasticWeightAveraging(0.01) { SwaEpochStart = 0.6, AnnealingEpochs = 1 };
        var model = new RegressionModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 5, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false, Callbacks = [recorder, swa] });
        trainer.Fit(model, TestData.Line());

        // int(5 × 0.6) = 3 → averaging from the start of epoch 2 (0-based) to the start of the last epoch, 4.
        Assert.Equal(3, swa.Averaged);
        var parameters = model.parameters().ToList();
        for (int i = 0; i < parameters.Count; i++)
        {
            var expected = (recorder.AtEpochStart[2][i] + recorder.AtEpochStart[3][i] + recorder.AtEpochStart[4][i]) / 3;
            Assert.True(parameters[i].allclose(expected, rtol: 1e-5, atol: 1e-6), $"parameter {i}");
        }
        Assert.Equal(0.01, model.Optimizers()[0].ParamGroups.First().LearningRate, 12);
    }

    [Fact]
    public void Stochastic_weight_averaging_refuses_several_optimizers()
    {
        using var dir = new TempDir();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, Logger = false, Callbacks = [new StochasticWeightAveraging(0.01)] });
        Assert.Throws<MisconfigurationException>(() => trainer.Fit(new TinyGan(), Enumerable.Range(0, 2).Select(_ => randn(4, 1)).ToList()));
    }

    [Fact]
    public void Learning_rate_finder_sweeps_suggests_and_restores_the_starting_point()
    {
        using var dir = new TempDir();
        var recorder = new WeightRecorder();
        var finder = new LearningRateFinder { MinLr = 1e-5, MaxLr = 1, NumTrainingSteps = 40, EarlyStopThreshold = null };
        manual_seed(3);
        var model = new RegressionModule();
        var initial = model.parameters().Select(p => p.detach().clone()).ToList();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false, Callbacks = [finder, recorder] });
        trainer.Fit(model, TestData.Line(batches: 8));

        Assert.Equal(40, finder.LearningRates.Count);
        Assert.Equal(1e-5, finder.LearningRates[0], 12);
        Assert.Equal(Math.Pow(1e5, 1.0 / 40), finder.LearningRates[1] / finder.LearningRates[0], 9);
        Assert.NotNull(finder.SuggestedLearningRate);
        Assert.Contains(finder.SuggestedLearningRate!.Value, finder.LearningRates);
        Assert.Equal(finder.SuggestedLearningRate.Value, recorder.LearningRateAtTrainStart, 12);
        for (int i = 0; i < initial.Count; i++) Assert.True((initial[i] == recorder.AtTrainStart![i]).all().item<bool>(), $"parameter {i} was not restored");
        Assert.Equal(8, trainer.GlobalStep);

        // Lightning's suggestion: the steepest descent of the smoothed loss (numpy.gradient), skipping the first 10 and last point.
        var losses = finder.Losses.Skip(10).Take(finder.Losses.Count - 11).ToArray();
        var gradient = losses.Select((_, i) => i == 0 ? losses[1] - losses[0] : i == losses.Length - 1 ? losses[i] - losses[i - 1] : (losses[i + 1] - losses[i - 1]) / 2).ToArray();
        int steepest = Array.IndexOf(gradient, gradient.Min()) + 10;
        Assert.Equal(finder.LearningRates[steepest], finder.SuggestedLearningRate.Value);
        Assert.NotEqual(finder.Losses.ToList().IndexOf(finder.Losses.Min()), steepest);
    }

    [Fact]
    public void Learning_rate_finder_stops_early_when_the_loss_explodes()
    {
        using var dir = new TempDir();
        var finder = new LearningRateFinder { MinLr = 1e-3, MaxLr = 1e4, NumTrainingSteps = 60 };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, EnableCheckpointing = false, Callbacks = [finder] });
        trainer.Fit(new ConfigurableModule { Optimization = m => SGD(m.parameters(), 0.1) }, TestData.Line(batches: 8));
        Assert.InRange(finder.Losses.Count, 2, 59);
    }

    [Fact]
    public void Learning_rate_finder_cannot_update_a_rate_that_schedulers_captured()
    {
        using var dir = new TempDir();
        var model = new ConfigurableModule { Optimization = m => { var o = SGD(m.parameters(), 0.1); return new OptimizerConfig(o, lr_scheduler.StepLR(o, 1)); } };
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, Logger = false, Callbacks = [new LearningRateFinder()] });
        Assert.Contains("SuggestedLearningRate", Assert.Throws<MisconfigurationException>(() => trainer.Fit(model, TestData.Line())).Message);
    }
}
