namespace LitGen;

/// <summary>Runs code that needs a module's batch type, given the module as a plain <see cref="LightningModule"/>.</summary>
internal interface IBatchTypeVisitor<TResult>
{
    TResult Visit<TBatch>(LightningModule<TBatch> module);
}
