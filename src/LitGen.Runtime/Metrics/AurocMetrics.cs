using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Area under the ROC curve of a binary task (torchmetrics' <c>BinaryAUROC</c>, exact: every score is kept for the
/// epoch). <c>preds</c> are probabilities <c>(N)</c> (logits outside [0, 1] go through a sigmoid), <c>target</c> 0 or 1.
/// Under ddp the scores of all processes are gathered before the curve is computed.
/// </summary>
public sealed class BinaryAUROC : Metric
{
    /// <summary>Creates the metric.</summary>
    public BinaryAUROC() : base(nameof(BinaryAUROC))
    {
        AddState("preds", () => empty(0, ScalarType.Float32), Reduction.Cat);
        AddState("target", () => empty(0, ScalarType.Int64), Reduction.Cat);
    }

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        Append("preds", BinaryAccuracy.Probabilities(preds.detach()).flatten().to(ScalarType.Float32));
        Append("target", target.detach().flatten().to(ScalarType.Int64));
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue()
    {
        using var positive = 1.ToScalar();
        return Roc.Area(Values("preds"), Values("target") == positive);
    }
}

/// <summary>
/// Area under the ROC curve of a multiclass task, one class against the rest (torchmetrics' <c>MulticlassAUROC</c>):
/// <c>preds</c> are probabilities or logits <c>(N, C)</c> (a softmax is applied unless they lie in [0, 1]), <c>target</c>
/// class indices <c>(N)</c>. Macro averages the classes, weighted by their support; None returns one area per class.
/// </summary>
public sealed class MulticlassAUROC : Metric
{
    /// <summary>Creates the metric for <paramref name="numClasses"/> classes.</summary>
    public MulticlassAUROC(int numClasses, Average average = Average.Macro) : base(nameof(MulticlassAUROC))
    {
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A multiclass metric needs 2 classes or more.");
        if (average == Average.Micro) throw new ArgumentException("MulticlassAUROC averages per class: use Macro, Weighted or None (as torchmetrics).", nameof(average));
        (NumClasses, Average) = (numClasses, average);
        AddState("preds", () => empty(0, numClasses, ScalarType.Float32), Reduction.Cat);
        AddState("target", () => empty(0, ScalarType.Int64), Reduction.Cat);
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>How per-class areas are combined.</summary>
    public Average Average { get; }

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        if (preds.dim() != 2 || preds.shape[1] != NumClasses)
            throw new ArgumentException($"MulticlassAUROC needs preds of shape (N, {NumClasses}); got [{string.Join(", ", preds.shape)}].", nameof(preds));
        using var scope = NewDisposeScope();
        var scores = preds.detach().to(ScalarType.Float32);
        if (!InUnitInterval(scores)) scores = scores.softmax(1);
        Append("preds", scores);
        Append("target", target.detach().flatten().to(ScalarType.Int64));
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue()
    {
        var (preds, target) = (Values("preds"), Values("target"));
        var areas = stack(Enumerable.Range(0, NumClasses).Select(c =>
        {
            using var positive = c.ToScalar();
            return Roc.Area(preds[.., c], target == positive);
        }).ToArray());
        if (Average == Average.None) return areas;
        var known = ~areas.isnan();
        if (Average == Average.Macro) return areas[known].mean();
        var support = bincount(target, minlength: NumClasses).to(ScalarType.Float32)[known];
        return (areas[known] * SafeDivide(support, support.sum())).sum();
    }
}

/// <summary>The ROC curve and its area as torchmetrics computes them (thresholds at every distinct score, trapezoids).</summary>
internal static class Roc
{
    public static Tensor Area(Tensor scores, Tensor positive)
    {
        var order = scores.argsort(descending: true);
        var sorted = scores[order];
        var labels = positive[order].to(ScalarType.Int64);
        // The last index of each run of equal scores, and the end of the curve.
        var distinct = nonzero(sorted[1..] - sorted[..^1]).flatten();
        var thresholds = cat([distinct, tensor(new[] { scores.shape[0] - 1 }, device: scores.device)]);
        var tps = labels.cumsum(0L)[thresholds];
        using var one = 1.ToScalar();
        var fps = thresholds + one - tps;
        tps = cat([zeros(1, tps.dtype, tps.device), tps]);
        fps = cat([zeros(1, fps.dtype, fps.device), fps]);
        var fpr = fps[^1].item<long>() <= 0 ? zeros_like(fps, ScalarType.Float32) : fps / fps[^1];
        var tpr = tps[^1].item<long>() <= 0 ? zeros_like(tps, ScalarType.Float32) : tps / tps[^1];
        return trapz(tpr.to(ScalarType.Float32), fpr.to(ScalarType.Float32));
    }
}
