using System;
using System.Collections.Generic;
using System.Linq;

namespace LitGen;

/// <summary>
/// Where every entry point's dataloaders and batch counts come from (Lightning's <c>_DataConnector</c> with the limit
/// arithmetic of its loops): the dataloaders passed in, else the datamodule's, else the module's hooks, prepared by the
/// strategy (each ddp process's shard); the batch limits in force (<c>FastDevRun</c>, <c>OverfitBatches</c>,
/// <c>Limit*Batches</c>, <c>NumSanityValSteps</c>); when validation runs inside an epoch; and when to reload.
/// </summary>
internal sealed class DataConnector(TrainerOptions options, Strategy strategy)
{
    private bool FastDevRunning => options.FastDevRun > 0;

    /// <summary>The <c>OverfitBatches</c> limit, or null when not overfitting.</summary>
    public BatchLimit? OverfitLimit => options.OverfitBatches.Count == 0 || options.OverfitBatches.Fraction == 0 ? null : options.OverfitBatches;

    /// <summary>Validation batches in the sanity check per dataloader: -1 all, 0 none (none under FastDevRun).</summary>
    public int SanitySteps => FastDevRunning ? 0 : options.NumSanityValSteps;

    /// <summary>
    /// Resolves a fit's dataloaders (again, for <c>ReloadDataloadersEveryNEpochs</c>: dataloaders passed to Fit are reused).
    /// When overfitting, training reads its first batches unshuffled and validation the first batches of its own dataloaders.
    /// </summary>
    public void LoadFit<TBatch>(FitData<TBatch> data, bool hasValidationStep)
    {
        var loaded = data.PassedTrain ?? data.DataModule?.TrainDataloader() ?? data.Module.TrainDataloader() ?? throw new MisconfigurationException(
            $"No training dataloader: pass one to Fit, or override TrainDataloader in {data.Module.GetType().Name} or its datamodule.");
        if (OverfitLimit is not null && loaded is DataLoader<TBatch> loader) loaded = loader.Unshuffled();
        var train = strategy.ProcessDataloader(loaded, Stage.Fit);
        var val = !hasValidationStep ? null
            : (data.PassedVal ?? ((data.DataModule?.ValDataloader() ?? data.Module.ValDataloader()) is { } hook ? [hook] : null))
                ?.Select(v => strategy.ProcessDataloader(v, Stage.Validate)).ToList();
        data.Loaded(train, val);
    }

    /// <summary>The validation or test dataloaders: those passed, else the datamodule's, else the module's hook.</summary>
    public IReadOnlyList<IEnumerable<TBatch>> EvaluationLoaders<TBatch>(LightningModule<TBatch> module, IReadOnlyList<IEnumerable<TBatch>>? passed,
        LightningDataModule<TBatch>? dataModule, Stage stage)
    {
        bool validation = stage == Stage.Validate;
        var loaders = passed ?? [validation
            ? dataModule?.ValDataloader() ?? module.ValDataloader() ?? throw NoDataloader(module, "validation", "ValDataloader")
            : dataModule?.TestDataloader() ?? module.TestDataloader() ?? throw NoDataloader(module, "test", "TestDataloader")];
        return loaders.Select(loader => strategy.ProcessDataloader(loader, stage)).ToList();
    }

    /// <summary>The prediction dataloaders: those passed, else the datamodule's, else the module's hook.</summary>
    public IReadOnlyList<IEnumerable<TBatch>> PredictionLoaders<TBatch>(LightningModule<TBatch> module, IReadOnlyList<IEnumerable<TBatch>>? passed,
        LightningDataModule<TBatch>? dataModule)
        => (passed ?? [dataModule?.PredictDataloader() ?? module.PredictDataloader() ?? throw NoDataloader(module, "prediction", "PredictDataloader")])
            .Select(loader => strategy.ProcessDataloader(loader, Stage.Predict)).ToList();

