using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch.optim;

namespace LitGen;

/// <summary>
/// The optimizers and schedulers of a fit, from <c>ConfigureOptimizers</c> (Lightning's <c>_configure_optimizers</c>
/// and <c>_update_learning_rates</c>): how schedulers step, and their state and the optimizers' for checkpoints.
/// TorchSharp schedulers have no state of their own, so each keeps the history of its steps, which replays it exactly.
/// </summary>
internal sealed class OptimizerSetup(Trainer trainer)
{
    private List<double?>[] histories = [];

    public LightningOptimizer[] Optimizers { get; private set; } = [];

    public LrSchedulerConfig[] Schedulers { get; private set; } = [];

    public void Configure(LightningModule module)
    {
        if (!module.GeneratedHooks.HasFlag(ModuleHooks.ConfigureOptimizers))
            throw new MisconfigurationException(
                $"{module.GetType().Name} has no ConfigureOptimizers: override it and return the optimizer(s), e.g. optim.Adam(parameters(), 1e-3).");
        var config = module.ConfigureOptimizers() ?? OptimizerConfig.None;
        if (config.Optimizers.Count == 0)
        {
            // Lightning's _MockOptimizer: the fit runs and counts its steps, which change nothing.
            if (trainer.Messages.FirstTime(nameof(TrainerLog.NoOptimizer))) TrainerLog.NoOptimizer(trainer.Log, module.GetType().Name);
            config = new OptimizerConfig(SGD(Array.Empty<TorchSharp.Modules.Parameter>(), 0.0));
        }
        if (config.Optimizers.Count > 1 && module.AutomaticOptimization)
            throw new MisconfigurationException(
                $"{module.GetType().Name}.ConfigureOptimizers returned {config.Optimizers.Count} optimizers; as in Lightning 2, several optimizers need manual optimization: " +
                "set AutomaticOptimization = false in the constructor and step them in TrainingStep with Optimizers().");
        foreach (var scheduler in config.Schedulers) scheduler.Validate();
        Optimizers = config.Optimizers.Select(o => new LightningOptimizer(trainer, module, o)).ToArray();
        ReplaceSchedulers(config.Schedulers.ToArray());
    }

    /// <summary>Replaces the schedulers (StochasticWeightAveraging's SWALR); their history restarts.</summary>
    public void ReplaceSchedulers(LrSchedulerConfig[] configs)
    {
        Schedulers = configs;
        histories = configs.Select(_ => new List<double?>()).ToArray();
    }

    /// <summary>
    /// Steps the schedulers due at this point: plateau and other schedulers step at different points; the frequency
    /// counts batches of the epoch (step interval) or epochs. Manual optimization steps schedulers itself.
    /// </summary>
    public void StepSchedulers(LightningModule module, Interval interval, bool plateau, int batchIdx)
    {
        if (!module.AutomaticOptimization) return;
        // A step the gradient scaler skipped (non-finite gradients) leaves the step-interval schedulers where they are.
        if (interval == Interval.Step && trainer.Strategy.GradScaler is { StepSkipped: true }) return;
        long index = (interval == Interval.Step ? batchIdx : trainer.CurrentEpoch) + 1;
        for (int i = 0; i < Schedulers.Length; i++)
        {
            var config = Schedulers[i];
            if (config.ReduceOnPlateau != plateau || config.Interval != interval || index % config.Frequency != 0) continue;
            if (!plateau)
            {
                StepScheduler(module, config.Scheduler, metric: null);
                histories[i].Add(null);
                continue;
            }
            var metrics = trainer.CallbackMetrics;
            if (metrics.TryGetValue(config.Monitor!, out var metric))
            {
                StepScheduler(module, config.Scheduler, metric);
                histories[i].Add(metric);
            }
            else if (config.Strict)
                throw new MisconfigurationException(
                    $"ReduceLROnPlateau is conditioned on metric '{config.Monitor}', which is not available. Available metrics: [{string.Join(", ", metrics.Keys.Order())}]. " +
                    "Log it, change LrSchedulerConfig.Monitor, or set Strict = false to skip the step with a warning.");
            else
                if (trainer.Messages.FirstTime($"{nameof(TrainerLog.SchedulerMonitorMissing)}:{config.Monitor}")) TrainerLog.SchedulerMonitorMissing(trainer.Log, config.Monitor);
        }
    }

