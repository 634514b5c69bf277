using System;
using System.Collections.Generic;
using System.ComponentModel;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

// Every hook, module and callback side by side; src/Shared/HookTable.cs names and describes them once for the
// generator, the analyzers and the trainer. Adding a hook: a ModuleHooks member and HookTable entry there, the
// virtuals here, and one call in the loop that runs it (docs/architecture.md).

public abstract partial class LightningModule
{
    /// <summary>Returns the optimizer(s) and schedulers to train with; required by <c>Fit</c>.</summary>
    public virtual OptimizerConfig ConfigureOptimizers() => OptimizerConfig.None;
    /// <summary>Extra callbacks this module needs; they replace trainer callbacks of the same type.</summary>
    public virtual IEnumerable<Callback> ConfigureCallbacks() => [];
    /// <summary>Downloads or writes data once, before <see cref="Setup"/>.</summary>
    public virtual void PrepareData() { }
    /// <summary>Called at the beginning of fit, validate, test and predict.</summary>
    public virtual void Setup(Stage stage) { }
    /// <summary>Called at the end of fit, validate, test and predict.</summary>
    public virtual void Teardown(Stage stage) { }
    /// <summary>Builds layers late (after <see cref="Setup"/>); must be idempotent.</summary>
    public virtual void ConfigureModel() { }
    /// <summary>Called at the very beginning of fit.</summary>
    public virtual void OnFitStart() { }
    /// <summary>Called at the very end of fit.</summary>
    public virtual void OnFitEnd() { }
    /// <summary>Called when training begins, after the sanity check.</summary>
    public virtual void OnTrainStart() { }
    /// <summary>Called when training ends.</summary>
    public virtual void OnTrainEnd() { }
    /// <summary>Called when a validation run begins.</summary>
    public virtual void OnValidationStart() { }
    /// <summary>Called when a validation run ends.</summary>
    public virtual void OnValidationEnd() { }
    /// <summary>Called when a test run begins.</summary>
    public virtual void OnTestStart() { }
    /// <summary>Called when a test run ends.</summary>
    public virtual void OnTestEnd() { }
    /// <summary>Called when a prediction run begins.</summary>
    public virtual void OnPredictStart() { }
    /// <summary>Called when a prediction run ends.</summary>
    public virtual void OnPredictEnd() { }
    /// <summary>Called at the start of each training epoch.</summary>
    public virtual void OnTrainEpochStart() { }
    /// <summary>Called at the end of each training epoch, after its validation run.</summary>
    public virtual void OnTrainEpochEnd() { }
    /// <summary>Called at the start of each validation epoch.</summary>
    public virtual void OnValidationEpochStart() { }
    /// <summary>Called at the end of each validation epoch.</summary>
    public virtual void OnValidationEpochEnd() { }
    /// <summary>Called at the start of a test epoch.</summary>
    public virtual void OnTestEpochStart() { }
    /// <summary>Called at the end of a test epoch.</summary>
    public virtual void OnTestEpochEnd() { }
    /// <summary>Called at the start of a prediction epoch.</summary>
    public virtual void OnPredictEpochStart() { }
    /// <summary>Called at the end of a prediction epoch.</summary>
    public virtual void OnPredictEpochEnd() { }
    /// <summary>Called before <c>loss.backward()</c>.</summary>
    public virtual void OnBeforeBackward(Tensor loss) { }
    /// <summary>Called after <c>loss.backward()</c>, before the optimizer step.</summary>
    public virtual void OnAfterBackward() { }
    /// <summary>Called before the optimizer steps, before gradient clipping.</summary>
    public virtual void OnBeforeOptimizerStep(Optimizer optimizer) { }
    /// <summary>Called before the gradients are zeroed.</summary>
    public virtual void OnBeforeZeroGrad(Optimizer optimizer) { }

