using System;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

/// <summary>
/// Code that runs at the trainer's hook points, before the module's hook of the same name (Lightning's
/// <c>Callback</c>). Every hook is a no-op by default.
/// </summary>
public abstract class Callback
{
    /// <summary>The key of this callback's state in checkpoints; the type name unless a callback needs several instances.</summary>
    public virtual string StateKey => GetType().Name;

    /// <summary>True for callbacks that act on monitored metrics at epoch end (checkpointing, early stopping):
    /// they run after the module's epoch-end hook, as in Lightning.</summary>
    internal virtual bool IsMonitoring => false;

    /// <summary>State to store in checkpoints (JSON), or null for none.</summary>
    public virtual JsonObject? StateDict() => null;

    /// <summary>Restores the state from <see cref="StateDict"/> when training resumes from a checkpoint.</summary>
    public virtual void LoadStateDict(JsonObject state) { }

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
    /// <summary>Called once a training batch is completely done (validation, counters), where step-based checkpoints are taken.</summary>
    internal virtual void OnTrainBatchCompleted(Trainer trainer, LightningModule module) { }

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
    /// <summary>Called when a checkpoint is being written.</summary>
    public virtual void OnSaveCheckpoint(Trainer trainer, LightningModule module, Checkpoint checkpoint) { }
    /// <summary>Called when a trainer run fails with an exception, before it propagates.</summary>
    public virtual void OnException(Trainer trainer, LightningModule module, Exception exception) { }
}
