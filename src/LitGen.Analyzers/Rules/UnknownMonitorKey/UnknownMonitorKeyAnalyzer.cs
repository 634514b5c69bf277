using LitGen.Shared;
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0007: <c>Monitor = "…"</c> on a ModelCheckpoint, EarlyStopping or LrSchedulerConfig created inside a module,
/// naming a metric that no constant-named <c>Log</c> call of the module (or its bases) produces.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnknownMonitorKeyAnalyzer : LitGenAnalyzer
{
    /// <summary>Diagnostic property: the nearest logged name, when there is one.</summary>
    public const string SuggestionProperty = "Suggestion";

    /// <summary>Creates the rule.</summary>
    public UnknownMonitorKeyAnalyzer() : base(Descriptors.UnknownMonitorKey)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        // Logged names per module type, computed once per compilation.
        var logged = new ConcurrentDictionary<INamedTypeSymbol, LoggedNames>(SymbolEqualityComparer.Default);
        SyntaxFilters.RegisterAssignments(start, symbols, MonitorProperty, (c, assignment) => Analyze(c, assignment, symbols, logged));
    }

    private sealed record LoggedNames(HashSet<string> Names, bool HasDynamicNames);

    private static readonly HashSet<string> MonitorProperty = ["Monitor"];

    private static void Analyze(SyntaxNodeAnalysisContext context, ISimpleAssignmentOperation assignment, KnownSymbols symbols,
        ConcurrentDictionary<INamedTypeSymbol, LoggedNames> cache)
    {
        if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Monitor" } target
            || assignment.Value.ConstantValue is not { HasValue: true, Value: string monitor }) return;
        var owner = target.Property.ContainingType;
        if (!SymbolEqualityComparer.Default.Equals(owner, symbols.ModelCheckpoint) && !SymbolEqualityComparer.Default.Equals(owner, symbols.EarlyStopping)
            && !SymbolEqualityComparer.Default.Equals(owner, symbols.LrSchedulerConfig)) return;
        var module = context.ContainingSymbol!.ContainingType;

        var logged = cache.GetOrAdd(module, m => CollectLoggedNames(m, symbols, context.CancellationToken));
        if (logged.HasDynamicNames || logged.Names.Contains(monitor)) return;

        var suggestion = logged.Names.OrderBy(name => EditDistance.Between(name, monitor)).ThenBy(name => name, StringComparer.Ordinal).FirstOrDefault();
        var properties = suggestion is null ? ImmutableDictionary<string, string?>.Empty : ImmutableDictionary<string, string?>.Empty.Add(SuggestionProperty, suggestion);
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.UnknownMonitorKey, assignment.Value.Syntax.GetLocation(), properties,
            monitor, module.Name, suggestion is null ? "" : $"; did you mean \"{suggestion}\"?"));
    }

    /// <summary>
    /// Constant names passed to <c>Log</c> in the module and its source bases, with the _step/_epoch forks. Read from
    /// syntax (an unqualified or <c>this.</c> call to Log inside the class), which needs no other file's semantic model.
    /// </summary>
    private static LoggedNames CollectLoggedNames(INamedTypeSymbol module, KnownSymbols symbols, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool dynamic = false;
        for (var type = module; type is not null && !SymbolEqualityComparer.Default.Equals(type, symbols.LightningModule); type = type.BaseType)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                foreach (var call in reference.GetSyntax(cancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    var called = call.Expression switch
                    {
                        IdentifierNameSyntax name => name.Identifier.Text,
                        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access => access.Name.Identifier.Text,
                        _ => null,
                    };
                    if (called == "LogDict") dynamic = true;
                    if (called != "Log") continue;
                    var first = call.ArgumentList.Arguments.FirstOrDefault(a => a.NameColon is null || a.NameColon.Name.Identifier.Text == "name");
                    if (first?.Expression is LiteralExpressionSyntax literal && literal.Token.Value is string logged)
                    {
                        names.Add(logged);
                        names.Add(logged + "_step");
                        names.Add(logged + "_epoch");
                    }
                    else dynamic = true;
                }
            }
        }
        return new LoggedNames(names, dynamic);
    }
}
