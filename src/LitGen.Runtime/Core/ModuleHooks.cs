using System;

namespace LitGen;

/// <summary>
/// The overridable hooks of <see cref="LightningModule"/> and <see cref="LightningModule{TBatch}"/>. The generator
/// records, as a compile-time constant, which ones a module overrides; the trainer skips loops whose step is absent.
/// </summary>
[Flags]
public enum ModuleHooks : long
{
    /// <summary>No hook.</summary>
    None = 0,
#pragma warning disable CS1591 // each member is the hook of the same name
    TrainingStep = 1L << 0,
    ValidationStep = 1L << 1,
    TestStep = 1L << 2,
    PredictStep = 1L << 3,
    ConfigureOptimizers = 1L << 4,
    ConfigureCallbacks = 1L << 5,
    PrepareData = 1L << 6,
    Setup = 1L << 7,
    Teardown = 1L << 8,
    ConfigureModel = 1L << 9,
    OnFitStart = 1L << 10,
    OnFitEnd = 1L << 11,
    OnTrainStart = 1L << 12,
    OnTrainEnd = 1L << 13,
    OnValidationStart = 1L << 14,
    OnValidationEnd = 1L << 15,
    OnTestStart = 1L << 16,
    OnTestEnd = 1L << 17,
    OnPredictStart = 1L << 18,
    OnPredictEnd = 1L << 19,
    OnTrainEpochStart = 1L << 20,
    OnTrainEpochEnd = 1L << 21,
    OnValidationEpochStart = 1L << 22,
    OnValidationEpochEnd = 1L << 23,
    OnTestEpochStart = 1L << 24,
    OnTestEpochEnd = 1L << 25,
    OnPredictEpochStart = 1L << 26,
    OnPredictEpochEnd = 1L << 27,
    OnBeforeBackward = 1L << 28,
    OnAfterBackward = 1L << 29,
    OnBeforeOptimizerStep = 1L << 30,
    OnBeforeZeroGrad = 1L << 31,
    ConfigureGradientClipping = 1L << 32,
    OnSaveCheckpoint = 1L << 33,
    OnLoadCheckpoint = 1L << 34,
    OnTrainBatchStart = 1L << 35,
    OnTrainBatchEnd = 1L << 36,
    OnValidationBatchStart = 1L << 37,
    OnValidationBatchEnd = 1L << 38,
    OnTestBatchStart = 1L << 39,
    OnTestBatchEnd = 1L << 40,
    OnPredictBatchStart = 1L << 41,
    OnPredictBatchEnd = 1L << 42,
    OnBeforeBatchTransfer = 1L << 43,
    TransferBatchToDevice = 1L << 44,
    OnAfterBatchTransfer = 1L << 45,
    TrainDataloader = 1L << 46,
    ValDataloader = 1L << 47,
    TestDataloader = 1L << 48,
    PredictDataloader = 1L << 49,
#pragma warning restore CS1591
}
