using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen.Runtime.Tests.Training;

[LightningModule]
public partial class RecordingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public List<string> Calls { get; } = [];

    private void Record(string hook) => Calls.Add("M." + hook);

    public override IEnumerable<Callback> ConfigureCallbacks() { Record(nameof(ConfigureCallbacks)); return []; }
    public override void PrepareData() => Record(nameof(PrepareData));
    public override void Setup(Stage stage) => Record($"{nameof(Setup)}({stage})");
    public override void Teardown(Stage stage) => Record($"{nameof(Teardown)}({stage})");
    public override void ConfigureModel() => Record(nameof(ConfigureModel));
    public override OptimizerConfig ConfigureOptimizers() { Record(nameof(ConfigureOptimizers)); return SGD(parameters(), 0.1); }
    public override void OnFitStart() => Record(nameof(OnFitStart));
    public override void OnFitEnd() => Record(nameof(OnFitEnd));
    public override void OnTrainStart() => Record(nameof(OnTrainStart));
    public override void OnTrainEnd() => Record(nameof(OnTrainEnd));
    public override void OnTrainEpochStart() => Record(nameof(OnTrainEpochStart));
    public override void OnTrainEpochEnd() => Record(nameof(OnTrainEpochEnd));
    public override void OnValidationStart() => Record(nameof(OnValidationStart));
    public override void OnValidationEnd() => Record(nameof(OnValidationEnd));
    public override void OnValidationEpochStart() => Record(nameof(OnValidationEpochStart));
    public override void OnValidationEpochEnd() => Record(nameof(OnValidationEpochEnd));
    public override (Tensor X, Tensor Y) OnBeforeBatchTransfer((Tensor X, Tensor Y) batch, int dataloaderIdx) { Record(nameof(OnBeforeBatchTransfer)); return batch; }
    public override (Tensor X, Tensor Y) TransferBatchToDevice((Tensor X, Tensor Y) batch, Device device, int dataloaderIdx) { Record(nameof(TransferBatchToDevice)); return base.TransferBatchToDevice(batch, device, dataloaderIdx); }
    public override (Tensor X, Tensor Y) OnAfterBatchTransfer((Tensor X, Tensor Y) batch, int dataloaderIdx) { Record(nameof(OnAfterBatchTransfer)); return batch; }
    public override void OnTrainBatchStart((Tensor X, Tensor Y) batch, int batchIdx) => Record(nameof(OnTrainBatchStart));
    public override void OnTrainBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx) => Record(nameof(OnTrainBatchEnd));
    public override void OnValidationBatchStart((Tensor X, Tensor Y) batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnValidationBatchStart));
    public override void OnValidationBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnValidationBatchEnd));
    public override void OnBeforeZeroGrad(Optimizer optimizer) => Record(nameof(OnBeforeZeroGrad));
    public override void OnBeforeBackward(Tensor loss) => Record(nameof(OnBeforeBackward));
    public override void OnAfterBackward() => Record(nameof(OnAfterBackward));
    public override void OnBeforeOptimizerStep(Optimizer optimizer) => Record(nameof(OnBeforeOptimizerStep));
    public override void ConfigureGradientClipping(Optimizer optimizer, double? gradientClipVal, GradientClipAlgorithm? gradientClipAlgorithm) => Record(nameof(ConfigureGradientClipping));
    public override void OnSaveCheckpoint(Checkpoint checkpoint) => Record(nameof(OnSaveCheckpoint));
    public override void OnTestStart() => Record(nameof(OnTestStart));
    public override void OnTestEnd() => Record(nameof(OnTestEnd));
    public override void OnTestEpochStart() => Record(nameof(OnTestEpochStart));
    public override void OnTestEpochEnd() => Record(nameof(OnTestEpochEnd));
    public override void OnTestBatchStart((Tensor X, Tensor Y) batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnTestBatchStart));
    public override void OnTestBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnTestBatchEnd));
    public override void OnPredictStart() => Record(nameof(OnPredictStart));
    public override void OnPredictEnd() => Record(nameof(OnPredictEnd));
    public override void OnPredictEpochStart() => Record(nameof(OnPredictEpochStart));
    public override void OnPredictEpochEnd() => Record(nameof(OnPredictEpochEnd));
    public override void OnPredictBatchStart((Tensor X, Tensor Y) batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnPredictBatchStart));
    public override void OnPredictBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnPredictBatchEnd));

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Record(nameof(TestStep));
        return null;
    }

    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Record(nameof(PredictStep));
        return batch.X;
    }

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Record(nameof(TrainingStep));
        return nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Record(nameof(ValidationStep));
        return null;
    }
}

