using System.Collections.Generic;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

// The batch-independent hooks, in Lightning's order of appearance. All are no-ops by default.
public abstract partial class LightningModule
{
    /// <summary>Returns the optimizer(s) and schedulers to train with; required by <c>Fit</c>.</summary>
    public virtual OptimizerConfig ConfigureOptimizers() => OptimizerConfig.None;

    /// <summary>Extra callbacks this module needs; they replace trainer callbacks of the same type.</summary>
    public virtual IEnumerable<Callback> ConfigureCallbacks() => [];

    /// <summary>Downloads or writes data once, before <see cref="Setup"/>.</summary>
    public virtual void PrepareData() { }

    /// <summary>Called at the beginning of fit, validate, test and predict.</summary>
    public virtual void Setup(Stage stage) { }

    /// <summary>Called at the end of fit, validate, test and predict.</summary>
    public virtual void Teardown(Stage stage) { }

    /// <summary>Builds layers late (after <see cref="Setup"/>); must be idempotent.</summary>
    public virtual void ConfigureModel() { }

    /// <summary>Called at the very beginning of fit.</summary>
    public virtual void OnFitStart() { }
    /// <summary>Called at the very end of fit.</summary>
    public virtual void OnFitEnd() { }
    /// <summary>Called when training begins, after the sanity check.</summary>
    public virtual void OnTrainStart() { }
    /// <summary>Called when training ends.</summary>
    public virtual void OnTrainEnd() { }
    /// <summary>Called when a validation run begins.</summary>
    public virtual void OnValidationStart() { }
    /// <summary>Called when a validation run ends.</summary>
    public virtual void OnValidationEnd() { }
    /// <summary>Called when a test run begins.</summary>
    public virtual void OnTestStart() { }
    /// <summary>Called when a test run ends.</summary>
    public virtual void OnTestEnd() { }
    /// <summary>Called when a prediction run begins.</summary>
    public virtual void OnPredictStart() { }
    /// <summary>Called when a prediction run ends.</summary>
    public virtual void OnPredictEnd() { }
    /// <summary>Called at the start of each training epoch.</summary>
    public virtual void OnTrainEpochStart() { }
    /// <summary>Called at the end of each training epoch, after its validation run.</summary>
    public virtual void OnTrainEpochEnd() { }
    /// <summary>Called at the start of each validation epoch.</summary>
    public virtual void OnValidationEpochStart() { }
    /// <summary>Called at the end of each validation epoch.</summary>
    public virtual void OnValidationEpochEnd() { }
    /// <summary>Called at the start of a test epoch.</summary>
    public virtual void OnTestEpochStart() { }
    /// <summary>Called at the end of a test epoch.</summary>
    public virtual void OnTestEpochEnd() { }
    /// <summary>Called at the start of a prediction epoch.</summary>
    public virtual void OnPredictEpochStart() { }
    /// <summary>Called at the end of a prediction epoch.</summary>
    public virtual void OnPredictEpochEnd() { }

    /// <summary>Called before <c>loss.backward()</c>.</summary>
    public virtual void OnBeforeBackward(Tensor loss) { }
    /// <summary>Called after <c>loss.backward()</c>, before the optimizer step.</summary>
    public virtual void OnAfterBackward() { }
    /// <summary>Called before the optimizer steps, before gradient clipping.</summary>
    public virtual void OnBeforeOptimizerStep(Optimizer optimizer) { }
    /// <summary>Called before the gradients are zeroed.</summary>
    public virtual void OnBeforeZeroGrad(Optimizer optimizer) { }

    /// <summary>
    /// Clips gradients before the optimizer step. The default clips with the trainer's
    /// <c>GradientClipVal</c>/<c>GradientClipAlgorithm</c>; override to clip differently.
    /// </summary>
    public virtual void ConfigureGradientClipping(Optimizer optimizer, double? gradientClipVal, GradientClipAlgorithm? gradientClipAlgorithm)
        => ClipGradients(optimizer, gradientClipVal, gradientClipAlgorithm);

    /// <summary>Clips the gradients of the optimizer's parameters by norm (default) or by value.</summary>
    public void ClipGradients(Optimizer optimizer, double? gradientClipVal = null, GradientClipAlgorithm? gradientClipAlgorithm = null)
    {
        if (gradientClipVal is not double clip || clip == 0) return;
        if (clip < 0)
            throw new System.ArgumentOutOfRangeException(nameof(gradientClipVal), clip, "Gradient clip value must be positive.");
        if ((gradientClipAlgorithm ?? GradientClipAlgorithm.Norm) == GradientClipAlgorithm.Norm)
            nn.utils.clip_grad_norm_(optimizer.parameters(), clip);
        else
            nn.utils.clip_grad_value_(optimizer.parameters(), clip);
    }

    /// <summary>Adds entries to a checkpoint being written (see <see cref="Checkpoint.Extra"/>).</summary>
    public virtual void OnSaveCheckpoint(Checkpoint checkpoint) { }

    /// <summary>Reads entries from a checkpoint being loaded, before its weights are loaded.</summary>
    public virtual void OnLoadCheckpoint(Checkpoint checkpoint) { }
}