    /// <summary>
    /// Clips gradients before the optimizer step. The default clips with the trainer's
    /// <c>GradientClipVal</c>/<c>GradientClipAlgorithm</c>; override to clip differently.
    /// </summary>
    public virtual void ConfigureGradientClipping(Optimizer optimizer, double? gradientClipVal, GradientClipAlgorithm? gradientClipAlgorithm)
        => ClipGradients(optimizer, gradientClipVal, gradientClipAlgorithm);

    /// <summary>Adds entries to a checkpoint being written (see <see cref="Checkpoint.Extra"/>).</summary>
    public virtual void OnSaveCheckpoint(Checkpoint checkpoint) { }
    /// <summary>Reads entries from a checkpoint being loaded, before its weights are loaded.</summary>
    public virtual void OnLoadCheckpoint(Checkpoint checkpoint) { }

    /// <summary>Puts the module in evaluation mode before a validation run (Lightning's <c>on_validation_model_eval</c>).</summary>
    public virtual void OnValidationModelEval() => eval();
    /// <summary>Puts the module back in training mode after a validation run (Lightning's <c>on_validation_model_train</c>).</summary>
    public virtual void OnValidationModelTrain() => train();
    /// <summary>Puts the module in evaluation mode before a test run.</summary>
    public virtual void OnTestModelEval() => eval();
    /// <summary>Puts the module back in training mode after a test run.</summary>
    public virtual void OnTestModelTrain() => train();
    /// <summary>Puts the module in evaluation mode before a prediction run.</summary>
    public virtual void OnPredictModelEval() => eval();

    /// <summary>
    /// Steps the optimizer at the end of an accumulation window under automatic optimization (Lightning's
    /// <c>optimizer_step</c>): <paramref name="optimizerClosure"/> runs the training step, <c>zero_grad</c> and backward,
    /// and <c>optimizer.step(optimizerClosure)</c> runs it, then clipping and the step. Override to act around the step
    /// (a hand-written learning-rate warm-up); the closure must run, as in Lightning.
    /// </summary>
    public virtual void OptimizerStep(int epoch, int batchIdx, LightningOptimizer optimizer, Action optimizerClosure)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.step(optimizerClosure);
    }

    /// <summary>Zeroes the gradients under automatic optimization (Lightning's <c>optimizer_zero_grad</c>); override to zero differently.</summary>
    public virtual void OptimizerZeroGrad(int epoch, int batchIdx, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.zero_grad();
    }

    /// <summary>
    /// Steps a learning-rate scheduler under automatic optimization (Lightning's <c>lr_scheduler_step</c>): with the
    /// monitored <paramref name="metric"/> for ReduceLROnPlateau, without one otherwise. Override for a scheduler of your own.
    /// </summary>
    public virtual void LrSchedulerStep(lr_scheduler.LRScheduler scheduler, double? metric)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        if (metric is double value) scheduler.step(value);
        else scheduler.step();
    }
}

public abstract partial class LightningModule<TBatch>
{
    /// <summary>Computes the training loss of one batch; return null to skip the batch.</summary>
    public virtual Tensor? TrainingStep(TBatch batch, int batchIdx) => null;
    /// <summary>Evaluates one validation batch (log metrics with <c>Log</c>).</summary>
    public virtual Tensor? ValidationStep(TBatch batch, int batchIdx) => null;
    /// <summary>Evaluates one test batch (log metrics with <c>Log</c>).</summary>
    public virtual Tensor? TestStep(TBatch batch, int batchIdx) => null;

    /// <summary>Computes the prediction for one batch. The default calls nothing and must be overridden to predict.</summary>
    public virtual Tensor PredictStep(TBatch batch, int batchIdx)
        => throw new MisconfigurationException($"{GetType().Name} has no PredictStep: override PredictStep to use Trainer.Predict.");

    /// <summary>Alters the batch before it is moved to the device.</summary>
    public virtual TBatch OnBeforeBatchTransfer(TBatch batch, int dataloaderIdx) => batch;
    /// <summary>Moves every tensor of the batch (in tuples, arrays, lists and dictionaries) to <paramref name="device"/>.</summary>
    public virtual TBatch TransferBatchToDevice(TBatch batch, Device device, int dataloaderIdx) => BatchTransfer.ToDevice(batch, device);
    /// <summary>Alters the batch after it was moved to the device.</summary>
    public virtual TBatch OnAfterBatchTransfer(TBatch batch, int dataloaderIdx) => batch;

