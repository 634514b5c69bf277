namespace LitGen;

/// <summary>
/// A LitGen module whose dataloaders yield <typeparamref name="TBatch"/>: the steps and batch hooks (declared in
/// <c>Core/Hooks.cs</c>) receive the concrete batch type. Mark the deriving class <c>[LightningModule]</c> and <c>partial</c>.
/// </summary>
/// <typeparam name="TBatch">What one dataloader item is, e.g. <c>(Tensor X, Tensor Y)</c>.</typeparam>
public abstract partial class LightningModule<TBatch> : LightningModule
{
    /// <summary>Hands the module's generated loop driver to the trainer.</summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    protected virtual TResult AcceptLoopVisitor<TResult>(ILoopVisitor<TBatch, TResult> visitor) => throw NotGenerated();

    internal TResult RunGeneratedLoop<TResult>(ILoopVisitor<TBatch, TResult> visitor) => AcceptLoopVisitor(visitor);

    internal sealed override TResult AcceptBatchTypeVisitor<TResult>(IBatchTypeVisitor<TResult> visitor) => visitor.Visit(this);
}
