using LitGen.Runtime.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static TorchSharp.torch.optim;

namespace LitGen.Runtime.Tests.Seeds;

// Lightning's warm-up recipe (docs/source-pytorch/common/optimization.rst, "Total Stepping Batches"):
//
//   def configure_optimizers(self):
//       optimizer = torch.optim.SGD(self.parameters(), lr=1e-3)
//       scheduler = torch.optim.lr_scheduler.OneCycleLR(
//           optimizer, max_lr=1e-3, total_steps=self.trainer.estimated_stepping_batches
//       )
//       return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
//
// Lightning 2.1.4, run here: estimated_stepping_batches is 20 inside configure_optimizers for 2 epochs × 10 batches.
[LightningModule]
public partial class WarmupModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Linear layer = Linear(1, 1);

    public double? StepsSeenInConfigureOptimizers { get; private set; }

    public List<double> LearningRates { get; } = [];

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        LearningRates.Add(Optimizers()[0].ParamGroups.First().LearningRate);
        return functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override OptimizerConfig ConfigureOptimizers()
    {
        StepsSeenInConfigureOptimizers = Trainer!.EstimatedSteppingBatches;
        var optimizer = SGD(parameters(), 1e-3);
        var scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr: 1e-3, total_steps: (int)Trainer.EstimatedSteppingBatches);
        return new OptimizerConfig(optimizer, new LrSchedulerConfig(scheduler) { Interval = Interval.Step });
    }
}

public class WarmupSeed
{
    [Fact]
    public void OneCycle_sized_by_EstimatedSteppingBatches_warms_up_over_the_whole_fit()
    {
        using var dir = new TempDir();
        var model = new WarmupModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(model, TestData.Line(batches: 10, batchSize: 2));

        Assert.Equal(20, model.StepsSeenInConfigureOptimizers);
        Assert.Equal(20, trainer.GlobalStep);
        // Up to max_lr by 30% of the steps, then down: the peak is in the first epoch.
        int peak = model.LearningRates.IndexOf(model.LearningRates.Max());
        Assert.InRange(peak, 4, 7);
        Assert.True(model.LearningRates[^1] < model.LearningRates[0]);
    }

    [Fact]
    public void EstimatedSteppingBatches_counts_accumulation_and_the_batch_limit()
    {
        using var dir = new TempDir();
        var model = new WarmupModule();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 3, AccumulateGradBatches = 4, LimitTrainBatches = 9, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false,
        });
        trainer.Fit(model, TestData.Line(batches: 10, batchSize: 2));
        Assert.Equal(9, model.StepsSeenInConfigureOptimizers);   // ceil(9 / 4) × 3
        Assert.Equal(9, trainer.GlobalStep);
    }
}
