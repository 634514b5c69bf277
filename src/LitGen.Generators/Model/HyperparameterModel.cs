namespace LitGen.Generators.Model;

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

/// <summary>One <c>[Hyperparameter]</c> member, or a member of a hyperparameter object.</summary>
/// <param name="Name">The member (and record property) name.</param>
/// <param name="Type">The <c>global::</c>-qualified type, with <c>?</c> for nullable types.</param>
/// <param name="Kind">How the value is serialized.</param>
/// <param name="Collection">A single value, or a list of them.</param>
/// <param name="ElementType">The type of the value, or of each list element.</param>
/// <param name="EnumType">For enums (or nullable enums, or lists of them), the enum type.</param>
/// <param name="IsNullable">A nullable value type or nullable reference.</param>
/// <param name="Default">The constructor parameter's default, or null when it has none (the member is required).</param>
/// <param name="Documentation">The member's XML documentation summary, if any.</param>
/// <param name="Object">For objects: their members and how their constructor takes them.</param>
internal sealed record HyperparameterModel(
    string Name,
    string Type,
    ValueKind Kind,
    CollectionKind Collection,
    string ElementType,
    string? EnumType,
    bool IsNullable,
    DefaultValue? Default,
    string? Documentation,
    ObjectShape? Object);

/// <summary>
/// A default value as a C# literal. <see cref="IsNullForNonNullable"/>: the constructor defaults a member declared
/// non-nullable to null (and replaces it), so the generated code keeps the null with <c>!</c>.
/// </summary>
internal sealed record DefaultValue(string Literal, bool IsNullForNonNullable)
{
    /// <summary>The literal as an expression of the member's type.</summary>
    public string Expression => IsNullForNonNullable ? Literal + "!" : Literal;
}

/// <summary>A hyperparameter object's members, rebuilt on read through the constructor that takes every member.</summary>
internal sealed record ObjectShape(EquatableArray<HyperparameterModel> Members, EquatableArray<ConstructorBinding> Constructor);

/// <summary>The member passed to one constructor parameter of a hyperparameter object.</summary>
internal sealed record ConstructorBinding(string Parameter, string Member);
