namespace LitGen.Generators.Model;

/// <summary>What the emitter needs for one module's <c>Forward</c>: values only, compared structurally.</summary>
/// <param name="Type">The class, reopened.</param>
/// <param name="Forward">The method read (<c>Forward</c> or <c>forward</c>).</param>
/// <param name="Parameters">The names of its tensor parameters, in order.</param>
/// <param name="Usings">The using directives of Forward's file (not global ones), which its copied expressions may need.</param>
/// <param name="NamespaceUsings">The using directives inside the namespace declarations around Forward, kept inside the namespace.</param>
/// <param name="GraphParameter">The name of the generated method's <c>OnnxGraph</c> parameter (one Forward does not use).</param>
/// <param name="Statements">Forward's statements written against the graph; empty when refused.</param>
/// <param name="Refusal">Why Forward cannot be exported, with where; null when it can.</param>
internal sealed record ForwardModel(
    TypeModel Type,
    string Forward,
    EquatableArray<string> Parameters,
    EquatableArray<string> Usings,
    EquatableArray<string> NamespaceUsings,
    string GraphParameter,
    EquatableArray<string> Statements,
    string? Refusal);
