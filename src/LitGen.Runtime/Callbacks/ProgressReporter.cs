using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace LitGen;

/// <summary>
/// Reports <see cref="TrainingProgress"/> to <see cref="TrainerOptions.Progress"/>: throttled during batches, because an
/// <see cref="IProgress{T}"/> such as <see cref="Progress{T}"/> posts every report to the host's context, and always at the
/// boundaries a host shows (an epoch's end, an evaluation's end).
/// </summary>
internal sealed class ProgressReporter(IProgress<TrainingProgress> progress, TimeSpan interval) : Callback
{
    private long lastReport;
    private (int Done, int? Total) evaluation;

    public override void OnTrainEpochStart(Trainer trainer, LightningModule module) => lastReport = 0;

    public override void OnTrainBatchCompleted(Trainer trainer, LightningModule module)
    {
        if (Due()) Report(trainer, Stage.Fit, trainer.BatchesDoneInEpoch, trainer.NumTrainingBatches, Copy(trainer.ProgressBarMetrics), epochCompleted: false);
    }

    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module)
        => Report(trainer, Stage.Fit, trainer.BatchesDoneInEpoch, trainer.NumTrainingBatches, Copy(trainer.CallbackMetrics), epochCompleted: true);

    public override void OnEvaluationBatchCompleted(Trainer trainer, Stage stage, int done, int? total)
    {
        if (done == 1) lastReport = 0;
        evaluation = (done, total);
        if (Due()) Report(trainer, trainer.Stage ?? stage, done, total, Copy(trainer.ProgressBarMetrics), epochCompleted: false);
    }

    // A validation, test or prediction run on its own reports once more when its epoch metrics are in; inside a fit the
    // epoch's report carries them.
    public override void OnValidationEnd(Trainer trainer, LightningModule module)
    {
        if (trainer.Stage == Stage.Validate) Report(trainer, Stage.Validate, evaluation.Done, evaluation.Total, Copy(trainer.CallbackMetrics), epochCompleted: false);
    }

    public override void OnTestEnd(Trainer trainer, LightningModule module) => Report(trainer, Stage.Test, evaluation.Done, evaluation.Total, Copy(trainer.CallbackMetrics), epochCompleted: false);

    public override void OnPredictEnd(Trainer trainer, LightningModule module) => Report(trainer, Stage.Predict, evaluation.Done, evaluation.Total, Copy(trainer.CallbackMetrics), epochCompleted: false);

    private bool Due()
    {
        long now = Stopwatch.GetTimestamp();
        if (lastReport != 0 && Stopwatch.GetElapsedTime(lastReport, now) < interval) return false;
        lastReport = now;
        return true;
    }

    private void Report(Trainer trainer, Stage stage, int batch, int? batches, IReadOnlyDictionary<string, double> metrics, bool epochCompleted)
        => progress.Report(new TrainingProgress(stage, trainer.CurrentEpoch, trainer.MaxEpochs > 0 ? trainer.MaxEpochs : null, batch, batches,
            trainer.GlobalStep, metrics, epochCompleted));

    // A snapshot: the host reads it later, on its own thread, while the trainer's dictionaries change.
    private static Dictionary<string, double> Copy(IReadOnlyDictionary<string, double> metrics) => new(metrics, StringComparer.Ordinal);
}
