using System.Collections.Generic;
using System.ComponentModel;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The non-generic base of every LitGen module: what callbacks and loggers see. User modules derive from
/// <see cref="LightningModule{TBatch}"/> and are marked <see cref="LightningModuleAttribute"/>.
/// </summary>
public abstract partial class LightningModule : nn.Module
{
    private bool componentsRegistered;
    private readonly Dictionary<string, object> registeredComponents = new(System.StringComparer.Ordinal);

    /// <summary>Creates the module; its components are registered by generated code before first use.</summary>
    protected LightningModule() : base(nameof(LightningModule))
    {
    }

    /// <summary>The trainer running this module, or null outside <c>Fit</c>/<c>Validate</c>/<c>Test</c>/<c>Predict</c>.</summary>
    public Trainer? Trainer { get; internal set; }

    /// <summary>The number of completed training epochs (Lightning's <c>current_epoch</c>).</summary>
    public int CurrentEpoch => Trainer?.CurrentEpoch ?? 0;

    /// <summary>The number of optimizer steps taken so far.</summary>
    public long GlobalStep => Trainer?.GlobalStep ?? 0;

    /// <summary>The device the trainer placed this module on.</summary>
    public Device Device { get; internal set; } = CPU;

    /// <summary>The rank of this process among all processes of the run (0 in a single-process run).</summary>
    public int GlobalRank => Trainer?.Strategy.GlobalRank ?? 0;

    /// <summary>The rank of this process on its machine (0 in a single-process run).</summary>
    public int LocalRank => Trainer?.Strategy.LocalRank ?? 0;

    /// <summary>The number of processes of the run (1 in a single-process run).</summary>
    public int WorldSize => Trainer?.Strategy.WorldSize ?? 1;

    /// <summary>True on the process that writes logs and checkpoints (rank 0).</summary>
    public bool IsGlobalZero => GlobalRank == 0;

    /// <summary>
    /// Gathers <paramref name="tensor"/> from every process into a tensor with a leading dimension of the world size
    /// (Lightning's <c>all_gather</c>); in a single-process run, the tensor itself. Every process must call it.
    /// </summary>
    public Tensor AllGather(Tensor tensor) => Trainer?.Strategy.AllGather(tensor) ?? tensor;

    /// <summary>The precision the trainer runs this module in, as in Lightning (<c>"32-true"</c>, <c>"bf16-true"</c>, …).</summary>
    public Precision Precision => Trainer?.Strategy.Precision ?? Precision.Float32;

    // The members below are generated for every [LightningModule] class. They are virtual rather than abstract so that
    // a class missing the attribute still compiles far enough for analyzer LIT0009 to say what to add. They are protected,
    // not protected internal, so the generated `protected override` compiles in every assembly (one that sees this
    // assembly's internals too); the trainer reads them through the internal members beside them.

    /// <summary>The current hyperparameter values, as generated for this class.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual IHyperparameters CurrentHyperparameters => throw NotGenerated();

    internal IHyperparameters GeneratedHyperparameters => CurrentHyperparameters;

    /// <summary>The hooks this module's class (and its bases) override; a constant generated for the class.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual ModuleHooks OverriddenHooks => throw NotGenerated();

    internal ModuleHooks GeneratedHooks => OverriddenHooks;

    /// <summary>Hands the module, typed by its batch, to code that only knows it as a <see cref="LightningModule"/>.</summary>
    internal abstract TResult AcceptBatchTypeVisitor<TResult>(IBatchTypeVisitor<TResult> visitor);

    /// <summary>Registers the module's submodules and parameters with TorchSharp; generated from its fields.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual void RegisterGeneratedComponents() => throw NotGenerated();

    private protected MisconfigurationException NotGenerated() => new(
        $"{GetType().Name} derives from LightningModule<TBatch> but LitGen generated nothing for it: mark the class [LightningModule] " +
        "and partial (analyzer LIT0009 reports this at build time).");

    /// <summary>Registers the module's components once, through the generated registration (never by reflection).</summary>
    public void EnsureComponentsRegistered()
    {
        if (componentsRegistered) return;
        componentsRegistered = true;
        RegisterGeneratedComponents();
    }

    /// <summary>Registers components that <see cref="ConfigureModel"/> built after the first registration.</summary>
    internal void RegisterLateComponents()
    {
        componentsRegistered = true;
        RegisterGeneratedComponents();
    }

    /// <summary>Registers a submodule field (generated code); null fields and ones already registered are skipped.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void RegisterGeneratedModule(string name, nn.Module? component)
    {
        if (component is null || !TrackRegistration(name, component)) return;
        register_module(name, component);
    }

    /// <summary>Registers a parameter field (generated code); null fields and ones already registered are skipped.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void RegisterGeneratedParameter(string name, Parameter? component)
    {
        if (component is null || !TrackRegistration(name, component)) return;
        register_parameter(name, component);
    }

    private bool TrackRegistration(string name, object component)
    {
        if (registeredComponents.TryGetValue(name, out var registered))
        {
            if (ReferenceEquals(registered, component)) return false;
            throw new MisconfigurationException(
                $"{GetType().Name}.{name} was replaced after it was registered; ConfigureModel must be idempotent (build a layer only when its field is still null).");
        }
        registeredComponents.Add(name, component);
        return true;
    }

    /// <summary>Routes TorchSharp's reflection-based registration to the generated one.</summary>
    protected sealed override void RegisterComponents() => EnsureComponentsRegistered();

    /// <inheritdoc />
    public override IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
    {
        EnsureComponentsRegistered();
        return base.named_parameters(recurse);
    }

    /// <inheritdoc />
    public override IEnumerable<Parameter> parameters(bool recurse = true)
    {
        EnsureComponentsRegistered();
        return base.parameters(recurse);
    }

    /// <inheritdoc />
    public override IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true, bool include_nonpersistent = true)
    {
        EnsureComponentsRegistered();
        return base.named_buffers(recurse, include_nonpersistent);
    }

    /// <inheritdoc />
    public override IEnumerable<Tensor> buffers(bool recurse = true, bool include_nonpersistent = true)
    {
        EnsureComponentsRegistered();
        return base.buffers(recurse, include_nonpersistent);
    }

    /// <inheritdoc />
    public override IEnumerable<(string name, nn.Module module)> named_children()
    {
        EnsureComponentsRegistered();
        return base.named_children();
    }

    /// <inheritdoc />
    public override IEnumerable<(string name, nn.Module module)> named_modules()
    {
        EnsureComponentsRegistered();
        return base.named_modules();
    }

    /// <inheritdoc />
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        EnsureComponentsRegistered();
        return base.state_dict(destination, prefix);
    }

    /// <inheritdoc />
    public override (IList<string> missing_keys, IList<string> unexpected_keyes) load_state_dict(Dictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
    {
        EnsureComponentsRegistered();
        return base.load_state_dict(source, strict, skip);
    }

    /// <summary>Turns off gradients for every parameter and puts the module in evaluation mode.</summary>
    public void Freeze()
    {
        foreach (var parameter in parameters()) parameter.requires_grad = false;
        eval();
    }

    /// <summary>Turns gradients back on for every parameter and puts the module in training mode.</summary>
    public void Unfreeze()
    {
        foreach (var parameter in parameters()) parameter.requires_grad = true;
        train();
    }
}