    /// <summary>Called before <see cref="TrainingStep"/>.</summary>
    public virtual void OnTrainBatchStart(TBatch batch, int batchIdx) { }
    /// <summary>Called after the optimizer step of a batch, with what <see cref="TrainingStep"/> returned.</summary>
    public virtual void OnTrainBatchEnd(Tensor? outputs, TBatch batch, int batchIdx) { }
    /// <summary>Called before <see cref="ValidationStep"/>.</summary>
    public virtual void OnValidationBatchStart(TBatch batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called after <see cref="ValidationStep"/>.</summary>
    public virtual void OnValidationBatchEnd(Tensor? outputs, TBatch batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called before <see cref="TestStep"/>.</summary>
    public virtual void OnTestBatchStart(TBatch batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called after <see cref="TestStep"/>.</summary>
    public virtual void OnTestBatchEnd(Tensor? outputs, TBatch batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called before <see cref="PredictStep"/>.</summary>
    public virtual void OnPredictBatchStart(TBatch batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called after <see cref="PredictStep"/>.</summary>
    public virtual void OnPredictBatchEnd(Tensor? outputs, TBatch batch, int batchIdx, int dataloaderIdx) { }

    /// <summary>The training dataloader used when <c>Fit</c> is given none.</summary>
    public virtual IEnumerable<TBatch>? TrainDataloader() => null;
    /// <summary>The validation dataloader used when <c>Fit</c>/<c>Validate</c> is given none.</summary>
    public virtual IEnumerable<TBatch>? ValDataloader() => null;
    /// <summary>The test dataloader used when <c>Test</c> is given none.</summary>
    public virtual IEnumerable<TBatch>? TestDataloader() => null;
    /// <summary>The prediction dataloader used when <c>Predict</c> is given none.</summary>
    public virtual IEnumerable<TBatch>? PredictDataloader() => null;
}

public abstract partial class Callback
{
    /// <summary>Called at the beginning of fit, validate, test and predict.</summary>
    public virtual void Setup(Trainer trainer, LightningModule module, Stage stage) { }
    /// <summary>Called at the end of fit, validate, test and predict.</summary>
    public virtual void Teardown(Trainer trainer, LightningModule module, Stage stage) { }
    /// <summary>Called at the very beginning of fit.</summary>
    public virtual void OnFitStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the very end of fit.</summary>
    public virtual void OnFitEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called before the sanity-check validation run.</summary>
    public virtual void OnSanityCheckStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called after the sanity-check validation run.</summary>
    public virtual void OnSanityCheckEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called when training begins, after the sanity check.</summary>
    public virtual void OnTrainStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called when training ends.</summary>
    public virtual void OnTrainEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the start of each training epoch.</summary>
    public virtual void OnTrainEpochStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the end of each training epoch.</summary>
    public virtual void OnTrainEpochEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called before each training step.</summary>
    public virtual void OnTrainBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx) { }
    /// <summary>Called after each training batch's optimizer step.</summary>
    public virtual void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx) { }
    /// <summary>Called when a validation run begins.</summary>
    public virtual void OnValidationStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called when a validation run ends.</summary>
    public virtual void OnValidationEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the start of a validation epoch.</summary>
    public virtual void OnValidationEpochStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the end of a validation epoch.</summary>
    public virtual void OnValidationEpochEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called before each validation step.</summary>
    public virtual void OnValidationBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called after each validation step.</summary>
    public virtual void OnValidationBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called when a test run begins.</summary>
    public virtual void OnTestStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called when a test run ends.</summary>
    public virtual void OnTestEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the start of a test epoch.</summary>
    public virtual void OnTestEpochStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the end of a test epoch.</summary>
    public virtual void OnTestEpochEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called before each test step.</summary>
    public virtual void OnTestBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called after each test step.</summary>
    public virtual void OnTestBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called when a prediction run begins.</summary>
    public virtual void OnPredictStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called when a prediction run ends.</summary>
    public virtual void OnPredictEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the start of a prediction epoch.</summary>
    public virtual void OnPredictEpochStart(Trainer trainer, LightningModule module) { }
    /// <summary>Called at the end of a prediction epoch.</summary>
    public virtual void OnPredictEpochEnd(Trainer trainer, LightningModule module) { }
    /// <summary>Called before each prediction step.</summary>
    public virtual void OnPredictBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called after each prediction step.</summary>
    public virtual void OnPredictBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx, int dataloaderIdx) { }
    /// <summary>Called before <c>loss.backward()</c>.</summary>
    public virtual void OnBeforeBackward(Trainer trainer, LightningModule module, Tensor loss) { }
    /// <summary>Called after <c>loss.backward()</c>.</summary>
    public virtual void OnAfterBackward(Trainer trainer, LightningModule module) { }
    /// <summary>Called before the optimizer steps.</summary>
    public virtual void OnBeforeOptimizerStep(Trainer trainer, LightningModule module, Optimizer optimizer) { }
    /// <summary>Called before the gradients are zeroed.</summary>
    public virtual void OnBeforeZeroGrad(Trainer trainer, LightningModule module, Optimizer optimizer) { }
    /// <summary>Called when a checkpoint is being written: add what this callback needs beside its state dict (<c>checkpoint.Extra</c>).</summary>
    public virtual void OnSaveCheckpoint(Trainer trainer, LightningModule module, Checkpoint checkpoint) { }
    /// <summary>Called when a fit resumes from a checkpoint, before the callbacks' <see cref="LoadStateDict"/>.</summary>
    public virtual void OnLoadCheckpoint(Trainer trainer, LightningModule module, Checkpoint checkpoint) { }
    /// <summary>Called when a trainer run fails with an exception, before it propagates.</summary>
    public virtual void OnException(Trainer trainer, LightningModule module, Exception exception) { }
}

/// <summary>
/// The per-batch calls of the trainer's loops, implemented for each module by a generated <c>LoopDriver</c> struct
/// that calls the module's overridden hooks directly and compiles the others to nothing. The trainer's loops are
/// generic over the driver type, so the JIT specializes them per module.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILoopDriver<TBatch>
{
#pragma warning disable CS1591 // each member calls the hook of the same name (TransferBatch: the three transfer hooks)
    TBatch TransferBatch(TBatch batch, Device device, int dataloaderIdx);
    void OnTrainBatchStart(TBatch batch, int batchIdx);
    Tensor? TrainingStep(TBatch batch, int batchIdx);
    void OnTrainBatchEnd(Tensor? outputs, TBatch batch, int batchIdx);
    void OnValidationBatchStart(TBatch batch, int batchIdx, int dataloaderIdx);
    Tensor? ValidationStep(TBatch batch, int batchIdx);
    void OnValidationBatchEnd(Tensor? outputs, TBatch batch, int batchIdx, int dataloaderIdx);
    void OnTestBatchStart(TBatch batch, int batchIdx, int dataloaderIdx);
    Tensor? TestStep(TBatch batch, int batchIdx);
    void OnTestBatchEnd(Tensor? outputs, TBatch batch, int batchIdx, int dataloaderIdx);
    void OnPredictBatchStart(TBatch batch, int batchIdx, int dataloaderIdx);
    Tensor PredictStep(TBatch batch, int batchIdx);
    void OnPredictBatchEnd(Tensor? outputs, TBatch batch, int batchIdx, int dataloaderIdx);
#pragma warning restore CS1591
}

/// <summary>What the trainer runs with a module's driver: the module hands its generated driver to <see cref="Visit"/>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILoopVisitor<TBatch, TResult>
{
    /// <summary>Runs a loop with the module's driver.</summary>
    TResult Visit<TDriver>(TDriver driver) where TDriver : struct, ILoopDriver<TBatch>;
}
