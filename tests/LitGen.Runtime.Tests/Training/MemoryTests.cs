using LitGen.Runtime.Tests.Support;
using TorchSharp;

namespace LitGen.Runtime.Tests.Training;

public class MemoryTests
{
    private static long LiveTensorsAfterFit(int epochs)
    {
        using var dir = new TempDir();
        var model = new RegressionModule();
        var data = TestData.Line();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = epochs, DefaultRootDir = dir.Path, EnableProgressBar = false });
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Fit(model, data, data);
        return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
    }

    [Fact]
    public void Live_tensors_do_not_grow_with_the_number_of_steps()
    {
        // One epoch already creates the optimizer state; more epochs (and steps, logs, checkpoints) must add nothing.
        long oneEpoch = LiveTensorsAfterFit(1);
        long fiveEpochs = LiveTensorsAfterFit(5);
        Assert.Equal(oneEpoch, fiveEpochs);
    }

    [Fact]
    public void After_fit_only_the_optimizer_state_is_alive()
    {
        // Adam keeps exp_avg and exp_avg_sq for each of RegressionModule's 4 parameters; everything the trainer made
        // for steps, logging, validation, the sanity check and checkpoints is freed.
        Assert.Equal(2 * 4, LiveTensorsAfterFit(3));
    }
}
