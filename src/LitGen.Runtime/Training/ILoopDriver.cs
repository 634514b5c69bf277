using System.ComponentModel;
using static TorchSharp.torch;

namespace LitGen;

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
