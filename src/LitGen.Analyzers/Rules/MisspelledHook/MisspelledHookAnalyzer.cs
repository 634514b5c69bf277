using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0006: a method of a module that looks like a hook (<c>training_step</c>, <c>configureOptimizers</c>,
/// <c>TrainStep</c>, or the hook's own name without <c>override</c>) or is a hook Lightning 2 removed
/// (<c>OnEpochEnd</c>, <c>TrainingEpochEnd(outputs)</c>), but does not override one, so it never runs.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MisspelledHookAnalyzer : LitGenAnalyzer
{
    /// <summary>Diagnostic property: the hook the method should be.</summary>
    public const string HookProperty = "Hook";

    /// <summary>Diagnostic property, present for removed 1.x hooks: the replacement takes no parameters, so the fix drops them.</summary>
    public const string DropParametersProperty = "DropParameters";

    // Lightning 1.x hooks that 2.0 removed (PR #16520: *_epoch_end(outputs); on_epoch_start/end), and their replacements.
    private static readonly Dictionary<string, (string Hook, string Python)> Removed = new(StringComparer.Ordinal)
    {
        ["onepochstart"] = ("OnTrainEpochStart", "on_epoch_start"),
        ["onepochend"] = ("OnTrainEpochEnd", "on_epoch_end"),
        ["trainingepochend"] = ("OnTrainEpochEnd", "training_epoch_end(outputs)"),
        ["validationepochend"] = ("OnValidationEpochEnd", "validation_epoch_end(outputs)"),
        ["testepochend"] = ("OnTestEpochEnd", "test_epoch_end(outputs)"),
    };

    // Names Lightning users reach for that are not a normalized spelling of the hook.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["trainstep"] = "TrainingStep",
        ["trainingstepend"] = "TrainingStep",
        ["valstep"] = "ValidationStep",
        ["validstep"] = "ValidationStep",
        ["evalstep"] = "ValidationStep",
        ["teststepend"] = "TestStep",
        ["predictionstep"] = "PredictStep",
        ["configureoptimizer"] = "ConfigureOptimizers",
        ["onvalepochend"] = "OnValidationEpochEnd",
        ["onvalepochstart"] = "OnValidationEpochStart",
    };

    private static readonly Dictionary<string, string> ByNormalizedName =
        HookTable.All.ToDictionary(h => Normalize(h.Name), h => h.Name, StringComparer.Ordinal);

    /// <summary>Creates the rule.</summary>
    public MisspelledHookAnalyzer() : base(Descriptors.MisspelledHook)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        start.RegisterSymbolAction(c => Analyze(c, symbols), SymbolKind.Method);
    }

    private static void Analyze(SymbolAnalysisContext context, KnownSymbols symbols)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (method.MethodKind != MethodKind.Ordinary || method.IsOverride || method.IsStatic || !symbols.IsModule(method.ContainingType)) return;
        var normalized = Normalize(method.Name);
        var location = method.Locations.FirstOrDefault();
        if (location is null) return;
        var properties = ImmutableDictionary<string, string?>.Empty;
        string why;
        if (Removed.TryGetValue(normalized, out var removed))
        {
            properties = properties.Add(HookProperty, removed.Hook).Add(DropParametersProperty, "true");
            why = $"is the Lightning 1.x hook {removed.Python}, which Lightning 2 removed (log per-step values with Log(..., onEpoch: true) instead of collecting outputs)";
        }
        else if (ByNormalizedName.TryGetValue(normalized, out var hook) || Aliases.TryGetValue(normalized, out hook))
        {
            properties = properties.Add(HookProperty, hook);
            why = $"looks like the hook '{hook}' but does not override it";
        }
        else return;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.MisspelledHook, location, properties, method.Name, properties[HookProperty], why));
    }

    private static string Normalize(string name) => name.Replace("_", "").ToLowerInvariant();
}
