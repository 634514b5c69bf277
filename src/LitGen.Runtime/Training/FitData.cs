using System.Collections.Generic;
using System.Linq;

namespace LitGen;

/// <summary>Where a fit's dataloaders come from: the arguments, a datamodule, or the module's hooks (reloadable).</summary>
internal sealed class FitData<TBatch>(LightningModule<TBatch> model, LightningDataModule<TBatch>? dataModule,
    IEnumerable<TBatch>? train, IReadOnlyList<IEnumerable<TBatch>>? val)
{
    public LightningDataModule<TBatch>? DataModule { get; } = dataModule;

    public IEnumerable<TBatch>? Train { get; private set; }

    /// <summary>The validation dataloaders (Lightning's list of <c>val_dataloaders</c>), or null without validation.</summary>
    public IReadOnlyList<IEnumerable<TBatch>>? Val { get; private set; }

    /// <summary>Whether <see cref="Load"/> has run (it may run early, for <c>EstimatedSteppingBatches</c>).</summary>
    public bool Loaded { get; private set; }

    /// <summary>
    /// Resolves the dataloaders (again, for ReloadDataloadersEveryNEpochs: dataloaders passed to Fit are reused); with
    /// <paramref name="overfit"/> the validation run uses the training batches, unshuffled. The strategy then prepares
    /// them (under ddp, each process's shard), so every count the loops take is of what this process reads.
    /// </summary>
    public void Load(Strategy strategy, bool hasValidationStep, bool overfit)
    {
        Loaded = true;
        var loaded = train ?? DataModule?.TrainDataloader() ?? model.TrainDataloader() ?? throw new MisconfigurationException(
            $"No training dataloader: pass one to Fit, or override TrainDataloader in {model.GetType().Name} or its datamodule.");
        if (overfit && loaded is DataLoader<TBatch> loader) loaded = loader.Unshuffled();
        Train = strategy.ProcessDataloader(loaded, Stage.Fit);
        Val = !hasValidationStep ? null
            : overfit ? [Train]
            : (val ?? ((DataModule?.ValDataloader() ?? model.ValDataloader()) is { } hook ? [hook] : null))?.Select(v => strategy.ProcessDataloader(v, Stage.Validate)).ToList();
    }
}