    /// <summary>Whether the dataloaders are loaded again before <paramref name="epoch"/> (<c>ReloadDataloadersEveryNEpochs</c>).</summary>
    public bool ReloadDue(int epoch)
    {
        int every = options.ReloadDataloadersEveryNEpochs;
        return every > 0 && epoch > 0 && epoch % every == 0;
    }

    /// <summary>Training batches per epoch (FastDevRun, OverfitBatches or LimitTrainBatches of the loader's length); null when unknown.</summary>
    public int? TrainingBatches<TBatch>(IEnumerable<TBatch> loader)
        => (FastDevRunning ? options.FastDevRun : OverfitLimit ?? options.LimitTrainBatches).Resolve(CountOf(loader), nameof(TrainerOptions.LimitTrainBatches));

    /// <summary>Batches of one validation dataloader in a validation run.</summary>
    public int? ValidationBatches<TBatch>(IEnumerable<TBatch> loader)
        => (FastDevRunning ? options.FastDevRun : OverfitLimit ?? options.LimitValBatches).Resolve(CountOf(loader), nameof(TrainerOptions.LimitValBatches));

    /// <summary>Batches of one validation dataloader in the sanity check (NumSanityValSteps per dataloader, as Lightning).</summary>
    public int? SanityBatches<TBatch>(IEnumerable<TBatch> loader)
    {
        var limit = ValidationBatches(loader);
        if (SanitySteps == -1) return limit;
        return limit is int l ? Math.Min(l, SanitySteps) : SanitySteps;
    }

    /// <summary>Batches of one test dataloader.</summary>
    public int? TestBatches<TBatch>(IEnumerable<TBatch> loader)
        => (FastDevRunning ? options.FastDevRun : options.LimitTestBatches).Resolve(CountOf(loader), nameof(TrainerOptions.LimitTestBatches));

    /// <summary>Batches of one prediction dataloader.</summary>
    public int? PredictionBatches<TBatch>(IEnumerable<TBatch> loader)
        => (FastDevRunning ? options.FastDevRun : options.LimitPredictBatches).Resolve(CountOf(loader), nameof(TrainerOptions.LimitPredictBatches));

    /// <summary>
    /// After how many training batches validation runs (Lightning's <c>val_check_batch</c>), from <c>ValCheckInterval</c>:
    /// null to validate at the end of the epoch only.
    /// </summary>
    public int? ValCheckBatch(int? trainBatches)
    {
        var interval = FastDevRunning ? BatchLimit.All : options.ValCheckInterval;
        if (interval.Count is int count)
        {
            if (count < 1) throw new MisconfigurationException("ValCheckInterval must be a positive batch count or a fraction in (0, 1].");
            if (trainBatches is int n && count > n && options.CheckValEveryNEpoch is not null)
                throw new MisconfigurationException(
                    $"ValCheckInterval ({count}) must be at most the number of training batches ({n}); use a smaller count, or set CheckValEveryNEpoch = null to count batches across epochs.");
            return count;
        }
        double fraction = interval.Fraction ?? 1.0;
        if (fraction <= 0) throw new MisconfigurationException("ValCheckInterval must be a positive batch count or a fraction in (0, 1].");
        if (trainBatches is int total) return Math.Max(1, (int)(total * fraction));
        return fraction == 1.0 ? null : throw new MisconfigurationException(
            "A fractional ValCheckInterval needs a training dataloader with a length (a collection); use a batch count instead.");
    }

    /// <summary>The number of batches of a dataloader that is a collection, else null.</summary>
    public static int? CountOf<TBatch>(IEnumerable<TBatch> loader) => loader switch
    {
        IReadOnlyCollection<TBatch> collection => collection.Count,
        System.Collections.ICollection collection => collection.Count,
        _ => null,
    };

    private static MisconfigurationException NoDataloader(LightningModule model, string what, string hook)
        => new($"No {what} dataloader: pass one to the trainer, or override {hook} in {model.GetType().Name} or its datamodule.");
}
