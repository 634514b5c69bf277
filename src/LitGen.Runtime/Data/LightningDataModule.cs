using System.Collections.Generic;
using System.ComponentModel;

namespace LitGen;

/// <summary>
/// Everything about a dataset in one class (Lightning's <c>LightningDataModule</c>): preparation, setup per stage and
/// the dataloaders. Pass it to <c>Trainer.Fit/Validate/Test/Predict</c> instead of dataloaders.
/// </summary>
/// <typeparam name="TBatch">What one dataloader item is; the module must take the same batch type.</typeparam>
public abstract class LightningDataModule<TBatch> : IDataModuleHyperparameters
{
    /// <summary>The hyperparameters of a <c>[LightningDataModule]</c> class (generated), or null: logged with the module's.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual IHyperparameters? CurrentHyperparameters => null;

    IHyperparameters? IDataModuleHyperparameters.Current => CurrentHyperparameters;

    /// <summary>Downloads or writes data once, before <see cref="Setup"/>.</summary>
    public virtual void PrepareData() { }

    /// <summary>Builds datasets for a stage; called before the callbacks' and module's <c>Setup</c>.</summary>
    public virtual void Setup(Stage stage) { }

    /// <summary>Releases what <see cref="Setup"/> built.</summary>
    public virtual void Teardown(Stage stage) { }

    /// <summary>The training dataloader.</summary>
    public virtual IEnumerable<TBatch>? TrainDataloader() => null;

    /// <summary>The validation dataloader.</summary>
    public virtual IEnumerable<TBatch>? ValDataloader() => null;

    /// <summary>The test dataloader.</summary>
    public virtual IEnumerable<TBatch>? TestDataloader() => null;

    /// <summary>The prediction dataloader.</summary>
    public virtual IEnumerable<TBatch>? PredictDataloader() => null;
}

/// <summary>A datamodule's hyperparameters, for code that does not know its batch type.</summary>
internal interface IDataModuleHyperparameters
{
    IHyperparameters? Current { get; }
}
