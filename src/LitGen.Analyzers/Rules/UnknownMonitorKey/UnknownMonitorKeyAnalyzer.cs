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
/// LIT0007: <c>Monitor = "…"</c> on a ModelCheckpoint, EarlyStopping or LrSchedulerConfig naming a metric that no
/// constant-named <c>Log</c> call produces: of the module it is created in (and its bases), or, created elsewhere (the
/// program's <c>TrainerOptions.Callbacks</c>), of any module of the project. Not checked when names are computed or
/// <c>LogDict</c> is used, when the project declares no module, or for LearningRateMonitor's <c>lr-…</c> names.
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
        // The project's modules, for monitors set outside any module; found once, when first needed.
        var projectModules = new Lazy<(string Owners, LoggedNames Names)?>(() => ProjectModules(start.Compilation, symbols, logged, start.CancellationToken));
        SyntaxFilters.RegisterAssignments(start, symbols, MonitorProperty, (c, assignment) => Analyze(c, assignment, symbols, logged, projectModules), modulesOnly: false);
    }

    private static (string Owners, LoggedNames Names)? ProjectModules(Compilation compilation, KnownSymbols symbols,
        ConcurrentDictionary<INamedTypeSymbol, LoggedNames> cache, CancellationToken cancellationToken)
    {
        var modules = compilation.GetSymbolsWithName(_ => true, SymbolFilter.Type, cancellationToken).OfType<INamedTypeSymbol>()
            .Where(t => !t.IsAbstract && symbols.IsModule(t)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        if (modules.Count == 0) return null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool dynamic = false;
        foreach (var module in modules)
        {
            var logged = cache.GetOrAdd(module, m => CollectLoggedNames(m, symbols, cancellationToken));
            names.UnionWith(logged.Names);
            dynamic |= logged.HasDynamicNames;
        }
        return (string.Join(", ", modules.Select(m => m.Name)), new LoggedNames(names, dynamic));
    }

    private sealed record LoggedNames(HashSet<string> Names, bool HasDynamicNames);

    private static readonly HashSet<string> MonitorProperty = ["Monitor"];

    private static void Analyze(SyntaxNodeAnalysisContext context, ISimpleAssignmentOperation assignment, KnownSymbols symbols,
        ConcurrentDictionary<INamedTypeSymbol, LoggedNames> cache, Lazy<(string Owners, LoggedNames Names)?> projectModules)
    {
        if (assignment.Target is not IPropertyReferenceOperation { Property.Name: "Monitor" } target
            || assignment.Value.ConstantValue is not { HasValue: true, Value: string monitor }) return;
        var owner = target.Property.ContainingType;
        if (!SymbolEqualityComparer.Default.Equals(owner, symbols.ModelCheckpoint) && !SymbolEqualityComparer.Default.Equals(owner, symbols.EarlyStopping)
            && !SymbolEqualityComparer.Default.Equals(owner, symbols.LrSchedulerConfig)) return;
        // LearningRateMonitor logs lr-<optimizer>: no module's Log call makes those.
        if (monitor.StartsWith("lr-", StringComparison.Ordinal)) return;
        var module = context.ContainingSymbol?.ContainingType;
        string ownerName;
        LoggedNames logged;
        if (symbols.IsModule(module))
            (ownerName, logged) = (module!.Name, cache.GetOrAdd(module, m => CollectLoggedNames(m, symbols, context.CancellationToken)));
        else if (projectModules.Value is { } project)
            (ownerName, logged) = (project.Owners, project.Names);
        else return;
        if (logged.HasDynamicNames || logged.Names.Contains(monitor)) return;

        var suggestion = logged.Names.OrderBy(name => EditDistance.Between(name, monitor)).ThenBy(name => name, StringComparer.Ordinal).FirstOrDefault();
        var properties = suggestion is null ? ImmutableDictionary<string, string?>.Empty : ImmutableDictionary<string, string?>.Empty.Add(SuggestionProperty, suggestion);
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.UnknownMonitorKey, assignment.Value.Syntax.GetLocation(), properties,
            monitor, ownerName, suggestion is null ? "" : $"; did you mean \"{suggestion}\"?"));
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
