using System;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The per-class true/false positives and negatives that accuracy, precision, recall and F1 are computed from
/// (torchmetrics' <c>MulticlassStatScores</c>): <c>preds</c> are logits or probabilities <c>(N, C)</c> (or class indices
/// <c>(N)</c>), <c>target</c> class indices <c>(N)</c>; a sample counts as predicting every class among its top <c>topK</c>.
/// </summary>
public abstract class MulticlassStatScores : Metric
{
    /// <summary>Declares the counts for <paramref name="numClasses"/> classes.</summary>
    protected MulticlassStatScores(string name, int numClasses, int topK, Average average) : base(name)
    {
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A multiclass metric needs 2 classes or more.");
        if (topK < 1 || topK > numClasses) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"topK must be between 1 and numClasses ({numClasses}).");
        (NumClasses, TopK, Average) = (numClasses, topK, average);
        foreach (var count in new[] { "tp", "fp", "tn", "fn" }) AddState(count, () => zeros(numClasses, ScalarType.Int64), Reduction.Sum);
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>How many of the highest-scoring classes count as predicted.</summary>
    public int TopK { get; }

    /// <summary>How per-class scores are combined.</summary>
    public Average Average { get; }

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var predicted = PredictedOneHot(preds.detach(), target, NumClasses, TopK);
        var actual = nn.functional.one_hot(target.to(ScalarType.Int64), NumClasses).to(ScalarType.Bool);
        SetValue("tp", Value("tp").to(preds.device) + (predicted & actual).sum(0L));
        SetValue("fp", Value("fp").to(preds.device) + (predicted & ~actual).sum(0L));
        SetValue("tn", Value("tn").to(preds.device) + (~predicted & ~actual).sum(0L));
        SetValue("fn", Value("fn").to(preds.device) + (~predicted & actual).sum(0L));
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue()
    {
        var (tp, fp, tn, fn) = (Value("tp"), Value("fp"), Value("tn"), Value("fn"));
        if (Average == Average.Micro) return Score(tp.sum(), fp.sum(), tn.sum(), fn.sum());
        var perClass = Score(tp, fp, tn, fn);
        if (Average == Average.None) return perClass;
        Tensor weights;
        if (Average == Average.Weighted) weights = (tp + fn).to(ScalarType.Float32);
        else
        {
            using var zero = 0.ToScalar();
            weights = where(tp + fp + fn == zero, 0f, 1f);
        }
        return SafeDivide(weights * perClass, weights.sum()).sum();
    }

    /// <summary>The score from counts (per class, or summed for <see cref="Average.Micro"/>).</summary>
    protected abstract Tensor Score(Tensor tp, Tensor fp, Tensor tn, Tensor fn);

    internal static Tensor PredictedOneHot(Tensor preds, Tensor target, int numClasses, int topK)
    {
        if (preds.dim() == target.dim())
        {
            if (topK != 1) throw new ArgumentException("topK > 1 needs scores (N, C), not class indices.", nameof(preds));
            return nn.functional.one_hot(preds.to(ScalarType.Int64), numClasses).to(ScalarType.Bool);
        }
        if (preds.dim() != target.dim() + 1 || preds.shape[1] != numClasses)
            throw new ArgumentException($"preds must be (N, {numClasses}) scores or (N) class indices for targets of shape [{string.Join(", ", target.shape)}]; got [{string.Join(", ", preds.shape)}].", nameof(preds));
        var top = preds.topk(topK, dim: 1).indexes;
        return zeros_like(preds, ScalarType.Bool).scatter_(1, top, ones_like(top, ScalarType.Bool));
    }
}

/// <summary>Multiclass accuracy (torchmetrics' <c>MulticlassAccuracy</c>; the default average here is micro, torchmetrics' is macro).</summary>
public sealed class MulticlassAccuracy(int numClasses, int topK = 1, Average average = Average.Micro)
    : MulticlassStatScores(nameof(MulticlassAccuracy), numClasses, topK, average)
{
    /// <inheritdoc />
    protected override Tensor Score(Tensor tp, Tensor fp, Tensor tn, Tensor fn) => SafeDivide(tp, tp + fn);
}

