using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LitGen.Generators.Diagnostics;
using LitGen.Generators.Model;
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
    public const string LightningModuleAttribute = "LitGen.LightningModuleAttribute";
    private const string LightningModuleBase = "LitGen.LightningModule`1";
    private const string TorchModule = "TorchSharp.torch+nn+Module";
    private const string TorchParameter = "TorchSharp.Modules.Parameter";

    /// <summary>A model, or the diagnostics that prevent one. Only the model is cached by value.</summary>
    public sealed record Result(ModuleModel? Model, ImmutableArray<Diagnostic> Diagnostics);

    public static Result Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var declaration = (ClassDeclarationSyntax)context.TargetNode;
        var diagnostics = new List<Diagnostic>();
        var location = declaration.Identifier.GetLocation();

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NotPartial, location, type.Name));
        if (type.IsGenericType)
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.GenericModule, location, type.Name));
        if (!DerivesFrom(type, LightningModuleBase))
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NotALightningModule, location, type.Name));

        var containingTypes = ContainingTypes(declaration, type, location, diagnostics);
        if (diagnostics.Count > 0) return new Result(null, diagnostics.ToImmutableArray());

        cancellationToken.ThrowIfCancellationRequested();
        var (hyperparameters, constructor) = HyperparameterParser.Parse(type, location, diagnostics, cancellationToken, rebuiltFromCheckpoint: true);
        if (diagnostics.Count > 0) return new Result(null, diagnostics.ToImmutableArray());

        var model = new ModuleModel(CreateTypeModel(type, containingTypes, LightningModuleAttribute), hyperparameters, type.IsAbstract ? null : constructor,
            CollectComponents(type).ToEquatableArray(), DriverParser.Parse(type));
        return new Result(model, ImmutableArray<Diagnostic>.Empty);
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
    internal static TypeModel CreateTypeModel(INamedTypeSymbol type, EquatableArray<ContainingTypeModel> containingTypes, string attribute) => new(
        type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
        type.Name,
        type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
        FileName(type),
        containingTypes,
        type.IsAbstract,
        type.BaseType is { } baseType && HasAttribute(baseType, attribute));

    private static string FileName(INamedTypeSymbol type)
    {
        var name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
        return name.Replace('<', '[').Replace('>', ']') + ".LitGen.g.cs";
    }

    private static IEnumerable<ComponentModel> CollectComponents(INamedTypeSymbol type)
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
            if (DerivesFrom(memberType, TorchParameter)) yield return new ComponentModel(member.Name, ComponentKind.Parameter);
            else if (DerivesFrom(memberType, TorchModule)) yield return new ComponentModel(member.Name, ComponentKind.Module);
        }
    }

    private static bool IsAutoProperty(IPropertySymbol property)
        => property.ContainingType.GetMembers().OfType<IFieldSymbol>().Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));

    internal static bool HasAttribute(ISymbol symbol, string metadataName)
        => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == metadataName.Replace('+', '.'));

    internal static bool DerivesFrom(ITypeSymbol type, string metadataName)
    {
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            var definition = current.OriginalDefinition;
            var name = definition.ContainingType is null
                ? $"{definition.ContainingNamespace.ToDisplayString()}.{definition.MetadataName}"
                : $"{ContainingName(definition)}+{definition.MetadataName}";
            if (name == metadataName) return true;
        }
        return false;
    }

    private static string ContainingName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (var current = type.ContainingType; current is not null; current = current.ContainingType) parts.Insert(0, current.MetadataName);
        return $"{type.ContainingNamespace.ToDisplayString()}.{string.Join("+", parts)}";
    }
}
