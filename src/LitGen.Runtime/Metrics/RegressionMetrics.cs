using System;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>The mean of an elementwise error of predictions against targets, over all elements of all batches.</summary>
public abstract class MeanErrorMetric : Metric
{
    /// <summary>Declares the running sum of errors and the element count.</summary>
    protected MeanErrorMetric(string name) : base(name)
    {
        AddState("sum", () => zeros(1, ScalarType.Float64), Reduction.Sum);
        AddState("count", () => zeros(1, ScalarType.Int64), Reduction.Sum);
    }

    /// <summary>The error of each element, from <c>preds − target</c>.</summary>
    protected abstract Tensor Error(Tensor difference);

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        SetValue("sum", Value("sum").to(preds.device) + Error(preds.detach() - target.detach()).sum().to(ScalarType.Float64));
        using var count = target.numel().ToScalar();
        SetValue("count", Value("count").to(preds.device) + count);
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue() => (Value("sum") / Value("count")).to(ScalarType.Float32).squeeze();
}

/// <summary>The mean of (preds − target)² over all elements (torchmetrics' <c>MeanSquaredError</c>).</summary>
public sealed class MeanSquaredError() : MeanErrorMetric(nameof(MeanSquaredError))
{
    /// <inheritdoc />
    protected override Tensor Error(Tensor difference) => difference * difference;
}

/// <summary>The mean of |preds − target| over all elements (torchmetrics' <c>MeanAbsoluteError</c>).</summary>
public sealed class MeanAbsoluteError() : MeanErrorMetric(nameof(MeanAbsoluteError))
{
    /// <inheritdoc />
    protected override Tensor Error(Tensor difference) => difference.abs();
}
