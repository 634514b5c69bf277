using System.Collections.Generic;

namespace LitGen;

/// <summary>
/// Where a run stands, as reported to <see cref="TrainerOptions.Progress"/> (for a host's UI or status endpoint): during
/// training at most every <see cref="TrainerOptions.ProgressInterval"/> and at every epoch's end, during validation, test
/// and prediction at most as often and when the run ends.
/// </summary>
/// <param name="Stage">What runs: <see cref="Stage.Fit"/> while training (its validation included), otherwise the entry point's stage.</param>
/// <param name="Epoch">The training epoch in progress (0-based).</param>
/// <param name="MaxEpochs">The last epoch the fit may reach plus one, or null when it is bounded by steps or time only.</param>
/// <param name="Batch">Batches done in the current epoch or evaluation.</param>
/// <param name="Batches">Batches in the current epoch or evaluation, when known.</param>
/// <param name="GlobalStep">Optimizer steps taken.</param>
/// <param name="Metrics">The latest metrics: the progress bar's during training, the callback metrics at an epoch's or run's end.</param>
/// <param name="EpochCompleted">True for the report made when a training epoch has ended.</param>
public sealed record TrainingProgress(Stage Stage, int Epoch, int? MaxEpochs, int Batch, int? Batches, long GlobalStep,
    IReadOnlyDictionary<string, double> Metrics, bool EpochCompleted);
