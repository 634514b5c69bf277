using System;
using System.Linq;

namespace LitGen;

/// <summary>
/// Calls a hook on the callbacks, then on the module (Lightning's <c>trainer/call.py</c>), inside the logging scope
/// the hook table gives it; per-batch loops use <see cref="BatchCallbacks"/> and the module's loop driver directly.
/// Hooks are passed as static lambdas, which the compiler caches, so calling one allocates nothing. The step values a
/// hook logged with <c>syncDist</c> are reduced together when it returns (<see cref="MetricStore.SyncStepValues"/>).
/// </summary>
internal sealed class HookCaller(Trainer trainer)
{
    private LightningModule module = null!;

    /// <summary>The callbacks of the run, in the order they are called.</summary>
    public Callback[] Callbacks { get; private set; } = [];

    /// <summary>The callbacks that override a per-batch hook: the only ones called per batch (their batch is boxed).</summary>
    public Callback[] BatchCallbacks { get; private set; } = [];

    /// <summary>Starts a run of <paramref name="current"/> with <paramref name="callbacks"/>.</summary>
    public void Attach(LightningModule current, Callback[] callbacks)
    {
        module = current;
        Callbacks = callbacks;
        BatchCallbacks = callbacks.Where(OverridesBatchHook).ToArray();
    }

    /// <summary>The store the module's <c>Log</c> writes to now; hooks nested in a step log into it too.</summary>
    public MetricStore? ActiveMetrics => module.ActiveMetrics;

    /// <summary>Sets the module's logging context for <paramref name="hook"/> until the scope is disposed.</summary>
    public LogScope Logging(ModuleHooks hook, MetricStore? metrics)
    {
        var info = HookTable.Of(hook);
        return new(module, info.Logging, metrics, info.Name);
    }

    /// <summary>Calls a hook on the callbacks (all, or those with <see cref="Callback.IsMonitoring"/> equal to <paramref name="monitoring"/>), then on the module.</summary>
    public void Call(ModuleHooks hook, Action<Callback, Trainer, LightningModule> callbackHook, Action<LightningModule> moduleHook,
        MetricStore? metrics = null, bool? monitoring = null)
    {
        using var scope = Logging(hook, metrics);
        foreach (var callback in Callbacks)
            if (monitoring is null || callback.IsMonitoring == monitoring) callbackHook(callback, trainer, module);
        moduleHook(module);
        metrics?.SyncStepValues();
    }

    /// <summary>Calls a hook with an argument on the callbacks, then on the module.</summary>
    public void Call<TArg>(ModuleHooks hook, Action<Callback, Trainer, LightningModule, TArg> callbackHook, Action<LightningModule, TArg> moduleHook,
        TArg argument, MetricStore? metrics = null)
    {
        using var scope = Logging(hook, metrics);
        foreach (var callback in Callbacks) callbackHook(callback, trainer, module, argument);
        moduleHook(module, argument);
        metrics?.SyncStepValues();
    }

    /// <summary>Calls a callback-only hook (sanity check, exceptions), or the monitoring callbacks' share of a hook.</summary>
    public void CallCallbacks(Action<Callback, Trainer, LightningModule> hook, bool? monitoring = null)
    {
        foreach (var callback in Callbacks)
            if (monitoring is null || callback.IsMonitoring == monitoring) hook(callback, trainer, module);
    }

    private static readonly string[] PerBatchCallbackHooks = HookTable.All
        .Where(h => h.IsPerBatch && h.HasCallback)
        .Select(h => h.Name)
        .ToArray();

    private static bool OverridesBatchHook(Callback callback)
        => PerBatchCallbackHooks.Any(hook => callback.GetType().GetMethod(hook)!.DeclaringType != typeof(Callback));
}

/// <summary>
/// The module's logging context while a hook runs: which store <c>Log</c> writes to, its default level, and the hook's
/// name (for the reports of a ddp job). Restores the previous context when disposed, so no call site can leave it set.
/// </summary>
internal readonly struct LogScope : IDisposable
{
    private readonly LightningModule module;
    private readonly MetricStore? previousMetrics;
    private readonly HookLogging previousLogging;
    private readonly string? previousHook;

    public LogScope(LightningModule module, HookLogging logging, MetricStore? metrics, string hook)
    {
        this.module = module;
        (previousMetrics, previousLogging, previousHook) = (module.ActiveMetrics, module.LogContext, module.CurrentHook);
        module.ActiveMetrics = metrics;
        module.LogContext = metrics is null ? HookLogging.None : logging;
        module.CurrentHook = hook;
    }

    public void Dispose() => (module.ActiveMetrics, module.LogContext, module.CurrentHook) = (previousMetrics, previousLogging, previousHook);
}
