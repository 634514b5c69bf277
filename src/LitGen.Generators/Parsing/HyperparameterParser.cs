using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using LitGen.Generators.Diagnostics;
using LitGen.Generators.Model;
using LitGen.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Generators.Parsing;

/// <summary>The <c>[Hyperparameter]</c> members of a module, their serialization shape, and the constructor that takes them.</summary>
internal static class HyperparameterParser
{

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// The hyperparameters and the constructor, or null with diagnostics added when they cannot be generated. A class
    /// <paramref name="rebuiltFromCheckpoint"/> gets <c>LoadFromCheckpoint</c>, whose own parameter names its constructor cannot take.
    /// </summary>
    public static (EquatableArray<HyperparameterModel> Hyperparameters, ConstructorModel? Constructor) Parse(
        INamedTypeSymbol type, KnownSymbols known, Location location, List<Diagnostic> diagnostics, CancellationToken cancellationToken, bool rebuiltFromCheckpoint)
    {
        var symbols = CollectHyperparameters(type, known.HyperparameterAttribute);
        var constructor = FindConstructor(type, symbols);
        var hyperparameters = new List<HyperparameterModel>();
        foreach (var (member, memberType) in symbols)
        {
            var memberLocation = member.Locations.FirstOrDefault() ?? location;
            var parameter = constructor?.Parameters.FirstOrDefault(p => NameMatches(p.Name, member.Name));
            var described = Describe(member.Name, memberType, parameter, Summary(member, cancellationToken), depth: 0);
            if (described is null)
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.UnsupportedHyperparameterType, memberLocation, member.Name, memberType.ToDisplayString()));
            else
                hyperparameters.Add(described);
        }

        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (member, _) in symbols)
        {
            if (byName.TryGetValue(member.Name, out var other))
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.DuplicateHyperparameter, member.Locations.FirstOrDefault() ?? location, other, member.Name));
            else
                byName[member.Name] = member.Name;
        }

        if (!type.IsAbstract && constructor is not null && !constructor.GetAttributes().Any(a => a.AttributeClass?.Name == "SetsRequiredMembersAttribute"))
        {
            for (var current = type; current is not null; current = current.BaseType)
                foreach (var member in current.GetMembers().Where(m => m is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true }))
                    diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.RequiredMember, member.Locations.FirstOrDefault() ?? location, type.Name, member.Name));
        }
        if (!type.IsAbstract && constructor is null)
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NoMatchingConstructor, location, type.Name, MissingParameters(type, symbols)));

        ConstructorModel? constructorModel = null;
        if (constructor is not null)
        {
            var parameters = constructor.Parameters
                .Select(p => new ConstructorParameterModel(p.Name, p.Type.ToDisplayString(TypeFormat),
                    symbols.Select(h => h.Member.Name).FirstOrDefault(n => NameMatches(p.Name, n)), p.IsOptional))
                .ToList();
            foreach (var clash in parameters.Where(p => rebuiltFromCheckpoint && p.IsPassedThrough && ReservedNames.Contains(p.Name)))
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.ReservedConstructorParameter,
                    constructor.Parameters.First(p => p.Name == clash.Name).Locations.FirstOrDefault() ?? location, type.Name, clash.Name));
            constructorModel = new ConstructorModel(parameters.ToEquatableArray());
        }
        return (hyperparameters.ToEquatableArray(), constructorModel);
    }

    /// <summary>The parameters of the generated <c>LoadFromCheckpoint</c> that a passed-through constructor argument cannot take.</summary>
    private static readonly HashSet<string> ReservedNames = new(StringComparer.Ordinal) { "path", "overrides", "mapLocation", "strict", "checkpoint", "hyperparameters", "restored" };

    /// <summary>For each constructor, the hyperparameters it does not take; the closest constructor is described.</summary>
    private static string MissingParameters(INamedTypeSymbol type, List<(ISymbol Member, ITypeSymbol Type)> hyperparameters)
    {
        var missing = type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)
            .Select(c => hyperparameters.Where(h => !Takes(c, h)).ToList())
            .OrderBy(list => list.Count)
            .FirstOrDefault() ?? hyperparameters;
        return string.Join(", ", missing.Select(h => $"{h.Member.Name} (a parameter '{CamelCase(h.Member.Name)}' of type {h.Type.ToDisplayString()})"));
    }

    private static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

    private static bool Takes(IMethodSymbol constructor, (ISymbol Member, ITypeSymbol Type) hyperparameter)
        => constructor.Parameters.Any(p => NameMatches(p.Name, hyperparameter.Member.Name)
            && SymbolEqualityComparer.Default.Equals(p.Type.WithNullableAnnotation(NullableAnnotation.None), hyperparameter.Type.WithNullableAnnotation(NullableAnnotation.None)));

    /// <summary>[Hyperparameter] members of the class and its bases, base classes first.</summary>
    private static List<(ISymbol Member, ITypeSymbol Type)> CollectHyperparameters(INamedTypeSymbol type, INamedTypeSymbol? hyperparameterAttribute)
    {
        var chain = new List<INamedTypeSymbol>();
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            chain.Insert(0, current);
        var result = new List<(ISymbol, ITypeSymbol)>();
        foreach (var declaring in chain)
        {
            foreach (var member in declaring.GetMembers())
            {
                if (member.IsStatic || !KnownSymbols.HasAttribute(member, hyperparameterAttribute)) continue;
                switch (member)
                {
                    case IPropertySymbol property: result.Add((property, property.Type)); break;
                    case IFieldSymbol field: result.Add((field, field.Type)); break;
                }
            }
        }
        return result;
    }

    /// <summary>
    /// The constructor that takes every hyperparameter. Its other required parameters (a backbone module, a tokenizer:
    /// Lightning's <c>save_hyperparameters(ignore=[...])</c>) are not saved and become parameters of
    /// <c>LoadFromCheckpoint</c>; the constructor with the fewest of them, then the fewest parameters, wins.
    /// </summary>
    private static IMethodSymbol? FindConstructor(INamedTypeSymbol type, List<(ISymbol Member, ITypeSymbol Type)> hyperparameters)
    {
        return type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)
            .Where(c => hyperparameters.All(h => Takes(c, h)))
            .OrderBy(c => c.Parameters.Count(p => !p.IsOptional && !hyperparameters.Any(h => NameMatches(p.Name, h.Member.Name))))
            .ThenBy(c => c.Parameters.Length)
            .FirstOrDefault();
    }

    /// <summary>The model of a hyperparameter (or a member of a hyperparameter object), or null when its type is not supported.</summary>
    private static HyperparameterModel? Describe(string name, ITypeSymbol type, IParameterSymbol? parameter, string? documentation, int depth)
    {
        var defaultValue = parameter is { HasExplicitDefaultValue: true } ? DefaultOf(parameter.ExplicitDefaultValue, type) : null;
        if (IsSupportedValueOrList(type, out var kind, out var collection, out var elementType, out var enumType))
            return new HyperparameterModel(name, type.ToDisplayString(TypeFormat), kind, collection, elementType.ToDisplayString(TypeFormat),
                enumType, IsNullable(type), defaultValue, documentation, Object: null);

        // A record or class of supported members: a JSON object, rebuilt through the constructor taking every member.
        var objectType = type.WithNullableAnnotation(NullableAnnotation.None) as INamedTypeSymbol;
        if (depth >= 4 || objectType is null || objectType.TypeKind != TypeKind.Class || objectType.IsAbstract
            || objectType.SpecialType != SpecialType.None || objectType.IsGenericType) return null;
        var properties = objectType.GetMembers().OfType<IPropertySymbol>()
            .Where(p => p.DeclaredAccessibility == Accessibility.Public && !p.IsStatic && !p.IsIndexer && p.GetMethod is not null && p.Name != "EqualityContract")
            .ToList();
        var objectConstructor = objectType.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public && c.Parameters.Length == properties.Count
                && c.Parameters.All(p => properties.Any(q => NameMatches(p.Name, q.Name))))
            .FirstOrDefault();
        if (properties.Count == 0 || objectConstructor is null) return null;
        var members = new List<HyperparameterModel>();
        foreach (var property in properties)
        {
            var member = Describe(property.Name, property.Type, objectConstructor.Parameters.First(p => NameMatches(p.Name, property.Name)), null, depth + 1);
            if (member is null || member.Kind == ValueKind.Object && member.Collection != CollectionKind.None) return null;
            members.Add(member);
        }
        var bindings = objectConstructor.Parameters.Select(p => new ConstructorBinding(p.Name, properties.First(q => NameMatches(p.Name, q.Name)).Name));
        return new HyperparameterModel(name, type.ToDisplayString(TypeFormat), ValueKind.Object, CollectionKind.None,
            objectType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), null, IsNullable(type), defaultValue, documentation,
            new ObjectShape(members.ToEquatableArray(), bindings.ToEquatableArray()));
    }

    private static DefaultValue DefaultOf(object? value, ITypeSymbol type)
    {
        var literal = Literal(value, type);
        // A constructor default of null for a member declared non-nullable: the constructor replaces it, so keep the null as such.
        return new DefaultValue(literal, literal == "null" && !IsNullable(type) && type.IsReferenceType);
    }

    private static bool IsSupportedValueOrList(ITypeSymbol type, out ValueKind kind, out CollectionKind collection, out ITypeSymbol elementType, out string? enumType)
    {
        collection = CollectionKind.None;
        elementType = type;
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            collection = CollectionKind.Array;
            elementType = array.ElementType;
        }
        else if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic
                 && generic.OriginalDefinition.ContainingNamespace.ToDisplayString() == "System.Collections.Generic")
        {
            collection = generic.OriginalDefinition.MetadataName switch
            {
                "List`1" => CollectionKind.List,
                "IReadOnlyList`1" or "IReadOnlyCollection`1" or "IEnumerable`1" or "IList`1" or "ICollection`1" => CollectionKind.Array,
                _ => CollectionKind.None,
            };
            if (collection != CollectionKind.None) elementType = generic.TypeArguments[0];
        }
        return IsSupported(elementType, out kind, out enumType);
    }

    private static bool IsSupported(ITypeSymbol type, out ValueKind kind, out string? enumType)
    {
        kind = ValueKind.Primitive;
        enumType = null;
        var underlying = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : type;
        if (underlying.TypeKind == TypeKind.Enum)
        {
            kind = ValueKind.Enum;
            enumType = underlying.WithNullableAnnotation(NullableAnnotation.None).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            return true;
        }
        return underlying.SpecialType is SpecialType.System_Boolean or SpecialType.System_Byte or SpecialType.System_SByte
            or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Single or SpecialType.System_Double
            or SpecialType.System_Decimal or SpecialType.System_String;
    }

    private static bool IsNullable(ITypeSymbol type)
        => type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T
           || (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated);

    private static string Literal(object? value, ITypeSymbol type)
    {
        if (value is null) return "null";
        var underlying = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;
        if (underlying.TypeKind == TypeKind.Enum)
        {
            var member = underlying.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value));
            var enumName = underlying.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            return member is not null
                ? $"{enumName}.{member.Name}"
                : $"({enumName})({Convert.ToString(value, CultureInfo.InvariantCulture)})";
        }
        return value switch
        {
            string s => SymbolDisplay.FormatLiteral(s, quote: true),
            bool b => b ? "true" : "false",
            double d => double.IsNaN(d) ? "double.NaN" : double.IsPositiveInfinity(d) ? "double.PositiveInfinity"
                : double.IsNegativeInfinity(d) ? "double.NegativeInfinity" : d.ToString("R", CultureInfo.InvariantCulture) + "d",
            float f => float.IsNaN(f) ? "float.NaN" : float.IsPositiveInfinity(f) ? "float.PositiveInfinity"
                : float.IsNegativeInfinity(f) ? "float.NegativeInfinity" : f.ToString("R", CultureInfo.InvariantCulture) + "f",
            decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture) + "L",
            ulong ul => ul.ToString(CultureInfo.InvariantCulture) + "UL",
            uint ui => ui.ToString(CultureInfo.InvariantCulture) + "U",
            _ => $"({type.WithNullableAnnotation(NullableAnnotation.None).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).TrimEnd('?')})" +
                 Convert.ToString(value, CultureInfo.InvariantCulture),
        };
    }

    private static string? Summary(ISymbol member, CancellationToken cancellationToken)
    {
        var xml = member.GetDocumentationCommentXml(cancellationToken: cancellationToken);
        if (string.IsNullOrWhiteSpace(xml))
        {
            // Projects without GenerateDocumentationFile do not parse doc comments; read the /// lines themselves.
            var trivia = member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) switch
            {
                VariableDeclaratorSyntax variable => variable.Parent?.Parent?.GetLeadingTrivia().ToString(),
                { } node => node.GetLeadingTrivia().ToString(),
                null => null,
            };
            xml = string.Join("\n", (trivia ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("///", StringComparison.Ordinal)).Select(l => l.Substring(3)));
        }
        if (string.IsNullOrWhiteSpace(xml)) return null;
        var start = xml!.IndexOf("<summary>", StringComparison.Ordinal);
        var end = xml.IndexOf("</summary>", StringComparison.Ordinal);
        if (start < 0 || end < start) return null;
        var text = xml.Substring(start + 9, end - start - 9).Trim();
        return string.Join(" ", text.Split(new[] { '\n', '\r' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
    }

    internal static bool NameMatches(string parameter, string member)
        => string.Equals(parameter.TrimStart('_'), member.TrimStart('_'), StringComparison.OrdinalIgnoreCase);
}
