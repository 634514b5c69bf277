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
/// <c>TrainStep</c>, or the hook's own name without <c>override</c>) but does not override it, so it never runs.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MisspelledHookAnalyzer : LitGenAnalyzer
{
    /// <summary>Diagnostic property: the hook the method should be.</summary>
    public const string HookProperty = "Hook";

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
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, LitGenSymbols symbols)
    {
        start.RegisterSymbolAction(c => Analyze(c, symbols), SymbolKind.Method);
    }

    private static void Analyze(SymbolAnalysisContext context, LitGenSymbols symbols)
    {
        var method = (IMethodSymbol)context.Symbol;
        if (method.MethodKind != MethodKind.Ordinary || method.IsOverride || method.IsStatic || !symbols.IsModule(method.ContainingType)) return;
        var normalized = Normalize(method.Name);
        if (!ByNormalizedName.TryGetValue(normalized, out var hook) && !Aliases.TryGetValue(normalized, out hook)) return;
        var location = method.Locations.FirstOrDefault();
        if (location is null) return;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.MisspelledHook, location,
            ImmutableDictionary<string, string?>.Empty.Add(HookProperty, hook), method.Name, hook));
    }

    private static string Normalize(string name) => name.Replace("_", "").ToLowerInvariant();
}
