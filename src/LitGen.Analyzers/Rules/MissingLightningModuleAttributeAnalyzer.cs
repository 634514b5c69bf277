using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers.Rules;

/// <summary>LIT0009: a class deriving from <c>LightningModule&lt;TBatch&gt;</c> without <c>[LightningModule]</c>.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MissingLightningModuleAttributeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.MissingLightningModuleAttribute);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var moduleBase = start.Compilation.GetTypeByMetadataName("LitGen.LightningModule`1");
            var attribute = start.Compilation.GetTypeByMetadataName("LitGen.LightningModuleAttribute");
            if (moduleBase is null || attribute is null) return;
            start.RegisterSymbolAction(symbol => Analyze(symbol, moduleBase, attribute), SymbolKind.NamedType);
        });
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
