using System;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

/// <summary>
/// What automatic and manual optimization share: backward and the optimizer step with their hooks, through the
/// strategy; each counts its own optimizer steps (Lightning's <c>loops/optimization/</c>).
/// </summary>
internal abstract class OptimizationLoop(LoopContext context)
{
    protected LoopContext Context { get; } = context;

    /// <summary>The scope a training step runs in (autocast for a mixed precision).</summary>
    public IDisposable? StepScope() => Context.Strategy.StepScope();

    public OptimizerStepProgress Progress { get; } = new();

    /// <summary>
    /// OnBeforeBackward, backward (gradients exchanged when <paramref name="synchronize"/>), OnAfterBackward. Under a
    /// gradient scaler the loss is scaled first, so the hooks see the scaled loss, as in Lightning.
    /// </summary>
    public void Backward(Tensor loss, bool synchronize)
    {
        if (Context.Strategy.GradScaler is { } scaler) loss = scaler.ScaleLoss(loss);
        var metrics = Context.Hooks.ActiveMetrics;
        Context.Hooks.Call(ModuleHooks.OnBeforeBackward, static (c, t, m, l) => c.OnBeforeBackward(t, m, l), static (m, l) => m.OnBeforeBackward(l), loss, metrics);
        Context.Strategy.Backward(loss, synchronize);
        Context.Hooks.Call(ModuleHooks.OnAfterBackward, static (c, t, m) => c.OnAfterBackward(t, m), static m => m.OnAfterBackward(), metrics);
    }

    /// <summary>
    /// OnBeforeOptimizerStep, gradient clipping (automatic optimization), the step, and its count. Under a gradient scaler
    /// (Lightning's <c>MixedPrecision.optimizer_step</c>): the gradients are unscaled before the hooks and clipping, the
    /// step is skipped when they hold an inf or NaN, and the scale is updated; after a skipped backward
    /// (<paramref name="backwardSkipped"/>) there is nothing to unscale or step. The step counts either way.
    /// </summary>
    public void OptimizerStep(LightningModule module, Optimizer optimizer, bool clip, bool backwardSkipped = false)
    {
        var scaler = Context.Strategy.GradScaler;
        if (scaler is not null)
        {
            if (backwardSkipped) scaler.SkipWithoutBackward();
            else scaler.Unscale(optimizer);
        }
        var metrics = Context.Hooks.ActiveMetrics;
        Context.Hooks.Call(ModuleHooks.OnBeforeOptimizerStep, static (c, t, m, o) => c.OnBeforeOptimizerStep(t, m, o), static (m, o) => m.OnBeforeOptimizerStep(o), optimizer, metrics);
        if (clip)
        {
            using var scope = Context.Hooks.Logging(ModuleHooks.ConfigureGradientClipping, metrics);
            module.ConfigureGradientClipping(optimizer, Context.Options.GradientClipVal, Context.Options.GradientClipAlgorithm);
            metrics?.SyncStepValues();
        }
        if (scaler is null) Context.Strategy.OptimizerStep(optimizer);
        else if (!backwardSkipped) scaler.StepAndUpdate(() => Context.Strategy.OptimizerStep(optimizer));
        Progress.Steps++;
    }
}

/// <summary>
/// Lightning's <c>_AutomaticOptimization</c>: zero_grad at the start of an accumulation window, backward of
/// loss / AccumulateGradBatches, and at the window's end clipping and the optimizer step.
/// </summary>
internal sealed class AutomaticOptimization(LoopContext context) : OptimizationLoop(context)
{
    // Whether the last closure had no loss to backward (Lightning's closure result None).
    private bool backwardSkipped;

    /// <summary>
    /// Optimizes one batch's loss. A null loss (a skipped batch) skips backward but, as in Lightning, the window's
    /// optimizer step still runs and counts: parameters without gradients are left as they are.
    /// </summary>
    public void Run(LightningModule module, Tensor? loss, int epoch, int batchIdx, bool accumulating)
    {
        Closure(module, loss, epoch, batchIdx, accumulating);
        if (!accumulating) Step(module);
    }

