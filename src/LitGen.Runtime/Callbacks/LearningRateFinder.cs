using System;
using System.Collections.Generic;
using System.Linq;

namespace LitGen;

/// <summary>How <see cref="LearningRateFinder"/> spaces the learning rates it tries.</summary>
public enum LrFinderMode
{
    /// <summary>Geometrically from MinLr to MaxLr.</summary>
    Exponential,
    /// <summary>Evenly from MinLr to MaxLr.</summary>
    Linear,
}

/// <summary>
/// The learning-rate range test (Lightning's <c>LearningRateFinder</c>): before training, trains
/// <see cref="NumTrainingSteps"/> batches with a learning rate rising from <see cref="MinLr"/> to <see cref="MaxLr"/>,
/// records the smoothed loss, suggests the rate where the loss falls fastest, then restores the weights, the optimizer
/// state and the random generator, so training starts exactly as it would have.
/// </summary>
public class LearningRateFinder : Callback
{
    /// <summary>The first learning rate tried (default 1e-8).</summary>
    public double MinLr { get; init; } = 1e-8;

    /// <summary>The last learning rate tried (default 1).</summary>
    public double MaxLr { get; init; } = 1;

    /// <summary>How many batches to try (default 100).</summary>
    public int NumTrainingSteps { get; init; } = 100;

    /// <summary>Exponential (default) or linear spacing.</summary>
    public LrFinderMode Mode { get; init; } = LrFinderMode.Exponential;

    /// <summary>Stop when the smoothed loss exceeds this multiple of the best so far (default 4); null never stops early.</summary>
    public double? EarlyStopThreshold { get; init; } = 4.0;

    /// <summary>
    /// Set the optimizer's learning rate to the suggestion (default true). Not possible when ConfigureOptimizers also
    /// returns schedulers, which keep the rate they were built with: then read <see cref="SuggestedLearningRate"/> and
    /// pass it to the module's constructor instead.
    /// </summary>
    public bool UpdateLearningRate { get; init; } = true;

    /// <summary>The learning rates tried, in order.</summary>
    public IReadOnlyList<double> LearningRates { get; private set; } = [];

    /// <summary>The smoothed loss at each learning rate tried.</summary>
    public IReadOnlyList<double> Losses { get; private set; } = [];

    /// <summary>The suggested learning rate (<see cref="Suggestion"/> with the defaults), once the range test ran.</summary>
    public double? SuggestedLearningRate { get; private set; }

    /// <summary>The learning rate at the steepest descent of the loss, ignoring the first and last points (Lightning's rule).</summary>
    public double? Suggestion(int skipBegin = 10, int skipEnd = 1)
    {
        var losses = Losses.Skip(skipBegin).Take(Math.Max(0, Losses.Count - skipBegin - skipEnd)).Where(double.IsFinite).ToArray();
        if (losses.Length < 2) return null;
        // torch.gradient: one-sided differences at the ends, central differences inside.
        var gradient = new double[losses.Length];
        for (int i = 0; i < losses.Length; i++)
            gradient[i] = i == 0 ? losses[1] - losses[0]
                : i == losses.Length - 1 ? losses[i] - losses[i - 1]
                : (losses[i + 1] - losses[i - 1]) / 2;
        int steepest = Array.IndexOf(gradient, gradient.Min());
        return LearningRates[steepest + skipBegin];
    }

    /// <summary>The learning rate of sweep step <paramref name="step"/> (Lightning's _ExponentialLR/_LinearLR).</summary>
    internal double LearningRateAt(int step)
    {
        double r = step / (double)NumTrainingSteps;
        return Mode == LrFinderMode.Exponential ? MinLr * Math.Pow(MaxLr / MinLr, r) : MinLr + r * (MaxLr - MinLr);
    }

    internal void Validate()
    {
        if (!(MinLr > 0 && MaxLr > MinLr)) throw new MisconfigurationException("LearningRateFinder needs 0 < MinLr < MaxLr.");
        if (NumTrainingSteps < 2) throw new MisconfigurationException("LearningRateFinder needs NumTrainingSteps of 2 or more.");
    }

    internal void Record(IReadOnlyList<double> learningRates, IReadOnlyList<double> losses)
    {
        LearningRates = learningRates;
        Losses = losses;
        SuggestedLearningRate = Suggestion();
    }
}
