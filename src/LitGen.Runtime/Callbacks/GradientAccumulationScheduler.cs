using System;
using System.Collections.Generic;
using System.Linq;

namespace LitGen;

/// <summary>
/// Changes gradient accumulation by epoch (Lightning's <c>GradientAccumulationScheduler</c>): from each epoch in
/// <see cref="Scheduling"/> on (0-based), accumulate that many batches; before the first listed epoch, 1.
/// </summary>
public class GradientAccumulationScheduler : Callback
{
    /// <summary>Creates the scheduler, e.g. <c>new Dictionary&lt;int, int&gt; { [0] = 4, [5] = 2 }</c>.</summary>
    public GradientAccumulationScheduler(IReadOnlyDictionary<int, int> scheduling)
    {
        ArgumentNullException.ThrowIfNull(scheduling);
        if (scheduling.Count == 0) throw new ArgumentException("The scheduling needs at least one epoch: accumulation pair.", nameof(scheduling));
        if (scheduling.Keys.Any(epoch => epoch < 0) || scheduling.Values.Any(factor => factor < 1))
            throw new ArgumentException("Epochs must be 0 or more and accumulation factors 1 or more.", nameof(scheduling));
        Scheduling = scheduling;
    }

    /// <summary>The accumulation factor from each epoch on.</summary>
    public IReadOnlyDictionary<int, int> Scheduling { get; }

    /// <summary>The factor for <paramref name="epoch"/>.</summary>
    public int FactorAt(int epoch) => Scheduling.Where(p => p.Key <= epoch).OrderBy(p => p.Key).Select(p => p.Value).LastOrDefault(1);

    /// <inheritdoc />
    public override void OnTrainStart(Trainer trainer, LightningModule module)
    {
        if (!module.AutomaticOptimization)
            throw new MisconfigurationException("GradientAccumulationScheduler works with automatic optimization only; accumulate by hand under manual optimization.");
        if (trainer.Options.AccumulateGradBatches != 1)
            throw new MisconfigurationException("GradientAccumulationScheduler and TrainerOptions.AccumulateGradBatches both set accumulation; use one of them.");
    }

    /// <inheritdoc />
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module) => trainer.AccumulateGradBatches = FactorAt(trainer.CurrentEpoch);
}