public sealed class RecordingCallback(List<string> calls) : Callback
{
    private void Record(string hook) => calls.Add("C." + hook);

    public override JsonObject? StateDict() { Record(nameof(StateDict)); return null; }
    public override void Setup(Trainer trainer, LightningModule module, Stage stage) => Record($"{nameof(Setup)}({stage})");
    public override void Teardown(Trainer trainer, LightningModule module, Stage stage) => Record($"{nameof(Teardown)}({stage})");
    public override void OnFitStart(Trainer trainer, LightningModule module) => Record(nameof(OnFitStart));
    public override void OnFitEnd(Trainer trainer, LightningModule module) => Record(nameof(OnFitEnd));
    public override void OnSanityCheckStart(Trainer trainer, LightningModule module) => Record(nameof(OnSanityCheckStart));
    public override void OnSanityCheckEnd(Trainer trainer, LightningModule module) => Record(nameof(OnSanityCheckEnd));
    public override void OnTrainStart(Trainer trainer, LightningModule module) => Record(nameof(OnTrainStart));
    public override void OnTrainEnd(Trainer trainer, LightningModule module) => Record(nameof(OnTrainEnd));
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module) => Record(nameof(OnTrainEpochStart));
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module) => Record(nameof(OnTrainEpochEnd));
    public override void OnTrainBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx) => Record(nameof(OnTrainBatchStart));
    public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx) => Record(nameof(OnTrainBatchEnd));
    public override void OnValidationStart(Trainer trainer, LightningModule module) => Record(nameof(OnValidationStart));
    public override void OnValidationEnd(Trainer trainer, LightningModule module) => Record(nameof(OnValidationEnd));
    public override void OnValidationEpochStart(Trainer trainer, LightningModule module) => Record(nameof(OnValidationEpochStart));
    public override void OnValidationEpochEnd(Trainer trainer, LightningModule module) => Record(nameof(OnValidationEpochEnd));
    public override void OnValidationBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnValidationBatchStart));
    public override void OnValidationBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnValidationBatchEnd));
    public override void OnBeforeBackward(Trainer trainer, LightningModule module, Tensor loss) => Record(nameof(OnBeforeBackward));
    public override void OnAfterBackward(Trainer trainer, LightningModule module) => Record(nameof(OnAfterBackward));
    public override void OnBeforeOptimizerStep(Trainer trainer, LightningModule module, Optimizer optimizer) => Record(nameof(OnBeforeOptimizerStep));
    public override void OnBeforeZeroGrad(Trainer trainer, LightningModule module, Optimizer optimizer) => Record(nameof(OnBeforeZeroGrad));
    public override void OnSaveCheckpoint(Trainer trainer, LightningModule module, Checkpoint checkpoint) => Record(nameof(OnSaveCheckpoint));
    public override void OnTestStart(Trainer trainer, LightningModule module) => Record(nameof(OnTestStart));
    public override void OnTestEnd(Trainer trainer, LightningModule module) => Record(nameof(OnTestEnd));
    public override void OnTestEpochStart(Trainer trainer, LightningModule module) => Record(nameof(OnTestEpochStart));
    public override void OnTestEpochEnd(Trainer trainer, LightningModule module) => Record(nameof(OnTestEpochEnd));
    public override void OnTestBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnTestBatchStart));
    public override void OnTestBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnTestBatchEnd));
    public override void OnPredictStart(Trainer trainer, LightningModule module) => Record(nameof(OnPredictStart));
    public override void OnPredictEnd(Trainer trainer, LightningModule module) => Record(nameof(OnPredictEnd));
    public override void OnPredictEpochStart(Trainer trainer, LightningModule module) => Record(nameof(OnPredictEpochStart));
    public override void OnPredictEpochEnd(Trainer trainer, LightningModule module) => Record(nameof(OnPredictEpochEnd));
    public override void OnPredictBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnPredictBatchStart));
    public override void OnPredictBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx, int dataloaderIdx) => Record(nameof(OnPredictBatchEnd));
}

public class HookOrderTests
{
    private static IEnumerable<string> Both(params string[] hooks) => hooks.SelectMany(h => new[] { "C." + h, "M." + h });

    private static IEnumerable<string> ValidationRun(int batches) => EvaluationRun("Validation", "ValidationStep", batches);

