using System.Collections.Generic;

namespace LitGen;

/// <summary>
/// A fit's dataloaders: where they come from (passed to Fit, a datamodule, or the module's hooks) and, once the
/// <see cref="DataConnector"/> has loaded them, what this process reads.
/// </summary>
internal sealed class FitData<TBatch>(LightningModule<TBatch> module, LightningDataModule<TBatch>? dataModule,
    IEnumerable<TBatch>? train, IReadOnlyList<IEnumerable<TBatch>>? val)
{
    public LightningModule<TBatch> Module { get; } = module;

    public LightningDataModule<TBatch>? DataModule { get; } = dataModule;

    /// <summary>The training dataloader passed to Fit, if any.</summary>
    public IEnumerable<TBatch>? PassedTrain { get; } = train;

    /// <summary>The validation dataloaders passed to Fit, if any.</summary>
    public IReadOnlyList<IEnumerable<TBatch>>? PassedVal { get; } = val;

    public IEnumerable<TBatch>? Train { get; private set; }

    /// <summary>The validation dataloaders (Lightning's list of <c>val_dataloaders</c>), or null without validation.</summary>
    public IReadOnlyList<IEnumerable<TBatch>>? Val { get; private set; }

    /// <summary>Whether the dataloaders are loaded (they may be early, for <c>EstimatedSteppingBatches</c>).</summary>
    public bool IsLoaded { get; private set; }

    public void Loaded(IEnumerable<TBatch> trainLoader, IReadOnlyList<IEnumerable<TBatch>>? valLoaders)
        => (Train, Val, IsLoaded) = (trainLoader, valLoaders, true);
}
