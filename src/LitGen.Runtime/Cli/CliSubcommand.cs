using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LitGen;

/// <summary>Runs a subcommand with the module's batch type known; the data comes from the datamodule when there is one.</summary>
internal sealed class CliSubcommand(string name, Trainer trainer, object? dataModule, string? ckptPath) : IBatchTypeVisitor<string>
{
    public string Visit<TBatch>(LightningModule<TBatch> module)
    {
        var data = dataModule switch
        {
            null => null,
            LightningDataModule<TBatch> typed => typed,
            _ => throw new CliException($"{dataModule.GetType().Name} does not yield the batches {module.GetType().Name} takes ({typeof(TBatch).Name}); " +
                $"derive it from LightningDataModule<{typeof(TBatch).Name}>."),
        };
        switch (name)
        {
            case "fit":
                if (data is null) trainer.Fit(module, ckptPath: ckptPath);
                else trainer.Fit(module, data, ckptPath);
                return $"fit: {trainer.CurrentEpoch} epochs, {trainer.GlobalStep} steps; logs in {trainer.LogDir}";
            case "validate":
                return Metrics(data is null ? trainer.Validate(module, (IEnumerable<TBatch>?)null, ckptPath) : trainer.Validate(module, data, ckptPath));
            case "test":
                return Metrics(data is null ? trainer.Test(module, (IEnumerable<TBatch>?)null, ckptPath) : trainer.Test(module, data, ckptPath));
            default:
                var predictions = data is null ? trainer.Predict(module, (IEnumerable<TBatch>?)null, ckptPath) : trainer.Predict(module, data, ckptPath);
                foreach (var prediction in predictions) prediction.Dispose();
                return $"predict: {predictions.Count} batches";
        }
    }

    private static string Metrics(IReadOnlyList<IReadOnlyDictionary<string, double>> results)
        => string.Join(", ", results[0].OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.ToString("R", CultureInfo.InvariantCulture)}"));
}
