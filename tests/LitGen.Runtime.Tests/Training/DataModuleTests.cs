using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

public sealed class LineDataModule(List<string> calls) : LightningDataModule<(Tensor X, Tensor Y)>
{
    public override void PrepareData() => calls.Add("D.PrepareData");
    public override void Setup(Stage stage) => calls.Add($"D.Setup({stage})");
    public override void Teardown(Stage stage) => calls.Add($"D.Teardown({stage})");
    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader() => TestData.Line(batches: 3, batchSize: 2);
    public override IEnumerable<(Tensor X, Tensor Y)>? ValDataloader() => TestData.Line(batches: 1, batchSize: 2);
    public override IEnumerable<(Tensor X, Tensor Y)>? TestDataloader() => TestData.Line(batches: 2, batchSize: 2);
}

public class DataModuleTests
{
    [Fact]
    public void Datamodule_hooks_run_before_the_module_and_provide_the_dataloaders()
    {
        using var dir = new TempDir();
        var model = new RecordingModule();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false, NumSanityValSteps = 0 });
        trainer.Fit(model, new LineDataModule(model.Calls));

        Assert.Equal(6, trainer.GlobalStep);
        Assert.Equal(["D.PrepareData", "M.PrepareData", "D.Setup(Fit)", "M.Setup(Fit)"],
            model.Calls.Where(c => c.Contains("PrepareData") || c.Contains("Setup")));
        Assert.Equal(["D.Teardown(Fit)", "M.Teardown(Fit)"], model.Calls.Where(c => c.Contains("Teardown")));

        model.Calls.Clear();
        trainer.Test(model, new LineDataModule(model.Calls));
        Assert.Equal(2, model.Calls.Count(c => c == "M.TestStep"));
    }
}
