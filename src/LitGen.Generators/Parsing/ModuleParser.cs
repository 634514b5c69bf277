using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LitGen.Generators.Diagnostics;
using LitGen.Generators.Model;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Generators.Parsing;

/// <summary>
/// Turns a <c>[LightningModule]</c> class into a <see cref="ModuleModel"/>, or into diagnostics that keep their original
/// locations (so <c>#pragma warning disable</c> applies to them); the model holds no symbol, node or location.
/// </summary>
internal static class ModuleParser
{
    public static ParseResult<ModuleModel> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (ClassDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<Diagnostic>();
        var location = declaration.Identifier.GetLocation();
        var known = KnownSymbols.From(context.SemanticModel.Compilation);

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NotPartial, location, type.Name));
        if (type.IsGenericType)
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.GenericModule, location, type.Name));
        if (known is null || !KnownSymbols.IsOrDerives(type, known.LightningModuleOfT))
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NotALightningModule, location, type.Name));

        var containingTypes = ContainingTypes(declaration, type, location, diagnostics);
        if (diagnostics.Count > 0) return new ParseResult<ModuleModel>(null, diagnostics.ToImmutableArray());

        cancellationToken.ThrowIfCancellationRequested();
        var (hyperparameters, constructor) = HyperparameterParser.Parse(type, known!, location, diagnostics, cancellationToken, rebuiltFromCheckpoint: true);
        if (diagnostics.Count > 0) return new ParseResult<ModuleModel>(null, diagnostics.ToImmutableArray());

        var model = new ModuleModel(CreateTypeModel(type, containingTypes, known!.LightningModuleAttribute), hyperparameters, type.IsAbstract ? null : constructor,
            CollectComponents(type, known).ToEquatableArray(), DriverParser.Parse(type, known));
        return new ParseResult<ModuleModel>(model, ImmutableArray<Diagnostic>.Empty);
    }

    /// <summary>The types the class is nested in, outermost first; each must be partial to be reopened.</summary>
    internal static EquatableArray<ContainingTypeModel> ContainingTypes(ClassDeclarationSyntax declaration, INamedTypeSymbol type, Location location, List<Diagnostic> diagnostics)
    {
        var containingTypes = new List<ContainingTypeModel>();
        for (var parent = declaration.Parent as TypeDeclarationSyntax; parent is not null; parent = parent.Parent as TypeDeclarationSyntax)
        {
            if (!parent.Modifiers.Any(SyntaxKind.PartialKeyword))
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.ContainingTypeNotPartial, location, type.Name, parent.Identifier.Text));
            containingTypes.Insert(0, new ContainingTypeModel(parent.Keyword.Text, parent.Identifier.Text, parent.TypeParameterList?.ToString() ?? ""));
        }
        return containingTypes.ToEquatableArray();
    }

    /// <summary>The class's model; a base class carrying the same LitGen <paramref name="attribute"/> has generated members too.</summary>
    internal static TypeModel CreateTypeModel(INamedTypeSymbol type, EquatableArray<ContainingTypeModel> containingTypes, INamedTypeSymbol? attribute) => new(
        type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
        type.Name,
        type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
        FileName(type),
        containingTypes,
        type.IsAbstract,
        type.BaseType is { } baseType && KnownSymbols.HasAttribute(baseType, attribute));

    private static string FileName(INamedTypeSymbol type)
    {
        var name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
        return name.Replace('<', '[').Replace('>', ']') + ".LitGen.g.cs";
    }

    private static IEnumerable<ComponentModel> CollectComponents(INamedTypeSymbol type, KnownSymbols known)
    {
        foreach (var member in type.GetMembers())
        {
            if (member.IsStatic) continue;
            ITypeSymbol? memberType = member switch
            {
                IFieldSymbol { IsImplicitlyDeclared: false, IsConst: false } field => field.Type,
                IPropertySymbol { IsIndexer: false } property when IsAutoProperty(property) => property.Type,
                _ => null,
            };
            if (memberType is null) continue;
            if (KnownSymbols.IsOrDerives(memberType, known.TorchParameter)) yield return new ComponentModel(member.Name, ComponentKind.Parameter);
            else if (KnownSymbols.IsOrDerives(memberType, known.TorchModule)) yield return new ComponentModel(member.Name, ComponentKind.Module);
        }
    }

    private static bool IsAutoProperty(IPropertySymbol property)
        => property.ContainingType.GetMembers().OfType<IFieldSymbol>().Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));
}
