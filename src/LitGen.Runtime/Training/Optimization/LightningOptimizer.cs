using static TorchSharp.torch.optim;

namespace LitGen;

/// <summary>
/// An optimizer as <see cref="LightningModule.Optimizers"/> hands it out: <see cref="step()"/> runs the
/// <c>OnBeforeOptimizerStep</c> hooks and counts into <see cref="Trainer.GlobalStep"/>.
/// </summary>
public sealed class LightningOptimizer
{
    private readonly Trainer trainer;
    private readonly LightningModule module;

    internal LightningOptimizer(Trainer trainer, LightningModule module, Optimizer optimizer)
    {
        this.trainer = trainer;
        this.module = module;
        Optimizer = optimizer;
    }

    /// <summary>The wrapped TorchSharp optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Runs the <c>OnBeforeOptimizerStep</c> hooks, steps the optimizer and counts the step.</summary>
    public void step() => trainer.FitLoop.EpochLoop.Manual.OptimizerStep(module, Optimizer, clip: false);

    /// <summary>
    /// Runs <paramref name="closure"/> (in <c>OptimizerStep</c>: the training step, zero_grad and backward), then the
    /// <c>OnBeforeOptimizerStep</c> hooks, gradient clipping under automatic optimization, the step, and counts it
    /// (Lightning's <c>optimizer.step(closure=...)</c>).
    /// </summary>
    public void step(System.Action closure)
    {
        System.ArgumentNullException.ThrowIfNull(closure);
        closure();
        var loop = trainer.FitLoop.EpochLoop;
        if (module.AutomaticOptimization) loop.Automatic.Step(module);
        else loop.Manual.OptimizerStep(module, Optimizer, clip: false);
    }

    /// <summary>Zeroes the gradients of the optimizer's parameters.</summary>
    public void zero_grad() => Optimizer.zero_grad();

    /// <summary>The optimizer's parameter groups (learning rates and more).</summary>
    public System.Collections.Generic.IEnumerable<ILearningRateController> ParamGroups => Optimizer.ParamGroups;
}
