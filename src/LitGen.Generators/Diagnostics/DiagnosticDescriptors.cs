using Microsoft.CodeAnalysis;

namespace LitGen.Generators.Diagnostics;

/// <summary>The generator's diagnostics (LITG0xxx); each has a page under <c>docs/diagnostics/</c>.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "LitGen.Generators";

    public static readonly DiagnosticDescriptor NotPartial = Create(
        "LITG0001", "[LightningModule] class must be partial",
        "'{0}' is marked [LightningModule] but is not partial; add the partial modifier so LitGen can generate its members");

    public static readonly DiagnosticDescriptor UnsupportedHyperparameterType = Create(
        "LITG0002", "Hyperparameter type is not supported",
        "Hyperparameter '{0}' has type '{1}', which cannot be saved in hparams; use a number, bool, string or enum, a nullable or list of those, or a class/record of them with a constructor taking every property (pass tensors, modules and delegates another way)");

    public static readonly DiagnosticDescriptor NoMatchingConstructor = Create(
        "LITG0003", "No constructor takes the hyperparameters",
        "No constructor of '{0}' takes every hyperparameter; missing: {1}. Add those parameters to a constructor so LoadFromCheckpoint can rebuild the module (other parameters, such as a backbone module, are passed to LoadFromCheckpoint).");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
        "LITG0004", "Containing type must be partial",
        "'{0}' is nested in '{1}', which is not partial; make every containing type partial");

    public static readonly DiagnosticDescriptor GenericModule = Create(
        "LITG0005", "[LightningModule] class cannot be generic",
        "'{0}' is generic; LitGen generates LoadFromCheckpoint and hyperparameters for closed types only, so make it non-generic (derive a non-generic class per batch type)");

    public static readonly DiagnosticDescriptor DuplicateHyperparameter = Create(
        "LITG0006", "Duplicate hyperparameter name",
        "Hyperparameters '{0}' and '{1}' differ only in case; constructor parameters are matched by name ignoring case, so rename one");

    public static readonly DiagnosticDescriptor NotALightningModule = Create(
        "LITG0007", "[LightningModule] class must derive from LightningModule<TBatch>",
        "'{0}' is marked [LightningModule] but does not derive from LitGen.LightningModule<TBatch>; derive from it or remove the attribute");

    public static readonly DiagnosticDescriptor RequiredMember = Create(
        "LITG0008", "Module has required members",
        "'{0}' has the required member '{1}', which LoadFromCheckpoint cannot set; make it a hyperparameter, a constructor parameter, or not required");

    public static readonly DiagnosticDescriptor ReservedConstructorParameter = Create(
        "LITG0009", "Constructor parameter clashes with LoadFromCheckpoint",
        "'{0}' is rebuilt by LoadFromCheckpoint, which takes its constructor parameter '{1}' as an argument, but '{1}' is also a name LoadFromCheckpoint uses itself; rename the constructor parameter");

    public static readonly DiagnosticDescriptor InvalidDataModule = Create(
        "LITG0010", "[LightningDataModule] class must be a partial, non-generic LightningDataModule<TBatch>",
        "'{0}' is marked [LightningDataModule] but {1}; LitGen generates its hyperparameters into a partial, non-generic class deriving from LitGen.LightningDataModule<TBatch>");

    // Info, not a warning: a module that is never exported is fine as it is; ToOnnx refuses with the same text.
    public static readonly DiagnosticDescriptor NotExportableToOnnx = Create(
        "LITG0011", "Forward cannot be exported to ONNX",
        "{0}.{1} cannot be exported to ONNX: {2}; ToOnnx refuses this module (training is unaffected)",
        DiagnosticSeverity.Info);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity = DiagnosticSeverity.Error) => new(
        id, title, message, Category, severity, isEnabledByDefault: true,
        helpLinkUri: HelpLink(id));

    /// <summary>The documentation page of a diagnostic ID.</summary>
    public static string HelpLink(string id) => $"https://github.com/litgen/litgen/blob/main/docs/diagnostics/{id}.md";
}
