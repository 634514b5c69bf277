// The one list of LitGen's module hooks. Linked into LitGen.Runtime (where ModuleHooks is public API),
// LitGen.Generators (dispatch table, loop driver) and LitGen.Analyzers (step methods, hooks that may not log,
// misspelled hooks), so a hook is named and described here once. A runtime test checks it against
// LightningModule, ILoopDriver<TBatch> and Callback by reflection.
using System;

#if LITGEN_RUNTIME
namespace LitGen;
#else
namespace LitGen.Shared;
#endif

/// <summary>
/// The overridable hooks of <c>LightningModule</c> and <c>LightningModule&lt;TBatch&gt;</c>. The generator records, as a
/// compile-time constant, which ones a module overrides; the trainer skips loops whose step is absent.
/// </summary>
[Flags]
#if LITGEN_RUNTIME
public
#else
internal
#endif
enum ModuleHooks : long
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
    OnValidationModelEval = 1L << 50,
    OnValidationModelTrain = 1L << 51,
    OnTestModelEval = 1L << 52,
    OnTestModelTrain = 1L << 53,
    OnPredictModelEval = 1L << 54,
    OptimizerStep = 1L << 55,
    OptimizerZeroGrad = 1L << 56,
    LrSchedulerStep = 1L << 57,
#pragma warning restore CS1591
}

/// <summary>Where a hook is declared and how the trainer reaches it.</summary>
internal enum HookKind
{
    /// <summary>A hook of the non-generic <c>LightningModule</c>, called through the trainer's hook caller.</summary>
    Module,
    /// <summary>A step of <c>LightningModule&lt;TBatch&gt;</c>, called per batch through the generated loop driver.</summary>
    Step,
    /// <summary>A per-batch hook of <c>LightningModule&lt;TBatch&gt;</c>, called through the loop driver.</summary>
    BatchHook,
    /// <summary>A batch transfer hook, combined into the driver's <c>TransferBatch</c>.</summary>
    Transfer,
    /// <summary>A dataloader hook of <c>LightningModule&lt;TBatch&gt;</c>.</summary>
    Dataloader,
}

/// <summary>What <c>Log</c> does inside a hook (Lightning's <c>fx_validator</c>): refused, or its default level.</summary>
internal enum HookLogging
{
    /// <summary>Logging raises: no step or epoch the value could belong to.</summary>
    None,
    /// <summary>Per step by default (training step, train batch, backward and optimizer hooks).</summary>
    Step,
    /// <summary>Per epoch by default, per step allowed (evaluation steps and batch hooks).</summary>
    Evaluation,
    /// <summary>Per epoch only (run and epoch start/end hooks).</summary>
    Epoch,
}

/// <summary>
/// One hook: its flag, declaration, logging rule, whether callbacks have it too and, for per-batch hooks, the loop
/// driver method that calls it (<c>{TBatch}</c> stands for the batch type; <see cref="DriverDefault"/> is the body when
/// the module does not override it, null when the driver always calls the module).
/// </summary>
internal sealed class HookInfo
{
    public HookInfo(ModuleHooks hook, HookKind kind, HookLogging logging, bool callback = false,
        string? driverReturn = null, string? driverParameters = null, string? driverArguments = null, string? driverDefault = null)
    {
        Hook = hook;
        Kind = kind;
        Logging = logging;
        HasCallback = callback;
        DriverReturn = driverReturn;
        DriverParameters = driverParameters;
        DriverArguments = driverArguments;
        DriverDefault = driverDefault;
    }

    public ModuleHooks Hook { get; }
    public string Name => Hook.ToString();
    public HookKind Kind { get; }
    public HookLogging Logging { get; }

    /// <summary><c>Callback</c> has the same hook (with the trainer and module in front), called before the module's.</summary>
    public bool HasCallback { get; }
    public string? DriverReturn { get; }
    public string? DriverParameters { get; }
    public string? DriverArguments { get; }
    public string? DriverDefault { get; }

    /// <summary>Runs inside the trainer's per-step dispose scope with the batch (steps and per-batch hooks).</summary>
    public bool IsPerBatch => Kind is HookKind.Step or HookKind.BatchHook;
}

/// <summary>Every hook in <see cref="ModuleHooks"/> order.</summary>
internal static class HookTable
{
    private const string Tensor = "global::TorchSharp.torch.Tensor";
    private const string StepParameters = "{TBatch} batch, int batchIdx";
    private const string EvaluationParameters = "{TBatch} batch, int batchIdx, int dataloaderIdx";
    private const string EvaluationEndParameters = Tensor + "? outputs, {TBatch} batch, int batchIdx, int dataloaderIdx";

