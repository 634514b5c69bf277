using Microsoft.CodeAnalysis;

namespace LitGen.Analyzers;

/// <summary>Every LitGen analyzer diagnostic (LIT0xxx); each has a page under <c>docs/diagnostics/</c>.</summary>
public static class Descriptors
{
    /// <summary>ID of <see cref="ExplicitDeviceMove"/>.</summary>
    public const string ExplicitDeviceMoveId = "LIT0001";
    /// <summary>ID of <see cref="ManualDistributedSampler"/>.</summary>
    public const string ManualDistributedSamplerId = "LIT0002";
    /// <summary>ID of <see cref="ManualOptimizationCall"/>.</summary>
    public const string ManualOptimizationCallId = "LIT0003";
    /// <summary>ID of <see cref="HostSyncInStep"/>.</summary>
    public const string HostSyncInStepId = "LIT0004";
    /// <summary>ID of <see cref="ManualMetricCollection"/>.</summary>
    public const string ManualMetricCollectionId = "LIT0005";
    /// <summary>ID of <see cref="MisspelledHook"/>.</summary>
    public const string MisspelledHookId = "LIT0006";
    /// <summary>ID of <see cref="UnknownMonitorKey"/>.</summary>
    public const string UnknownMonitorKeyId = "LIT0007";
    /// <summary>ID of <see cref="StepTensorEscapesScope"/>.</summary>
    public const string StepTensorEscapesScopeId = "LIT0008";
    /// <summary>ID of <see cref="MissingLightningModuleAttribute"/>.</summary>
    public const string MissingLightningModuleAttributeId = "LIT0009";
    /// <summary>ID of <see cref="LogOutsideHook"/>.</summary>
    public const string LogOutsideHookId = "LIT0010";
    /// <summary>ID of <see cref="ExplicitPrecisionCast"/>.</summary>
    public const string ExplicitPrecisionCastId = "LIT0011";

    private const string Usage = "LitGen.Usage";
    private const string Correctness = "LitGen.Correctness";

    internal static readonly DiagnosticDescriptor ExplicitDeviceMove = new(
        ExplicitDeviceMoveId,
        "Explicit device move in a LightningModule",
        "'{0}' moves a tensor or module to a fixed device; the trainer places the module and its batches, so remove it or use the module's Device",
        Usage, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Hard-coded devices break CPU runs, multi-device settings and precision handling; LitGen moves the module and each batch for you.",
        helpLinkUri: HelpLink(ExplicitDeviceMoveId));

    internal static readonly DiagnosticDescriptor ManualDistributedSampler = new(
        ManualDistributedSamplerId,
        "Hand-built DistributedSampler",
        "'{0}' builds a DistributedSampler by hand; the trainer decides how data is split across devices, so remove it",
        Usage, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Lightning shards data itself (use_distributed_sampler); a hand-made sampler duplicates or conflicts with it.",
        helpLinkUri: HelpLink(ManualDistributedSamplerId));

    internal static readonly DiagnosticDescriptor HostSyncInStep = new(
        HostSyncInStepId,
        "Host synchronization in a step",
        "'{0}' copies a tensor to the host in '{1}', which waits for the device every batch; log the tensor instead and let the trainer read it when it reports",
        Usage, DiagnosticSeverity.Info, isEnabledByDefault: true,
        description: "Reading tensor values on the host inside a step stalls the accelerator pipeline; Log accumulates on the device.",
        helpLinkUri: HelpLink(HostSyncInStepId));

    internal static readonly DiagnosticDescriptor ManualMetricCollection = new(
        ManualMetricCollectionId,
        "Metric collected by hand across steps",
        "'{0}' gathers tensors in '{1}' during steps and reduces them in '{2}'; log the value with Log(..., onEpoch: true) and the trainer reduces it for you",
        Usage, DiagnosticSeverity.Info, isEnabledByDefault: true,
        description: "Lightning 2 removed *_epoch_end(outputs) for this reason: collecting outputs keeps every batch's tensors alive.",
        helpLinkUri: HelpLink(ManualMetricCollectionId));

