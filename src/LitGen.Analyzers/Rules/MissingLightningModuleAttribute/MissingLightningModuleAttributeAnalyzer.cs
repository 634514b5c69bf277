using LitGen.Shared;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers;

/// <summary>LIT0009: a class deriving from <c>LightningModule&lt;TBatch&gt;</c> without <c>[LightningModule]</c>.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MissingLightningModuleAttributeAnalyzer : LitGenAnalyzer
{
    /// <summary>Creates the rule.</summary>
    public MissingLightningModuleAttributeAnalyzer() : base(Descriptors.MissingLightningModuleAttribute)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        if (symbols.LightningModuleOfT is not { } moduleBase || symbols.LightningModuleAttribute is not { } attribute) return;
        start.RegisterSymbolAction(symbol => Analyze(symbol, moduleBase, attribute), SymbolKind.NamedType);
    }

    private static void Analyze(SymbolAnalysisContext context, INamedTypeSymbol moduleBase, INamedTypeSymbol attribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.TypeKind != TypeKind.Class || !DerivesFrom(type, moduleBase)) return;
        if (type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute))) return;

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is ClassDeclarationSyntax declaration)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.MissingLightningModuleAttribute, declaration.Identifier.GetLocation(), type.Name));
                return;
            }
        }
    }

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol moduleBase)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, moduleBase)) return true;
        return false;
    }
}
