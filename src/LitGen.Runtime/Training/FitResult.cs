using System.Collections.Generic;

namespace LitGen;

/// <summary>What a <see cref="Trainer.Fit{TBatch}(LightningModule{TBatch}, IEnumerable{TBatch}?, IEnumerable{TBatch}?, string?, System.Threading.CancellationToken)"/> produced.</summary>
/// <param name="BestModelPath">The best checkpoint of the trainer's <see cref="ModelCheckpoint"/>, if it saved one.</param>
/// <param name="BestModelScore">Its monitored score, if it monitors one.</param>
/// <param name="LastModelPath"><c>last.ckpt</c>, when the checkpoint callback saves it.</param>
/// <param name="Metrics">The callback metrics when the fit ended (the last epoch's values, the last step's).</param>
/// <param name="GlobalStep">Optimizer steps taken.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="StoppedEarly">Whether <see cref="EarlyStopping"/> ended the fit.</param>
public sealed record FitResult(string? BestModelPath, double? BestModelScore, string? LastModelPath, IReadOnlyDictionary<string, double> Metrics,
    long GlobalStep, int Epochs, bool StoppedEarly)
{
    /// <summary>True when a cancellation or a signal stopped the fit (read it from <see cref="Trainer.LastFitResult"/> after the exception).</summary>
    public bool Interrupted { get; init; }
}
