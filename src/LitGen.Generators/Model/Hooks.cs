namespace LitGen.Generators.Model;

/// <summary>The hooks of LitGen's module base classes, as the runtime's <c>ModuleHooks</c> flags name them.</summary>
internal static class Hooks
{
    /// <summary>In the order of <c>ModuleHooks</c>; a test keeps the two in step.</summary>
    public static readonly string[] All =
    {
        "TrainingStep", "ValidationStep", "TestStep", "PredictStep", "ConfigureOptimizers", "ConfigureCallbacks", "PrepareData",
        "Setup", "Teardown", "ConfigureModel", "OnFitStart", "OnFitEnd", "OnTrainStart", "OnTrainEnd", "OnValidationStart",
        "OnValidationEnd", "OnTestStart", "OnTestEnd", "OnPredictStart", "OnPredictEnd", "OnTrainEpochStart", "OnTrainEpochEnd",
        "OnValidationEpochStart", "OnValidationEpochEnd", "OnTestEpochStart", "OnTestEpochEnd", "OnPredictEpochStart",
        "OnPredictEpochEnd", "OnBeforeBackward", "OnAfterBackward", "OnBeforeOptimizerStep", "OnBeforeZeroGrad",
        "ConfigureGradientClipping", "OnSaveCheckpoint", "OnLoadCheckpoint", "OnTrainBatchStart", "OnTrainBatchEnd",
        "OnValidationBatchStart", "OnValidationBatchEnd", "OnTestBatchStart", "OnTestBatchEnd", "OnPredictBatchStart",
        "OnPredictBatchEnd", "OnBeforeBatchTransfer", "TransferBatchToDevice", "OnAfterBatchTransfer", "TrainDataloader",
        "ValDataloader", "TestDataloader", "PredictDataloader",
    };

    /// <summary>A per-batch call of the loop driver: its parameters, and what it does when the module does not override it.</summary>
    public sealed record DriverMethod(string Name, string ReturnType, string Parameters, string Arguments, string? DefaultBody);

    private const string Tensor = "global::TorchSharp.torch.Tensor";

    /// <summary>The driver's per-batch methods besides the batch transfer; <c>{TBatch}</c> stands for the batch type.</summary>
    public static readonly DriverMethod[] DriverMethods =
    {
        new("OnTrainBatchStart", "void", "{TBatch} batch, int batchIdx", "batch, batchIdx", ""),
        new("TrainingStep", Tensor + "?", "{TBatch} batch, int batchIdx", "batch, batchIdx", "null"),
        new("OnTrainBatchEnd", "void", Tensor + "? outputs, {TBatch} batch, int batchIdx", "outputs, batch, batchIdx", ""),
        new("OnValidationBatchStart", "void", "{TBatch} batch, int batchIdx, int dataloaderIdx", "batch, batchIdx, dataloaderIdx", ""),
        new("ValidationStep", Tensor + "?", "{TBatch} batch, int batchIdx", "batch, batchIdx", "null"),
        new("OnValidationBatchEnd", "void", Tensor + "? outputs, {TBatch} batch, int batchIdx, int dataloaderIdx", "outputs, batch, batchIdx, dataloaderIdx", ""),
        new("OnTestBatchStart", "void", "{TBatch} batch, int batchIdx, int dataloaderIdx", "batch, batchIdx, dataloaderIdx", ""),
        new("TestStep", Tensor + "?", "{TBatch} batch, int batchIdx", "batch, batchIdx", "null"),
        new("OnTestBatchEnd", "void", Tensor + "? outputs, {TBatch} batch, int batchIdx, int dataloaderIdx", "outputs, batch, batchIdx, dataloaderIdx", ""),
        new("OnPredictBatchStart", "void", "{TBatch} batch, int batchIdx, int dataloaderIdx", "batch, batchIdx, dataloaderIdx", ""),
        new("PredictStep", Tensor, "{TBatch} batch, int batchIdx", "batch, batchIdx", null),
        new("OnPredictBatchEnd", "void", Tensor + "? outputs, {TBatch} batch, int batchIdx, int dataloaderIdx", "outputs, batch, batchIdx, dataloaderIdx", ""),
    };
}
