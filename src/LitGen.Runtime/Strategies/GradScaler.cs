using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json.Nodes;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace LitGen;

/// <summary>
/// The settings of the gradient scaler that <c>"16-mixed"</c> trains with (the arguments of PyTorch's
/// <c>torch.cuda.amp.GradScaler</c>, with its defaults): <see cref="Precision.Fp16MixedWith"/>.
/// </summary>
public sealed record GradScalerOptions
{
    /// <summary>The scale the first step's loss is multiplied by (default 65536).</summary>
    public double InitScale { get; init; } = 65536.0;

    /// <summary>The factor the scale grows by after <see cref="GrowthInterval"/> steps in a row with finite gradients (default 2).</summary>
    public double GrowthFactor { get; init; } = 2.0;

    /// <summary>The factor the scale shrinks by when a step's gradients hold an inf or NaN (default 0.5).</summary>
    public double BackoffFactor { get; init; } = 0.5;

    /// <summary>How many steps in a row with finite gradients make the scale grow (default 2000).</summary>
    public int GrowthInterval { get; init; } = 2000;

    internal GradScalerOptions Validated()
    {
        if (!(InitScale > 0) || !double.IsFinite(InitScale))
            throw new MisconfigurationException($"GradScalerOptions.InitScale must be a positive finite number, got {InitScale}.");
        if (!(GrowthFactor > 1) || !double.IsFinite(GrowthFactor))
            throw new MisconfigurationException($"GradScalerOptions.GrowthFactor must be greater than 1, got {GrowthFactor}.");
        if (!(BackoffFactor > 0 && BackoffFactor < 1))
            throw new MisconfigurationException($"GradScalerOptions.BackoffFactor must be between 0 and 1 (exclusive), got {BackoffFactor}.");
        if (GrowthInterval < 1)
            throw new MisconfigurationException($"GradScalerOptions.GrowthInterval must be at least 1, got {GrowthInterval}.");
        return this;
    }
}

/// <summary>
/// The gradient scaler of a <c>"16-mixed"</c> run (<see cref="Strategy.GradScaler"/>), with the semantics of PyTorch's
/// <c>torch.cuda.amp.GradScaler</c> as Lightning drives it: the loss is multiplied by <see cref="Scale"/> before backward
/// (so float16 gradients do not underflow); before the optimizer step the gradients are divided by it again (before
/// <c>OnBeforeOptimizerStep</c> and gradient clipping) and checked; a step whose gradients hold an inf or NaN is skipped
/// and the scale shrinks by the backoff factor; after <see cref="GradScalerOptions.GrowthInterval"/> finite steps in a
/// row it grows by the growth factor. Its state is saved in checkpoints under Lightning's key (<c>MixedPrecision</c>).
/// </summary>
public sealed class GradScaler
{
    internal GradScaler(GradScalerOptions options)
    {
        Options = options;
        Scale = (float)options.InitScale;
    }

    /// <summary>The scaler's settings (restored from a checkpoint, as PyTorch's <c>load_state_dict</c> does).</summary>
    public GradScalerOptions Options { get; private set; }

    /// <summary>The current scale (PyTorch's <c>get_scale()</c>); a float32 value, as PyTorch keeps it.</summary>
    public float Scale { get; private set; }

    /// <summary>Finite steps in a row since the scale last changed (PyTorch's <c>_growth_tracker</c>).</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>
    /// Whether the optimizer step in progress (or the last one) is skipped: its gradients held an inf or NaN, or there was
    /// no backward to unscale. Step-interval schedulers do not step after a skipped step.
    /// </summary>
    internal bool StepSkipped { get; private set; }

    /// <summary>The loss times the scale. As PyTorch, by a float32 zero-dimensional tensor, so the loss keeps its dtype.</summary>
    internal Tensor ScaleLoss(Tensor loss)
    {
        using var scale = tensor(Scale, ScalarType.Float32, loss.device);
        return loss * scale;
    }

    /// <summary>
    /// Divides the gradients of <paramref name="optimizer"/>'s parameters by the scale in place and records whether any
    /// is non-finite (PyTorch's <c>unscale_</c>), which decides <see cref="StepSkipped"/>.
    /// </summary>
    internal void Unscale(Optimizer optimizer)
    {
        if (optimizer is TorchSharp.Modules.LBFGS)
            throw new MisconfigurationException("\"16-mixed\" and the LBFGS optimizer are not compatible (as in Lightning): use \"bf16-mixed\", \"32-true\", or another optimizer.");
        using var scope = NewDisposeScope();
        // As PyTorch: the reciprocal in double, then rounded to float32.
        var inverse = tensor((float)(1.0 / Scale), ScalarType.Float32);
        var finite = new List<Tensor>();
        foreach (var parameter in optimizer.parameters())
        {
            if (parameter.grad is not { } grad) continue;
            finite.Add(grad.isfinite().all());
            grad.mul_(inverse.to(grad.device));
        }
        StepSkipped = finite.Count > 0 && !stack(finite.Select(f => f.cpu())).all().item<bool>();
    }

    /// <summary>A step without a backward before it (a training step that returned null): nothing to unscale, nothing to step, no update.</summary>
    internal void SkipWithoutBackward() => StepSkipped = true;

    /// <summary>Runs <paramref name="step"/> unless the unscaled gradients held an inf or NaN, then updates the scale (PyTorch's <c>step</c> and <c>update</c>).</summary>
    internal void StepAndUpdate(Action step)
    {
        if (!StepSkipped) step();
        // The arithmetic of libtorch's _amp_update_scale_ kernel: a float32 scale times a double factor, stored as float32.
        if (StepSkipped)
        {
            Scale = (float)(Scale * Options.BackoffFactor);
            GrowthTracker = 0;
        }
        else if (GrowthTracker + 1 == Options.GrowthInterval)
        {
            var grown = (float)(Scale * Options.GrowthFactor);
            if (float.IsFinite(grown)) Scale = grown;
            GrowthTracker = 0;
        }
        else GrowthTracker++;
    }

    /// <summary>PyTorch's <c>GradScaler.state_dict()</c> keys.</summary>
    internal JsonObject StateDict() => new()
    {
        ["scale"] = (double)Scale,
        ["growth_factor"] = Options.GrowthFactor,
        ["backoff_factor"] = Options.BackoffFactor,
        ["growth_interval"] = Options.GrowthInterval,
        ["_growth_tracker"] = GrowthTracker,
    };

    internal void LoadStateDict(JsonObject state)
    {
        double Number(string key) => state[key]?.GetValue<double>() ?? throw new FormatException($"the gradient scaler's state lacks '{key}'");
        Options = new GradScalerOptions
        {
            InitScale = Number("scale"),
            GrowthFactor = Number("growth_factor"),
            BackoffFactor = Number("backoff_factor"),
            GrowthInterval = (int)Number("growth_interval"),
        }.Validated();
        Scale = (float)Options.InitScale;
        GrowthTracker = (int)Number("_growth_tracker");
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"GradScaler(scale={Scale}, growth_tracker={GrowthTracker})");
}
