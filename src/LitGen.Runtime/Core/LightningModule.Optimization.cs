using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace LitGen;

// Manual optimization (Lightning's automatic_optimization = False) and the optimizer accessors.
public abstract partial class LightningModule
{
    private Dictionary<Parameter, bool>? toggledRequiresGrad;

    /// <summary>
    /// True (default): the trainer runs zero_grad/backward/step around <c>TrainingStep</c>. Set it to false in the
    /// constructor to optimize by hand with <see cref="Optimizers"/>, <see cref="ManualBackward"/> and <c>step()</c>.
    /// </summary>
    public bool AutomaticOptimization { get; set; } = true;

    /// <summary>The optimizers from <see cref="ConfigureOptimizers"/>, wrapped so that their steps are counted and hooked.</summary>
    public IReadOnlyList<LightningOptimizer> Optimizers() => Trainer?.Optimization.Optimizers is { Length: > 0 } optimizers
        ? optimizers
        : throw new MisconfigurationException("Optimizers() is available while the trainer runs Fit, after ConfigureOptimizers.");

    /// <summary>The schedulers from <see cref="ConfigureOptimizers"/>; under manual optimization, step them yourself.</summary>
    public IReadOnlyList<LRScheduler> LrSchedulers() => Trainer?.Optimization.Schedulers.Select(c => c.Scheduler).ToArray()
        ?? throw new MisconfigurationException("LrSchedulers() is available while the trainer runs Fit.");

    /// <summary>Runs <c>loss.backward()</c> with the backward hooks; use it instead of <c>backward()</c> under manual optimization.</summary>
    public void ManualBackward(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (AutomaticOptimization)
            throw new MisconfigurationException("ManualBackward is for manual optimization; set AutomaticOptimization = false, or return the loss from TrainingStep.");
        var trainer = Trainer ?? throw new MisconfigurationException("ManualBackward is available while the trainer runs Fit.");
        trainer.FitLoop.EpochLoop.Manual.Backward(loss, synchronize: true);
    }

    /// <summary>Computes gradients only for <paramref name="optimizer"/>'s parameters until <see cref="UntoggleOptimizer(Optimizer)"/>.</summary>
    public void ToggleOptimizer(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var trainer = Trainer ?? throw new MisconfigurationException("ToggleOptimizer is available while the trainer runs Fit.");
        toggledRequiresGrad ??= new Dictionary<Parameter, bool>(ReferenceEqualityComparer.Instance);
        var own = new HashSet<Parameter>(optimizer.parameters(), ReferenceEqualityComparer.Instance);
        foreach (var other in trainer.Optimization.Optimizers.Select(o => o.Optimizer).Where(o => !ReferenceEquals(o, optimizer)))
        {
            foreach (var parameter in other.parameters())
            {
                if (own.Contains(parameter)) continue;
                toggledRequiresGrad.TryAdd(parameter, parameter.requires_grad);
                parameter.requires_grad = false;
            }
        }
        foreach (var parameter in own)
            if (toggledRequiresGrad.TryGetValue(parameter, out var original)) parameter.requires_grad = original;
    }

    /// <inheritdoc cref="ToggleOptimizer(Optimizer)"/>
    public void ToggleOptimizer(LightningOptimizer optimizer) => ToggleOptimizer(optimizer.Optimizer);

    /// <summary>Restores the <c>requires_grad</c> flags that <see cref="ToggleOptimizer(Optimizer)"/> changed.</summary>
    public void UntoggleOptimizer(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (toggledRequiresGrad is null) return;
        foreach (var (parameter, original) in toggledRequiresGrad) parameter.requires_grad = original;
        toggledRequiresGrad.Clear();
    }

    /// <inheritdoc cref="UntoggleOptimizer(Optimizer)"/>
    public void UntoggleOptimizer(LightningOptimizer optimizer) => UntoggleOptimizer(optimizer.Optimizer);

    /// <summary>Clips the gradients of the optimizer's parameters by norm (default) or by value.</summary>
    public void ClipGradients(Optimizer optimizer, double? gradientClipVal = null, GradientClipAlgorithm? gradientClipAlgorithm = null)
    {
        if (gradientClipVal is not double clip || clip == 0) return;
        if (clip < 0)
            throw new ArgumentOutOfRangeException(nameof(gradientClipVal), clip, "Gradient clip value must be positive.");
        if ((gradientClipAlgorithm ?? GradientClipAlgorithm.Norm) == GradientClipAlgorithm.Norm)
            nn.utils.clip_grad_norm_(optimizer.parameters(), clip);
        else
            nn.utils.clip_grad_value_(optimizer.parameters(), clip);
    }

    /// <inheritdoc cref="ClipGradients(Optimizer, double?, GradientClipAlgorithm?)"/>
    public void ClipGradients(LightningOptimizer optimizer, double? gradientClipVal = null, GradientClipAlgorithm? gradientClipAlgorithm = null)
        => ClipGradients(optimizer.Optimizer, gradientClipVal, gradientClipAlgorithm);
}
