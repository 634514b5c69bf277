using System;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>The mean of (preds − target)² over all elements (torchmetrics' <c>MeanSquaredError</c>).</summary>
public sealed class MeanSquaredError : Metric
{
    /// <summary>Creates the metric.</summary>
    public MeanSquaredError() : base(nameof(MeanSquaredError))
    {
        AddState("sum", () => zeros(1, ScalarType.Float64), Reduction.Sum);
        AddState("count", () => zeros(1, ScalarType.Int64), Reduction.Sum);
    }

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        var error = preds.detach() - target.detach();
        SetValue("sum", Value("sum").to(preds.device) + (error * error).sum().to(ScalarType.Float64));
        SetValue("count", Value("count").to(preds.device) + target.numel());
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue() => (Value("sum") / Value("count")).to(ScalarType.Float32).squeeze();
}

/// <summary>The mean of |preds − target| over all elements (torchmetrics' <c>MeanAbsoluteError</c>).</summary>
public sealed class MeanAbsoluteError : Metric
{
    /// <summary>Creates the metric.</summary>
    public MeanAbsoluteError() : base(nameof(MeanAbsoluteError))
    {
        AddState("sum", () => zeros(1, ScalarType.Float64), Reduction.Sum);
        AddState("count", () => zeros(1, ScalarType.Int64), Reduction.Sum);
    }

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        SetValue("sum", Value("sum").to(preds.device) + (preds.detach() - target.detach()).abs().sum().to(ScalarType.Float64));
        SetValue("count", Value("count").to(preds.device) + target.numel());
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue() => (Value("sum") / Value("count")).to(ScalarType.Float32).squeeze();
}
