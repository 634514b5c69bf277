using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace LitGen;

/// <summary>How <see cref="StochasticWeightAveraging"/> anneals the learning rate to its SWA value.</summary>
public enum SwaAnnealing
{
    /// <summary>Cosine annealing.</summary>
    Cos,
    /// <summary>Linear annealing.</summary>
    Linear,
}

/// <summary>
/// Stochastic Weight Averaging (Lightning's <c>StochasticWeightAveraging</c>): from <see cref="SwaEpochStart"/> on,
/// the learning rate is annealed to <see cref="SwaLr"/> (PyTorch's SWALR, per epoch, replacing the module's
/// scheduler) and the weights at the start of each epoch are averaged; when training ends the module gets the
/// averaged weights. Needs one optimizer, a MaxEpochs, and no BatchNorm layers (their statistics would need
/// recomputing for the averaged weights).
/// </summary>
public class StochasticWeightAveraging : Callback
{
    private List<Tensor>? average;
    private int averaged;
    private int latestUpdateEpoch = -1;
    private bool initialized;
    private int swaStart;
    private int swaEnd;

    /// <summary>Creates the callback annealing every parameter group to <paramref name="swaLr"/>.</summary>
    public StochasticWeightAveraging(double swaLr)
    {
        if (!(swaLr > 0)) throw new ArgumentOutOfRangeException(nameof(swaLr), swaLr, "The SWA learning rate must be positive.");
        SwaLr = swaLr;
    }

    /// <summary>The learning rate SWA anneals to.</summary>
    public double SwaLr { get; }

    /// <summary>Below 1: the fraction of MaxEpochs after which SWA starts (default 0.8); 1 or more: the (1-based) epoch.</summary>
    public double SwaEpochStart { get; init; } = 0.8;

    /// <summary>Epochs over which the learning rate is annealed (default 10).</summary>
    public int AnnealingEpochs { get; init; } = 10;

    /// <summary>Cosine (default) or linear annealing.</summary>
    public SwaAnnealing AnnealingStrategy { get; init; } = SwaAnnealing.Cos;

    /// <summary>How many weight snapshots have been averaged.</summary>
    public int Averaged => averaged;

    /// <inheritdoc />
    public override void OnFitStart(Trainer trainer, LightningModule module)
    {
        if (trainer.Optimizers.Count != 1)
            throw new MisconfigurationException("StochasticWeightAveraging works with exactly one optimizer.");
        if (trainer.LrSchedulerConfigs.Count > 1)
            throw new MisconfigurationException("StochasticWeightAveraging replaces the learning-rate scheduler, so it supports at most one.");
        if (trainer.MaxEpochs < 1)
            throw new MisconfigurationException("StochasticWeightAveraging needs MaxEpochs to know when training ends.");
        if (module.modules().Any(m => m.GetType().Name.StartsWith("BatchNorm", StringComparison.Ordinal)))
            throw new MisconfigurationException(
                "StochasticWeightAveraging with BatchNorm layers would need their running statistics recomputed for the averaged weights, which LitGen does not do; remove the callback or the BatchNorm layers.");
        if (SwaEpochStart <= 0 || (SwaEpochStart >= 1 && SwaEpochStart != Math.Floor(SwaEpochStart)))
            throw new MisconfigurationException("SwaEpochStart must be a fraction in (0, 1) or a whole epoch number of 1 or more.");
        int start = SwaEpochStart < 1 ? (int)(trainer.MaxEpochs * SwaEpochStart) : (int)SwaEpochStart;
        swaStart = Math.Max(start - 1, 0);
        swaEnd = trainer.MaxEpochs - 1;
        (initialized, averaged, latestUpdateEpoch) = (false, 0, -1);
    }

    /// <inheritdoc />
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module)
    {
        int epoch = trainer.CurrentEpoch;
        if (epoch < swaStart || epoch > swaEnd) return;
        if (!initialized)
        {
            initialized = true;
            trainer.ReplaceLrSchedulers(new LrSchedulerConfig(new SwaLrScheduler(trainer.Optimizers[0].Optimizer, SwaLr, AnnealingEpochs, AnnealingStrategy)));
        }
        if (epoch > latestUpdateEpoch)
        {
            UpdateAverage(module);
            latestUpdateEpoch = epoch;
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(Trainer trainer, LightningModule module)
    {
        if (average is null) return;
        if (trainer.CurrentEpoch - 1 == swaEnd)
        {
            using var noGrad = no_grad();
            foreach (var (parameter, mean) in module.parameters().Zip(average)) parameter.copy_(mean);
        }
        foreach (var tensor in average) tensor.Dispose();
        average = null;
    }

    /// <inheritdoc />
    public override System.Text.Json.Nodes.JsonObject StateDict() => new() { ["started"] = initialized, ["averaged"] = averaged };

    /// <summary>Refuses to resume once averaging has started: the averaged weights are not kept in checkpoints.</summary>
    public override void LoadStateDict(System.Text.Json.Nodes.JsonObject state)
    {
        if ((bool)state["started"]!)
            throw new MisconfigurationException(
                "This checkpoint was taken after StochasticWeightAveraging started; its averaged weights are not in the checkpoint, so the run cannot resume exactly. Resume from a checkpoint taken before SWA started.");
    }

    // Lightning's default avg_fn: averaged + (current - averaged) / (n + 1).
    private void UpdateAverage(LightningModule module)
    {
        using var noGrad = no_grad();
        var parameters = module.parameters().ToList();
        if (average is null || averaged == 0)
        {
            if (average is not null) foreach (var tensor in average) tensor.Dispose();
            average = parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToList();
        }
        else
        {
            // A Scalar held by a using stays alive through the native calls (see ScalarLifetimeTests).
            using var count = (averaged + 1).ToScalar();
            for (int i = 0; i < parameters.Count; i++)
                average[i].add_((parameters[i] - average[i]) / count);
        }
        averaged++;
    }

    /// <summary>PyTorch's SWALR: from the current learning rate to the SWA rate over the annealing epochs.</summary>
    private sealed class SwaLrScheduler : LRScheduler
    {
        private readonly Optimizer optimizer;
        private readonly double swaLr;
        private readonly int annealEpochs;
        private readonly SwaAnnealing strategy;
        private int stepCount = 1;

        public SwaLrScheduler(Optimizer optimizer, double swaLr, int annealEpochs, SwaAnnealing strategy)
        {
            this.optimizer = optimizer;
            this.swaLr = swaLr;
            this.annealEpochs = annealEpochs;
            this.strategy = strategy;
        }

        public override void step()
        {
            stepCount++;
            int step = annealEpochs == 0 ? Math.Max(1, stepCount - 1) : stepCount - 1;
            double prevAlpha = Anneal(Math.Clamp((step - 1) / (double)Math.Max(1, annealEpochs), 0, 1));
            double alpha = Anneal(Math.Clamp(step / (double)Math.Max(1, annealEpochs), 0, 1));
            foreach (var group in optimizer.ParamGroups)
            {
                double initial = prevAlpha == 1 ? swaLr : (group.LearningRate - prevAlpha * swaLr) / (1 - prevAlpha);
                group.LearningRate = swaLr * alpha + initial * (1 - alpha);
            }
        }

        private double Anneal(double t) => strategy == SwaAnnealing.Cos ? (1 - Math.Cos(Math.PI * t)) / 2 : t;
    }
}
