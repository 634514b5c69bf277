namespace LitGen;

/// <summary>The trainer entry point a hook runs under (Lightning's <c>stage</c> strings).</summary>
public enum Stage
{
    /// <summary><c>Trainer.Fit</c>.</summary>
    Fit,
    /// <summary><c>Trainer.Validate</c>.</summary>
    Validate,
    /// <summary><c>Trainer.Test</c>.</summary>
    Test,
    /// <summary><c>Trainer.Predict</c>.</summary>
    Predict,
}

/// <summary>Whether a monitored metric improves when it goes down or up.</summary>
public enum MonitorMode
{
    /// <summary>Lower is better (losses).</summary>
    Min,
    /// <summary>Higher is better (accuracies).</summary>
    Max,
}

/// <summary>When a learning-rate scheduler steps.</summary>
public enum Interval
{
    /// <summary>After every optimizer step.</summary>
    Step,
    /// <summary>After every training epoch.</summary>
    Epoch,
}

/// <summary>How the values logged under one name during an epoch are reduced to the epoch value.</summary>
public enum ReduceFx
{
    /// <summary>Batch-size-weighted mean.</summary>
    Mean,
    /// <summary>Sum.</summary>
    Sum,
    /// <summary>Maximum.</summary>
    Max,
    /// <summary>Minimum.</summary>
    Min,
}

/// <summary>How gradients are clipped.</summary>
public enum GradientClipAlgorithm
{
    /// <summary>Scale all gradients so that their total 2-norm is at most the clip value.</summary>
    Norm,
    /// <summary>Clamp every gradient element to [-clip, clip].</summary>
    Value,
}
