using Microsoft.CodeAnalysis;

namespace LitGen.Analyzers;

/// <summary>Every LitGen analyzer diagnostic (LIT0xxx); each has a page under <c>docs/diagnostics/</c>.</summary>
public static class Descriptors
{
    /// <summary>ID of <see cref="MissingLightningModuleAttribute"/>.</summary>
    public const string MissingLightningModuleAttributeId = "LIT0009";

    private const string Usage = "LitGen.Usage";

    internal static readonly DiagnosticDescriptor MissingLightningModuleAttribute = new(
        MissingLightningModuleAttributeId,
        "Module is not marked [LightningModule] and partial",
        "'{0}' derives from LightningModule<TBatch> but is not marked [LightningModule] and partial, so LitGen generates none of its registration, hyperparameters or checkpoint loading",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "LitGen modules are completed by its source generator; without the attribute and the partial modifier the generated members are missing.",
        helpLinkUri: HelpLink(MissingLightningModuleAttributeId));

    /// <summary>The documentation page of a diagnostic ID.</summary>
    public static string HelpLink(string id) => $"https://github.com/litgen/litgen/blob/main/docs/diagnostics/{id}.md";
}
