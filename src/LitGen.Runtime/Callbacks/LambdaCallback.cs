using System;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

/// <summary>
/// A callback made of delegates (Lightning's <c>LambdaCallback</c>), for a hook or two without a class:
/// <c>new LambdaCallback(onTrainEpochEnd: (trainer, module) => …)</c>. Hooks left null do nothing.
/// </summary>
public class LambdaCallback(
    Action<Trainer, LightningModule, Stage>? setup = null,
    Action<Trainer, LightningModule, Stage>? teardown = null,
    Action<Trainer, LightningModule>? onFitStart = null,
    Action<Trainer, LightningModule>? onFitEnd = null,
    Action<Trainer, LightningModule>? onTrainStart = null,
    Action<Trainer, LightningModule>? onTrainEnd = null,
    Action<Trainer, LightningModule>? onTrainEpochStart = null,
    Action<Trainer, LightningModule>? onTrainEpochEnd = null,
    Action<Trainer, LightningModule, object, int>? onTrainBatchStart = null,
    Action<Trainer, LightningModule, Tensor?, object, int>? onTrainBatchEnd = null,
    Action<Trainer, LightningModule>? onValidationEpochStart = null,
    Action<Trainer, LightningModule>? onValidationEpochEnd = null,
    Action<Trainer, LightningModule>? onTestEpochEnd = null,
    Action<Trainer, LightningModule, Optimizer>? onBeforeOptimizerStep = null,
    Action<Trainer, LightningModule, Exception>? onException = null) : Callback
{
    /// <inheritdoc />
    public override void Setup(Trainer trainer, LightningModule module, Stage stage) => setup?.Invoke(trainer, module, stage);

    /// <inheritdoc />
    public override void Teardown(Trainer trainer, LightningModule module, Stage stage) => teardown?.Invoke(trainer, module, stage);

    /// <inheritdoc />
    public override void OnFitStart(Trainer trainer, LightningModule module) => onFitStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnFitEnd(Trainer trainer, LightningModule module) => onFitEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainStart(Trainer trainer, LightningModule module) => onTrainStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainEnd(Trainer trainer, LightningModule module) => onTrainEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module) => onTrainEpochStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainEpochEnd(Trainer trainer, LightningModule module) => onTrainEpochEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTrainBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx) => onTrainBatchStart?.Invoke(trainer, module, batch, batchIdx);

    /// <inheritdoc />
    public override void OnTrainBatchEnd(Trainer trainer, LightningModule module, Tensor? outputs, object batch, int batchIdx)
        => onTrainBatchEnd?.Invoke(trainer, module, outputs, batch, batchIdx);

    /// <inheritdoc />
    public override void OnValidationEpochStart(Trainer trainer, LightningModule module) => onValidationEpochStart?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnValidationEpochEnd(Trainer trainer, LightningModule module) => onValidationEpochEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnTestEpochEnd(Trainer trainer, LightningModule module) => onTestEpochEnd?.Invoke(trainer, module);

    /// <inheritdoc />
    public override void OnBeforeOptimizerStep(Trainer trainer, LightningModule module, Optimizer optimizer) => onBeforeOptimizerStep?.Invoke(trainer, module, optimizer);

    /// <inheritdoc />
    public override void OnException(Trainer trainer, LightningModule module, Exception exception) => onException?.Invoke(trainer, module, exception);
}
