using System;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Writes histograms of every parameter, and of its gradient, to the run's TensorBoard loggers every
/// <see cref="EveryNSteps"/> optimizer steps (just before the step, when the gradients are final), under
/// <c>weights/{name}</c> and <c>gradients/{name}</c>. Opt-in: a histogram per parameter per step is not free.
/// </summary>
public class ParameterHistograms : Callback
{
    /// <summary>Optimizer steps between histograms (default 100).</summary>
    public int EveryNSteps { get; init; } = 100;

    /// <summary>Also write the gradients' histograms (default true).</summary>
    public bool Gradients { get; init; } = true;

    /// <inheritdoc />
    public override void Setup(Trainer trainer, LightningModule module, Stage stage)
    {
        if (EveryNSteps < 1) throw new MisconfigurationException($"ParameterHistograms.EveryNSteps must be 1 or more, got {EveryNSteps}.");
        if (!trainer.Loggers.OfType<TensorBoardLogger>().Any() && trainer.Messages.FirstTime(nameof(TrainerLog.NoTensorBoardLogger)))
            TrainerLog.NoTensorBoardLogger(trainer.Messages.Logger(nameof(ParameterHistograms)));
    }

    /// <inheritdoc />
    public override void OnBeforeOptimizerStep(Trainer trainer, LightningModule module, optim.Optimizer optimizer)
    {
        if (trainer.GlobalStep % EveryNSteps != 0) return;
        using var scope = NewDisposeScope();
        foreach (var logger in trainer.Loggers.OfType<TensorBoardLogger>())
            foreach (var (name, parameter) in module.named_parameters())
            {
                logger.Experiment.AddHistogram($"weights/{name}", parameter, trainer.GlobalStep);
                if (Gradients && parameter.grad is { } gradient) logger.Experiment.AddHistogram($"gradients/{name}", gradient, trainer.GlobalStep);
            }
    }
}
