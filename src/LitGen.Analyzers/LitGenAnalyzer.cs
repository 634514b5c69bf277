using LitGen.Shared;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers;

/// <summary>
/// The base of every LitGen rule (as xunit.analyzers' <c>XunitDiagnosticAnalyzer</c>): it runs concurrently, skips
/// generated code, resolves LitGen's symbols once per compilation and stays off in compilations without LitGen, so a
/// rule holds only its own analysis.
/// </summary>
public abstract class LitGenAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Creates a rule reporting <paramref name="descriptors"/>.</summary>
    protected LitGenAnalyzer(params DiagnosticDescriptor[] descriptors) => SupportedDiagnostics = ImmutableArray.Create(descriptors);

    /// <inheritdoc />
    public sealed override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; }

    /// <inheritdoc />
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownSymbols.From(start.Compilation) is { } symbols) AnalyzeCompilation(start, symbols);
        });
    }

    /// <summary>Registers the rule's actions for a compilation that references LitGen.</summary>
    protected abstract void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols);
}
