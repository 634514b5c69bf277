namespace LitGen.Generators.Model;

/// <summary>Everything the emitter needs for one <c>[LightningModule]</c> class; strings and flags only.</summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ClassName">The class name.</param>
/// <param name="FullyQualifiedName">The <c>global::</c>-qualified name.</param>
/// <param name="FileName">The hint name of the generated file.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first, as declaration headers (<c>partial class Outer</c>).</param>
/// <param name="IsAbstract">Abstract classes get no <c>LoadFromCheckpoint</c>.</param>
/// <param name="BaseIsGeneratedModule">The base class is itself a <c>[LightningModule]</c>: members are <c>new</c> and registration chains.</param>
/// <param name="Hyperparameters">In declaration order, base classes first.</param>
/// <param name="Components">Submodules and parameters declared by this class, in declaration order.</param>
/// <param name="ConstructorArguments">The hyperparameter property passed to each parameter of the matching constructor, in parameter order; empty when none matched.</param>
/// <param name="HasMatchingConstructor">A constructor takes every hyperparameter.</param>
/// <param name="BatchType">The <c>global::</c>-qualified <c>TBatch</c> of <c>LightningModule&lt;TBatch&gt;</c>.</param>
/// <param name="OverriddenHooks">The hooks the class or its bases override, in <c>ModuleHooks</c> order.</param>
internal sealed record ModuleModel(
    string Namespace,
    string ClassName,
    string FullyQualifiedName,
    string FileName,
    EquatableArray<string> ContainingTypes,
    bool IsAbstract,
    bool BaseIsGeneratedModule,
    EquatableArray<HyperparameterModel> Hyperparameters,
    EquatableArray<ComponentModel> Components,
    EquatableArray<ConstructorArgument> ConstructorArguments,
    bool HasMatchingConstructor,
    string BatchType,
    EquatableArray<string> OverriddenHooks);

/// <summary>How a hyperparameter's value (or each element of a list) is written to JSON/YAML.</summary>
internal enum ValueKind
{
    Primitive,
    Enum,
    /// <summary>A record or class of supported members, written as a JSON object.</summary>
    Object,
}

/// <summary>Whether a hyperparameter is a single value or a list, and which list type is rebuilt on read.</summary>
internal enum CollectionKind
{
    None,
    /// <summary>An array, or an interface an array implements (<c>IReadOnlyList&lt;T&gt;</c>, …).</summary>
    Array,
    /// <summary><c>List&lt;T&gt;</c>.</summary>
    List,
}

/// <summary>One <c>[Hyperparameter]</c> member.</summary>
/// <param name="Name">The member (and record property) name.</param>
/// <param name="Type">The <c>global::</c>-qualified type, with <c>?</c> for nullable types.</param>
/// <param name="Kind">How the value is serialized.</param>
/// <param name="Collection">A single value, or a list of them.</param>
/// <param name="ElementType">The type of the value, or of each list element.</param>
/// <param name="EnumType">For enums (or nullable enums, or lists of them), the enum type.</param>
/// <param name="IsNullable">A nullable value type or nullable reference.</param>
/// <param name="DefaultLiteral">The C# literal of the constructor parameter's default, or null when it has none.</param>
/// <param name="Documentation">The member's XML documentation summary, if any.</param>
/// <param name="Members">For objects: their members, which are read back through the constructor and initializer below.</param>
/// <param name="ConstructorParameters">For objects: the member passed to each constructor parameter, in order.</param>
internal sealed record HyperparameterModel(
    string Name,
    string Type,
    ValueKind Kind,
    CollectionKind Collection,
    string ElementType,
    string? EnumType,
    bool IsNullable,
    string? DefaultLiteral,
    string? Documentation,
    EquatableArray<HyperparameterModel> Members = default,
    EquatableArray<string> ConstructorParameters = default);

/// <summary>What a field registers as.</summary>
internal enum ComponentKind
{
    Module,
    Parameter,
}

/// <summary>A field or auto-property holding a submodule or parameter.</summary>
internal sealed record ComponentModel(string MemberName, ComponentKind Kind);

/// <summary>A constructor parameter and the hyperparameter that feeds it (null: the parameter keeps its default).</summary>
internal sealed record ConstructorArgument(string ParameterName, string? HyperparameterName);