    private void StepScheduler(LightningModule module, TorchSharp.torch.optim.lr_scheduler.LRScheduler scheduler, double? metric)
    {
        using var scope = trainer.Hooks.Logging(ModuleHooks.LrSchedulerStep, trainer.Hooks.ActiveMetrics);
        module.LrSchedulerStep(scheduler, metric);
        trainer.Hooks.ActiveMetrics?.SyncStepValues();
    }

    /// <summary>Each optimizer's state, serialized when the checkpoint is written (never held in memory whole).</summary>
    public CheckpointBlob[] SaveOptimizerStates() => Optimizers.Select(o =>
    {
        var helper = Serializable(o.Optimizer);
        return CheckpointBlob.Generated(stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            helper.save_state_dict(writer);
        });
    }).ToArray();

    public JsonArray SaveSchedulerHistories()
        => new(histories.Select(h => (JsonNode)new JsonArray(h.Select(JsonDoubles.From).ToArray())).ToArray());

    /// <summary>Checks that a checkpoint's optimizer and scheduler states fit this configuration, before anything is changed.</summary>
    public void EnsureMatches(Checkpoint checkpoint, string path)
    {
        if (checkpoint.LrSchedulers.Count != Schedulers.Length || checkpoint.OptimizerStates.Count != Optimizers.Length)
            throw new InvalidCheckpointException(path,
                $"it holds {checkpoint.OptimizerStates.Count} optimizer(s) and {checkpoint.LrSchedulers.Count} scheduler(s) but ConfigureOptimizers returned " +
                $"{Optimizers.Length} and {Schedulers.Length}; resume with the same optimizer configuration.");
        for (int i = 0; i < Optimizers.Length; i++)
        {
            // TorchSharp's state format starts with the optimizer's name.
            string saved;
            try
            {
                using var reader = new BinaryReader(checkpoint.OptimizerStates[i].Open());
                saved = reader.ReadString();
            }
            catch (Exception e) when (e is IOException or FormatException)
            {
                throw new InvalidCheckpointException(path, $"the state of optimizer {i} is damaged ({e.Message}).", e);
            }
            var expected = Optimizers[i].Optimizer.GetType().Name;
            if (saved != expected)
                throw new InvalidCheckpointException(path,
                    $"optimizer {i} was a {saved} when the checkpoint was written, but ConfigureOptimizers now returns a {expected}; resume with the same optimizer.");
        }
        if (checkpoint.LrSchedulers.Any(history => history is not JsonArray))
            throw new InvalidCheckpointException(path, "its scheduler history is damaged.");
    }

    /// <summary>
    /// Replays the schedulers' steps through the module's <c>LrSchedulerStep</c>, as they ran, then restores the optimizers'
    /// state (which also restores their learning rates exactly).
    /// </summary>
    public void Restore(Checkpoint checkpoint, LightningModule module)
    {
        for (int i = 0; i < Schedulers.Length; i++)
        {
            foreach (var step in (JsonArray)checkpoint.LrSchedulers[i]!)
            {
                var metric = JsonDoubles.ReadNullable(step);
                StepScheduler(module, Schedulers[i].Scheduler, metric);
                histories[i].Add(metric);
            }
        }
        for (int i = 0; i < Optimizers.Length; i++)
        {
            using var stream = checkpoint.OptimizerStates[i].Open();
            RestoreOptimizer(Optimizers[i].Optimizer, stream);
        }
    }

    private static TorchSharp.Modules.OptimizerHelper Serializable(Optimizer optimizer) => optimizer as TorchSharp.Modules.OptimizerHelper
        ?? throw new NotSupportedException(
            $"{optimizer.GetType().Name} cannot save its state in TorchSharp 0.107 (only optimizers deriving OptimizerHelper can); " +
            "use another optimizer or set EnableCheckpointing = false.");

    /// <summary>An optimizer's state in memory (the learning-rate range test's undo point).</summary>
    public static byte[] SerializeOptimizer(Optimizer optimizer)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) Serializable(optimizer).save_state_dict(writer);
        return buffer.ToArray();
    }

    public static void RestoreOptimizer(Optimizer optimizer, Stream state)
    {
        if (optimizer is not TorchSharp.Modules.OptimizerHelper helper) return;
        using var reader = new BinaryReader(state, System.Text.Encoding.UTF8, leaveOpen: true);
        helper.load_state_dict(reader);
    }
}
