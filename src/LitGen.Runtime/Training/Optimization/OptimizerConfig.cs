using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch.optim;
using static TorchSharp.torch.optim.lr_scheduler;

namespace LitGen;

/// <summary>
/// What <see cref="LightningModule.ConfigureOptimizers"/> returns: Lightning's return forms as one type.
/// Convert from an <see cref="Optimizer"/>, an array of them, or a tuple of optimizers and schedulers,
/// or use a constructor.
/// </summary>
public sealed class OptimizerConfig
{
    /// <summary>No optimizer (only valid when nothing is trained).</summary>
    public static OptimizerConfig None { get; } = new([], []);

    /// <summary>One optimizer, optionally with one scheduler.</summary>
    public OptimizerConfig(Optimizer optimizer, LrSchedulerConfig? scheduler = null)
        : this([optimizer ?? throw new ArgumentNullException(nameof(optimizer))], scheduler is null ? [] : [scheduler])
    {
    }

    /// <summary>Several optimizers and schedulers.</summary>
    public OptimizerConfig(IEnumerable<Optimizer> optimizers, IEnumerable<LrSchedulerConfig> schedulers)
    {
        Optimizers = optimizers?.ToArray() ?? throw new ArgumentNullException(nameof(optimizers));
        Schedulers = schedulers?.ToArray() ?? throw new ArgumentNullException(nameof(schedulers));
        if (Optimizers.Any(o => o is null))
            throw new MisconfigurationException("ConfigureOptimizers returned a null optimizer; return only constructed optimizers.");
        if (Schedulers.Any(s => s is null))
            throw new MisconfigurationException("ConfigureOptimizers returned a null scheduler; return only constructed schedulers.");
        if (Schedulers.Count > 0 && Optimizers.Count == 0)
            throw new MisconfigurationException("ConfigureOptimizers returned schedulers without an optimizer; return the optimizer they schedule too.");
    }

    /// <summary>The optimizers, in the order given.</summary>
    public IReadOnlyList<Optimizer> Optimizers { get; }

    /// <summary>The schedulers with their configuration, in the order given.</summary>
    public IReadOnlyList<LrSchedulerConfig> Schedulers { get; }

    /// <summary>A single optimizer and no scheduler.</summary>
    public static implicit operator OptimizerConfig(Optimizer optimizer) => new(optimizer);

    /// <summary>Several optimizers, no scheduler.</summary>
    public static implicit operator OptimizerConfig(Optimizer[] optimizers) => new(optimizers, []);

    /// <summary>Optimizers and schedulers, each scheduler with the default configuration.</summary>
    public static implicit operator OptimizerConfig((Optimizer[] Optimizers, LRScheduler[] Schedulers) config)
        => new(config.Optimizers, (config.Schedulers ?? throw new ArgumentNullException(nameof(config))).Select(s => new LrSchedulerConfig(s)));
}

/// <summary>A learning-rate scheduler and when it steps (Lightning's <c>lr_scheduler</c> dictionary).</summary>
public sealed class LrSchedulerConfig
{
    /// <summary>Wraps <paramref name="scheduler"/> with the default configuration (every epoch).</summary>
    public LrSchedulerConfig(LRScheduler scheduler)
    {
        Scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));
    }

    /// <summary>The scheduler.</summary>
    public LRScheduler Scheduler { get; }

    /// <summary>Step after every optimizer step or after every epoch (default).</summary>
    public Interval Interval { get; init; } = Interval.Epoch;

    /// <summary>Step every this many intervals (default 1).</summary>
    public int Frequency { get; init; } = 1;

    /// <summary>The logged metric a <c>ReduceLROnPlateau</c> scheduler is stepped with; required for it.</summary>
    public string? Monitor { get; init; }

    /// <summary>When the monitored metric is missing: true throws, false warns and skips the step.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>A name for logging the learning rate (defaults to <c>lr-{OptimizerType}</c>).</summary>
    public string? Name { get; init; }

    /// <summary>The optimizer the scheduler drives (TorchSharp keeps it in a private field of the scheduler).</summary>
    internal Optimizer? Optimizer => SchedulerOptimizer?.GetValue(Scheduler) as Optimizer;

    private static readonly System.Reflection.FieldInfo? SchedulerOptimizer =
        typeof(LRScheduler).GetField("_optimizer", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);

    /// <summary>True for <c>ReduceLROnPlateau</c>, which steps with a metric.</summary>
    public bool ReduceOnPlateau => Scheduler is impl.ReduceLROnPlateau;

    /// <summary>Wraps a scheduler with the default configuration.</summary>
    public static implicit operator LrSchedulerConfig(LRScheduler scheduler) => new(scheduler);

    internal void Validate()
    {
        if (Frequency < 1)
            throw new MisconfigurationException($"LrSchedulerConfig.Frequency must be 1 or more, got {Frequency}.");
        if (ReduceOnPlateau && string.IsNullOrEmpty(Monitor))
            throw new MisconfigurationException(
                "ReduceLROnPlateau steps with a metric: set LrSchedulerConfig.Monitor to a logged name, e.g. new LrSchedulerConfig(scheduler) { Monitor = \"val_loss\" }.");
    }
}
