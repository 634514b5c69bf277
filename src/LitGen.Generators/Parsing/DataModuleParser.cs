using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using LitGen.Generators.Diagnostics;
using LitGen.Generators.Model;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Generators.Parsing;

/// <summary>Turns a <c>[LightningDataModule]</c> class into a <see cref="DataModuleModel"/>, or into diagnostics at their locations.</summary>
internal static class DataModuleParser
{
    public static ParseResult<DataModuleModel> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (ClassDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<Diagnostic>();
        var location = declaration.Identifier.GetLocation();
        var known = KnownSymbols.From(context.SemanticModel.Compilation);

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.InvalidDataModule, location, type.Name, "is not partial"));
        if (type.IsGenericType)
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.InvalidDataModule, location, type.Name, "is generic"));
        if (known is null || !KnownSymbols.IsOrDerives(type, known.LightningDataModuleOfT))
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.InvalidDataModule, location, type.Name, "does not derive from LitGen.LightningDataModule<TBatch>"));
        var containingTypes = ModuleParser.ContainingTypes(declaration, type, location, diagnostics);
        if (diagnostics.Count > 0) return new ParseResult<DataModuleModel>(null, diagnostics.ToImmutableArray());

        cancellationToken.ThrowIfCancellationRequested();
        var (hyperparameters, constructor) = HyperparameterParser.Parse(type, known!, location, diagnostics, cancellationToken, rebuiltFromCheckpoint: false);
        if (diagnostics.Count > 0) return new ParseResult<DataModuleModel>(null, diagnostics.ToImmutableArray());

        var model = new DataModuleModel(ModuleParser.CreateTypeModel(type, containingTypes, known!.LightningDataModuleAttribute), hyperparameters,
            type.IsAbstract ? null : constructor);
        return new ParseResult<DataModuleModel>(model, ImmutableArray<Diagnostic>.Empty);
    }
}