    public static readonly HookInfo[] All =
    {
        new(ModuleHooks.TrainingStep, HookKind.Step, HookLogging.Step, callback: false, Tensor + "?", StepParameters, "batch, batchIdx", "null"),
        new(ModuleHooks.ValidationStep, HookKind.Step, HookLogging.Evaluation, callback: false, Tensor + "?", StepParameters, "batch, batchIdx", "null"),
        new(ModuleHooks.TestStep, HookKind.Step, HookLogging.Evaluation, callback: false, Tensor + "?", StepParameters, "batch, batchIdx", "null"),
        new(ModuleHooks.PredictStep, HookKind.Step, HookLogging.None, callback: false, Tensor, StepParameters, "batch, batchIdx"),
        new(ModuleHooks.ConfigureOptimizers, HookKind.Module, HookLogging.None),
        new(ModuleHooks.ConfigureCallbacks, HookKind.Module, HookLogging.None),
        new(ModuleHooks.PrepareData, HookKind.Module, HookLogging.None),
        new(ModuleHooks.Setup, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.Teardown, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.ConfigureModel, HookKind.Module, HookLogging.None),
        new(ModuleHooks.OnFitStart, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnFitEnd, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnTrainStart, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnTrainEnd, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnValidationStart, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnValidationEnd, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnTestStart, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnTestEnd, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnPredictStart, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnPredictEnd, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnTrainEpochStart, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnTrainEpochEnd, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnValidationEpochStart, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnValidationEpochEnd, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnTestEpochStart, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnTestEpochEnd, HookKind.Module, HookLogging.Epoch, callback: true),
        new(ModuleHooks.OnPredictEpochStart, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnPredictEpochEnd, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnBeforeBackward, HookKind.Module, HookLogging.Step, callback: true),
        new(ModuleHooks.OnAfterBackward, HookKind.Module, HookLogging.Step, callback: true),
        new(ModuleHooks.OnBeforeOptimizerStep, HookKind.Module, HookLogging.Step, callback: true),
        new(ModuleHooks.OnBeforeZeroGrad, HookKind.Module, HookLogging.Step, callback: true),
        new(ModuleHooks.ConfigureGradientClipping, HookKind.Module, HookLogging.Step),
        new(ModuleHooks.OnSaveCheckpoint, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnLoadCheckpoint, HookKind.Module, HookLogging.None, callback: true),
        new(ModuleHooks.OnTrainBatchStart, HookKind.BatchHook, HookLogging.Step, callback: true, "void", StepParameters, "batch, batchIdx", ""),
        new(ModuleHooks.OnTrainBatchEnd, HookKind.BatchHook, HookLogging.Step, callback: true, "void", Tensor + "? outputs, " + StepParameters, "outputs, batch, batchIdx", ""),
        new(ModuleHooks.OnValidationBatchStart, HookKind.BatchHook, HookLogging.Evaluation, callback: true, "void", EvaluationParameters, "batch, batchIdx, dataloaderIdx", ""),
        new(ModuleHooks.OnValidationBatchEnd, HookKind.BatchHook, HookLogging.Evaluation, callback: true, "void", EvaluationEndParameters, "outputs, batch, batchIdx, dataloaderIdx", ""),
        new(ModuleHooks.OnTestBatchStart, HookKind.BatchHook, HookLogging.Evaluation, callback: true, "void", EvaluationParameters, "batch, batchIdx, dataloaderIdx", ""),
        new(ModuleHooks.OnTestBatchEnd, HookKind.BatchHook, HookLogging.Evaluation, callback: true, "void", EvaluationEndParameters, "outputs, batch, batchIdx, dataloaderIdx", ""),
        new(ModuleHooks.OnPredictBatchStart, HookKind.BatchHook, HookLogging.None, callback: true, "void", EvaluationParameters, "batch, batchIdx, dataloaderIdx", ""),
        new(ModuleHooks.OnPredictBatchEnd, HookKind.BatchHook, HookLogging.None, callback: true, "void", EvaluationEndParameters, "outputs, batch, batchIdx, dataloaderIdx", ""),
        new(ModuleHooks.OnBeforeBatchTransfer, HookKind.Transfer, HookLogging.None),
        new(ModuleHooks.TransferBatchToDevice, HookKind.Transfer, HookLogging.None),
        new(ModuleHooks.OnAfterBatchTransfer, HookKind.Transfer, HookLogging.None),
        new(ModuleHooks.TrainDataloader, HookKind.Dataloader, HookLogging.None),
        new(ModuleHooks.ValDataloader, HookKind.Dataloader, HookLogging.None),
        new(ModuleHooks.TestDataloader, HookKind.Dataloader, HookLogging.None),
        new(ModuleHooks.PredictDataloader, HookKind.Dataloader, HookLogging.None),
        new(ModuleHooks.OnValidationModelEval, HookKind.Module, HookLogging.None),
        new(ModuleHooks.OnValidationModelTrain, HookKind.Module, HookLogging.None),
        new(ModuleHooks.OnTestModelEval, HookKind.Module, HookLogging.None),
        new(ModuleHooks.OnTestModelTrain, HookKind.Module, HookLogging.None),
        new(ModuleHooks.OnPredictModelEval, HookKind.Module, HookLogging.None),
        new(ModuleHooks.OptimizerStep, HookKind.Module, HookLogging.Step),
        new(ModuleHooks.OptimizerZeroGrad, HookKind.Module, HookLogging.Step),
        new(ModuleHooks.LrSchedulerStep, HookKind.Module, HookLogging.None),
    };

    /// <summary>The entry of a single hook flag.</summary>
    public static HookInfo Of(ModuleHooks hook)
    {
        ulong bits = (ulong)hook;
        int index = 0;
        while ((bits >>= 1) != 0) index++;
        return All[index];
    }
}