    internal static readonly DiagnosticDescriptor StepTensorEscapesScope = new(
        StepTensorEscapesScopeId,
        "Step tensor outlives its dispose scope",
        "'{0}' keeps a tensor made in '{1}' in '{2}', but the trainer frees the step's tensors when the step ends; call .DetachFromDisposeScope() (or .MoveToOuterDisposeScope()) on it",
        Correctness, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Every step runs in a dispose scope; a tensor stored beyond it is disposed and later use fails with 'Tensor invalid -- empty handle'.",
        helpLinkUri: HelpLink(StepTensorEscapesScopeId));

    internal static readonly DiagnosticDescriptor ManualOptimizationCall = new(
        ManualOptimizationCallId,
        "Optimization call under automatic optimization",
        "'{0}' runs the optimization by hand, but '{1}' uses automatic optimization, where the trainer already calls backward, step and zero_grad; remove the call, or set AutomaticOptimization = false and use ManualBackward",
        Correctness, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Calling backward/step/zero_grad inside a step under automatic optimization doubles the updates or discards gradients.",
        helpLinkUri: HelpLink(ManualOptimizationCallId));

    internal static readonly DiagnosticDescriptor MisspelledHook = new(
        MisspelledHookId,
        "Hook is misspelled or not an override",
        "'{0}' {2}, so the trainer never calls it; rename it to '{1}' and mark it override",
        Correctness, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Python names (training_step), near misses (TrainStep) and hooks Lightning 2 removed (training_epoch_end) compile fine and silently never run.",
        helpLinkUri: HelpLink(MisspelledHookId));

    internal static readonly DiagnosticDescriptor UnknownMonitorKey = new(
        UnknownMonitorKeyId,
        "Monitored metric is never logged",
        "Monitor = \"{0}\" names a metric that '{1}' never logs{2}",
        Correctness, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A checkpoint, early-stopping or scheduler monitor that is never logged fails at the end of the first epoch, after the time spent training it.",
        helpLinkUri: HelpLink(UnknownMonitorKeyId));

    internal static readonly DiagnosticDescriptor LogOutsideHook = new(
        LogOutsideHookId,
        "Log called where the trainer cannot record it",
        "'{0}' is called in {1}, where no step or hook is running and the value cannot be recorded; log from a step or an On*Start/On*End hook",
        Correctness, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Log only records values while the trainer runs a step or a hook that allows logging; elsewhere it throws at run time.",
        helpLinkUri: HelpLink(LogOutsideHookId));

    internal static readonly DiagnosticDescriptor MissingLightningModuleAttribute = new(
        MissingLightningModuleAttributeId,
        "Module is not marked [LightningModule] and partial",
        "'{0}' derives from LightningModule<TBatch> but is not marked [LightningModule] and partial, so LitGen generates none of its registration, hyperparameters or checkpoint loading",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "LitGen modules are completed by its source generator; without the attribute and the partial modifier the generated members are missing.",
        helpLinkUri: HelpLink(MissingLightningModuleAttributeId));

    internal static readonly DiagnosticDescriptor ExplicitPrecisionCast = new(
        ExplicitPrecisionCastId,
        "Explicit precision cast of a module in a LightningModule",
        "'{0}' casts the module's weights to a lower precision; the trainer owns precision, so remove it and set TrainerOptions.Precision (\"16-mixed\", \"bf16-mixed\", \"16-true\" or \"bf16-true\")",
        Usage, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A module cast by hand under a mixed precision trains float16 weights without float32 master copies or a loss scaler, and its checkpoints no longer say what precision it ran in.",
        helpLinkUri: HelpLink(ExplicitPrecisionCastId));

    /// <summary>The documentation page of a diagnostic ID.</summary>
    public static string HelpLink(string id) => $"https://github.com/litgen/litgen/blob/main/docs/diagnostics/{id}.md";
}