/// <summary>Multiclass precision, tp / (tp + fp) (torchmetrics' <c>MulticlassPrecision</c>).</summary>
public sealed class MulticlassPrecision(int numClasses, int topK = 1, Average average = Average.Macro)
    : MulticlassStatScores(nameof(MulticlassPrecision), numClasses, topK, average)
{
    /// <inheritdoc />
    protected override Tensor Score(Tensor tp, Tensor fp, Tensor tn, Tensor fn) => SafeDivide(tp, tp + fp);
}

/// <summary>Multiclass recall, tp / (tp + fn) (torchmetrics' <c>MulticlassRecall</c>).</summary>
public sealed class MulticlassRecall(int numClasses, int topK = 1, Average average = Average.Macro)
    : MulticlassStatScores(nameof(MulticlassRecall), numClasses, topK, average)
{
    /// <inheritdoc />
    protected override Tensor Score(Tensor tp, Tensor fp, Tensor tn, Tensor fn) => SafeDivide(tp, tp + fn);
}

/// <summary>Multiclass F1, 2tp / (2tp + fp + fn) (torchmetrics' <c>MulticlassF1Score</c>).</summary>
public sealed class MulticlassF1Score(int numClasses, int topK = 1, Average average = Average.Macro)
    : MulticlassStatScores(nameof(MulticlassF1Score), numClasses, topK, average)
{
    /// <inheritdoc />
    protected override Tensor Score(Tensor tp, Tensor fp, Tensor tn, Tensor fn)
    {
        using var two = 2.ToScalar();
        return SafeDivide(tp * two, tp * two + fp + fn);
    }
}

/// <summary>The confusion matrix, rows the targets and columns the predictions (torchmetrics' <c>MulticlassConfusionMatrix</c>).</summary>
public sealed class MulticlassConfusionMatrix : Metric
{
    /// <summary>Counts for <paramref name="numClasses"/> classes.</summary>
    public MulticlassConfusionMatrix(int numClasses) : base(nameof(MulticlassConfusionMatrix))
    {
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A multiclass metric needs 2 classes or more.");
        NumClasses = numClasses;
        AddState("confmat", () => zeros(numClasses, numClasses, ScalarType.Int64), Reduction.Sum);
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        var predicted = preds.dim() == target.dim() + 1 ? preds.detach().argmax(1) : preds.detach().to(ScalarType.Int64);
        using var classes = NumClasses.ToScalar();
        var pairs = target.to(ScalarType.Int64) * classes + predicted;
        var counts = bincount(pairs, minlength: NumClasses * NumClasses).reshape(NumClasses, NumClasses);
        SetValue("confmat", Value("confmat").to(preds.device) + counts);
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue() => Value("confmat").clone();
}

/// <summary>
/// Binary accuracy (torchmetrics' <c>BinaryAccuracy</c>): <c>preds</c> are probabilities <c>(N)</c> (logits outside [0, 1]
/// go through a sigmoid), predicted positive above the threshold (as torchmetrics); <c>target</c> is 0 or 1.
/// </summary>
public sealed class BinaryAccuracy : Metric
{
    /// <summary>Counts correct predictions at <paramref name="threshold"/>.</summary>
    public BinaryAccuracy(double threshold = 0.5) : base(nameof(BinaryAccuracy))
    {
        Threshold = threshold;
        AddState("correct", () => zeros(1, ScalarType.Int64), Reduction.Sum);
        AddState("total", () => zeros(1, ScalarType.Int64), Reduction.Sum);
    }

    /// <summary>The probability above which a prediction is positive.</summary>
    public double Threshold { get; }

    /// <inheritdoc />
    public override void Update(Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        using var threshold = Threshold.ToScalar();
        using var count = target.numel().ToScalar();
        var predicted = (Probabilities(preds.detach()) > threshold).to(ScalarType.Int64);
        SetValue("correct", Value("correct").to(preds.device) + (predicted == target.to(ScalarType.Int64)).sum());
        SetValue("total", Value("total").to(preds.device) + count);
    }

    /// <inheritdoc />
    protected override Tensor ComputeValue() => SafeDivide(Value("correct"), Value("total")).squeeze();

    /// <summary>Probabilities as torchmetrics takes them: unchanged in [0, 1], else through a sigmoid.</summary>
    internal static Tensor Probabilities(Tensor preds)
        => preds.is_floating_point() && !InUnitInterval(preds) ? preds.sigmoid() : preds;
}
