using LitGen.Shared;

namespace LitGen.Generators.Model;

/// <summary>Everything the emitters need for one <c>[LightningModule]</c> class: values only, compared structurally.</summary>
/// <param name="Type">Where the class is declared and how to reopen it.</param>
/// <param name="Hyperparameters">The <c>[Hyperparameter]</c> members, base classes first.</param>
/// <param name="Constructor">The constructor <c>LoadFromCheckpoint</c> calls; null for abstract classes.</param>
/// <param name="Components">Submodules and parameters declared by this class, in declaration order.</param>
/// <param name="Driver">What the hook dispatch table and the loop driver need.</param>
internal sealed record ModuleModel(
    TypeModel Type,
    EquatableArray<HyperparameterModel> Hyperparameters,
    ConstructorModel? Constructor,
    EquatableArray<ComponentModel> Components,
    DriverModel Driver);

/// <summary>Everything the emitter needs for one <c>[LightningDataModule]</c> class: values only, compared structurally.</summary>
/// <param name="Type">Where the class is declared and how to reopen it.</param>
/// <param name="Hyperparameters">The <c>[Hyperparameter]</c> members, base classes first.</param>
/// <param name="Constructor">The constructor LitCli calls; null for abstract classes.</param>
internal sealed record DataModuleModel(
    TypeModel Type,
    EquatableArray<HyperparameterModel> Hyperparameters,
    ConstructorModel? Constructor);

/// <summary>The class and its place in the source.</summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ClassName">The class name.</param>
/// <param name="FullyQualifiedName">The <c>global::</c>-qualified name.</param>
/// <param name="FileName">The hint name of the generated file.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="IsAbstract">Abstract classes get no <c>LoadFromCheckpoint</c>.</param>
/// <param name="BaseIsGeneratedModule">The base class carries the same LitGen attribute: members are <c>new</c> and registration chains.</param>
internal sealed record TypeModel(
    string Namespace,
    string ClassName,
    string FullyQualifiedName,
    string FileName,
    EquatableArray<ContainingTypeModel> ContainingTypes,
    bool IsAbstract,
    bool BaseIsGeneratedModule);

/// <summary>An enclosing type, reopened as <c>partial {Keyword} {Name}{TypeParameters}</c>.</summary>
internal sealed record ContainingTypeModel(string Keyword, string Name, string TypeParameters);

/// <summary>The constructor <c>LoadFromCheckpoint</c> calls, its parameters in order.</summary>
internal sealed record ConstructorModel(EquatableArray<ConstructorParameterModel> Parameters);

/// <summary>
/// A constructor parameter: fed by a hyperparameter (<see cref="Hyperparameter"/>), left at its default (optional), or
/// passed through <c>LoadFromCheckpoint</c> (required and not a hyperparameter: not saved, supplied again on load).
/// </summary>
internal sealed record ConstructorParameterModel(string Name, string Type, string? Hyperparameter, bool IsOptional)
{
    public bool IsPassedThrough => Hyperparameter is null && !IsOptional;
}

/// <summary>What a field registers as.</summary>
internal enum ComponentKind
{
    Module,
    Parameter,
}

/// <summary>A field or auto-property holding a submodule or parameter.</summary>
internal sealed record ComponentModel(string MemberName, ComponentKind Kind);

/// <summary>The batch type and the hooks the class (or a user base) overrides.</summary>
/// <param name="BatchType">The <c>global::</c>-qualified <c>TBatch</c> of <c>LightningModule&lt;TBatch&gt;</c>.</param>
/// <param name="OverriddenHooks">The overridden hooks, as the runtime's flags.</param>
internal sealed record DriverModel(string BatchType, ModuleHooks OverriddenHooks);
