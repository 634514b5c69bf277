using System;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>The metrics as functions of one batch (torchmetrics' <c>functional</c> module).</summary>
public static class MetricFunctions
{
    /// <summary><see cref="LitGen.MulticlassAccuracy"/> of one batch.</summary>
    public static Tensor MulticlassAccuracy(Tensor preds, Tensor target, int numClasses, int topK = 1, Average average = Average.Micro)
        => Once(new LitGen.MulticlassAccuracy(numClasses, topK, average), preds, target);

    /// <summary><see cref="LitGen.MulticlassPrecision"/> of one batch.</summary>
    public static Tensor MulticlassPrecision(Tensor preds, Tensor target, int numClasses, int topK = 1, Average average = Average.Macro)
        => Once(new LitGen.MulticlassPrecision(numClasses, topK, average), preds, target);

    /// <summary><see cref="LitGen.MulticlassRecall"/> of one batch.</summary>
    public static Tensor MulticlassRecall(Tensor preds, Tensor target, int numClasses, int topK = 1, Average average = Average.Macro)
        => Once(new LitGen.MulticlassRecall(numClasses, topK, average), preds, target);

    /// <summary><see cref="LitGen.MulticlassF1Score"/> of one batch.</summary>
    public static Tensor MulticlassF1Score(Tensor preds, Tensor target, int numClasses, int topK = 1, Average average = Average.Macro)
        => Once(new LitGen.MulticlassF1Score(numClasses, topK, average), preds, target);

    /// <summary><see cref="LitGen.MulticlassAUROC"/> of one batch.</summary>
    public static Tensor MulticlassAUROC(Tensor preds, Tensor target, int numClasses, Average average = Average.Macro)
        => Once(new LitGen.MulticlassAUROC(numClasses, average), preds, target);

    /// <summary><see cref="LitGen.MulticlassConfusionMatrix"/> of one batch.</summary>
    public static Tensor MulticlassConfusionMatrix(Tensor preds, Tensor target, int numClasses)
        => Once(new LitGen.MulticlassConfusionMatrix(numClasses), preds, target);

    /// <summary><see cref="LitGen.BinaryAccuracy"/> of one batch.</summary>
    public static Tensor BinaryAccuracy(Tensor preds, Tensor target, double threshold = 0.5) => Once(new LitGen.BinaryAccuracy(threshold), preds, target);

    /// <summary><see cref="LitGen.BinaryAUROC"/> of one batch.</summary>
    public static Tensor BinaryAUROC(Tensor preds, Tensor target) => Once(new LitGen.BinaryAUROC(), preds, target);

    /// <summary><see cref="LitGen.MeanSquaredError"/> of one batch.</summary>
    public static Tensor MeanSquaredError(Tensor preds, Tensor target) => Once(new LitGen.MeanSquaredError(), preds, target);

    /// <summary><see cref="LitGen.MeanAbsoluteError"/> of one batch.</summary>
    public static Tensor MeanAbsoluteError(Tensor preds, Tensor target) => Once(new LitGen.MeanAbsoluteError(), preds, target);

    private static Tensor Once(Metric metric, Tensor preds, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(preds);
        ArgumentNullException.ThrowIfNull(target);
        using (metric)
        {
            metric.Update(preds, target);
            return metric.Compute();
        }
    }
}