    /// <summary>What Lightning's optimizer closure does after the training step: zero_grad at a window's start, then backward.</summary>
    public void Closure(LightningModule module, Tensor? loss, int epoch, int batchIdx, bool accumulating)
    {
        int accumulate = Context.Trainer.AccumulateGradBatches;
        if (batchIdx % accumulate == 0) ZeroGrad(module, Context.Optimization.Optimizers[0].Optimizer, epoch, batchIdx);
        backwardSkipped = loss is null;
        if (loss is null)
        {
            if (Context.Messages.FirstTime(nameof(TrainerLog.TrainingStepReturnedNull))) TrainerLog.TrainingStepReturnedNull(Context.Log, epoch, batchIdx);
        }
        else
        {
            Validate(loss);
            if (accumulate == 1) Backward(loss, synchronize: !accumulating);
            else
            {
                // A Scalar held by a using stays alive through the native call (see ScalarLifetimeTests).
                using var windowSize = accumulate.ToScalar();
                Backward(loss / windowSize, synchronize: !accumulating);
            }
        }
    }

    /// <summary>Clipping and the optimizer step at the end of a window.</summary>
    public void Step(LightningModule module) => OptimizerStep(module, Context.Optimization.Optimizers[0].Optimizer, clip: true, backwardSkipped);

    /// <summary>One complete optimization of a loss, as a window of one batch (the learning-rate range test).</summary>
    public void RunSingle(LightningModule module, Tensor loss, int step)
    {
        ZeroGrad(module, Context.Optimization.Optimizers[0].Optimizer, epoch: 0, step);
        Validate(loss);
        Backward(loss, synchronize: true);
        Step(module);
    }

    private void ZeroGrad(LightningModule module, Optimizer optimizer, int epoch, int batchIdx)
    {
        Context.Hooks.Call(ModuleHooks.OnBeforeZeroGrad, static (c, t, m, o) => c.OnBeforeZeroGrad(t, m, o), static (m, o) => m.OnBeforeZeroGrad(o),
            optimizer, Context.Hooks.ActiveMetrics);
        module.OptimizerZeroGrad(epoch, batchIdx, optimizer);
    }

    private static void Validate(Tensor loss)
    {
        if (loss.numel() != 1)
            throw new MisconfigurationException($"TrainingStep returned a tensor of shape [{string.Join(", ", loss.shape)}]; return the scalar loss (e.g. .mean()).");
        if (!loss.requires_grad)
            throw new MisconfigurationException("TrainingStep returned a loss that does not require grad; compute it from the module's parameters, outside no_grad().");
    }
}

/// <summary>Lightning's <c>_ManualOptimization</c>: the module steps its optimizers; the loop counts the steps and runs the hooks.</summary>
internal sealed class ManualOptimization(LoopContext context) : OptimizationLoop(context);

/// <summary>
/// Lightning's optimizer closure, for a module that overrides <c>OptimizerStep</c>: the training step, zero_grad and
/// backward, run when the module's <c>OptimizerStep</c> steps the optimizer. One per epoch; its delegate is made once.
/// </summary>
internal sealed class OptimizerClosure<TBatch, TDriver> where TDriver : struct, ILoopDriver<TBatch>
{
    private readonly AutomaticOptimization automatic;
    private readonly LightningModule<TBatch> module;
    private readonly Action run;
    private TDriver driver;
    private TBatch batch = default!;
    private int epoch, batchIdx;
    private bool ran;
    private Tensor? loss;

    public OptimizerClosure(AutomaticOptimization automatic, LightningModule<TBatch> module)
    {
        (this.automatic, this.module) = (automatic, module);
        run = Run;
    }

    /// <summary>Calls the module's <c>OptimizerStep</c> for this batch; returns the loss of the training step the closure ran.</summary>
    public Tensor? Step(TDriver stepDriver, TBatch stepBatch, int stepEpoch, int stepBatchIdx, LightningOptimizer optimizer)
    {
        (driver, batch, epoch, batchIdx, ran, loss) = (stepDriver, stepBatch, stepEpoch, stepBatchIdx, false, null);
        try
        {
            module.OptimizerStep(epoch, batchIdx, optimizer, run);
            if (!ran)
                throw new MisconfigurationException(
                    $"{module.GetType().Name}.OptimizerStep returned without running the optimizer closure, so the batch was not trained: call optimizer.step(optimizerClosure) in it, as in Lightning.");
            return loss;
        }
        finally
        {
            batch = default!;
        }
    }

    // An optimizer may run the closure more than once (as LBFGS does): each run is a new training step and backward.
    private void Run()
    {
        ran = true;
        using (automatic.StepScope()) loss = driver.TrainingStep(batch, batchIdx);
        module.ActiveMetrics?.SyncStepValues();
        automatic.Closure(module, loss, epoch, batchIdx, accumulating: false);
    }
}
