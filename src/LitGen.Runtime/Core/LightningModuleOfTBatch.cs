using System.Collections.Generic;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// A LitGen module whose dataloaders yield <typeparamref name="TBatch"/>: the steps and batch hooks receive the
/// concrete batch type. Mark the deriving class <c>[LightningModule]</c> and <c>partial</c>.
/// </summary>
/// <typeparam name="TBatch">What one dataloader item is, e.g. <c>(Tensor X, Tensor Y)</c>.</typeparam>
public abstract class LightningModule<TBatch> : LightningModule
{
    /// <summary>Hands the module's generated loop driver to the trainer.</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    protected internal abstract TResult AcceptLoopVisitor<TResult>(ILoopVisitor<TBatch, TResult> visitor);

    internal sealed override TResult AcceptBatchTypeVisitor<TResult>(IBatchTypeVisitor<TResult> visitor) => visitor.Visit(this);

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