    /// <summary>Validation, test and predict runs share one shape: start, epoch start, batches, epoch end, end.</summary>
    private static IEnumerable<string> EvaluationRun(string kind, string step, int batches)
    {
        string[] transfer = ["M.OnBeforeBatchTransfer", "M.TransferBatchToDevice", "M.OnAfterBatchTransfer"];
        var run = Both($"On{kind}Start", $"On{kind}EpochStart").ToList();
        for (int b = 0; b < batches; b++)
            run.AddRange([.. transfer, $"C.On{kind}BatchStart", $"M.On{kind}BatchStart", "M." + step, $"C.On{kind}BatchEnd", $"M.On{kind}BatchEnd"]);
        run.AddRange(Both($"On{kind}EpochEnd", $"On{kind}End"));
        return run;
    }

    private static List<string> ExpectedEvaluation(Stage stage, string kind, string step, int batches) =>
    [
        "M.ConfigureCallbacks", "M.PrepareData", $"C.Setup({stage})", $"M.Setup({stage})", "M.ConfigureModel",
        .. EvaluationRun(kind, step, batches),
        $"C.Teardown({stage})", $"M.Teardown({stage})",
    ];

    private static (RecordingModule Model, Trainer Trainer) NewRun(TempDir dir)
    {
        var model = new RecordingModule();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1,
            DefaultRootDir = dir.Path,
            EnableProgressBar = false,
            Logger = false,
            Callbacks = [new RecordingCallback(model.Calls)],
        });
        return (model, trainer);
    }

    [Fact]
    public void Validate_test_and_predict_call_hooks_in_Lightning_order()
    {
        using var dir = new TempDir();
        var data = TestData.Line(batches: 2, batchSize: 2);

        var (model, trainer) = NewRun(dir);
        trainer.Validate(model, data);
        Assert.Equal(ExpectedEvaluation(Stage.Validate, "Validation", "ValidationStep", 2), model.Calls);

        (model, trainer) = NewRun(dir);
        trainer.Test(model, data);
        Assert.Equal(ExpectedEvaluation(Stage.Test, "Test", "TestStep", 2), model.Calls);

        (model, trainer) = NewRun(dir);
        foreach (var prediction in trainer.Predict(model, data)) prediction.Dispose();
        Assert.Equal(ExpectedEvaluation(Stage.Predict, "Predict", "PredictStep", 2), model.Calls);
    }

    /// <summary>SPEC §2.2, which follows Lightning's documented order.</summary>
    private static List<string> ExpectedFit(int trainBatches, int valBatches)
    {
        var expected = new List<string> { "M.ConfigureCallbacks", "M.PrepareData", "C.Setup(Fit)", "M.Setup(Fit)", "M.ConfigureModel", "M.ConfigureOptimizers" };
        expected.AddRange(Both("OnFitStart"));
        expected.Add("C.OnSanityCheckStart");
        expected.AddRange(ValidationRun(valBatches));
        expected.Add("C.OnSanityCheckEnd");
        expected.AddRange(Both("OnTrainStart", "OnTrainEpochStart"));
        for (int b = 0; b < trainBatches; b++)
        {
            expected.AddRange(["M.OnBeforeBatchTransfer", "M.TransferBatchToDevice", "M.OnAfterBatchTransfer"]);
            expected.AddRange(Both("OnTrainBatchStart"));
            expected.Add("M.TrainingStep");
            expected.AddRange(Both("OnBeforeZeroGrad", "OnBeforeBackward", "OnAfterBackward", "OnBeforeOptimizerStep"));
            expected.Add("M.ConfigureGradientClipping");
            expected.AddRange(Both("OnTrainBatchEnd"));
        }
        expected.AddRange(ValidationRun(valBatches));
        expected.AddRange(Both("OnTrainEpochEnd"));
        expected.AddRange(["C.StateDict", "C.OnSaveCheckpoint", "M.OnSaveCheckpoint"]);
        expected.AddRange(Both("OnTrainEnd", "OnFitEnd"));
        expected.AddRange(["C.Teardown(Fit)", "M.Teardown(Fit)"]);
        return expected;
    }

    [Fact]
    public void Fit_calls_hooks_in_Lightning_order()
    {
        using var dir = new TempDir();
        var (model, trainer) = NewRun(dir);
        trainer.Fit(model, TestData.Line(batches: 2, batchSize: 2), TestData.Line(batches: 2, batchSize: 2));
        Assert.Equal(ExpectedFit(trainBatches: 2, valBatches: 2), model.Calls);
    }
}
