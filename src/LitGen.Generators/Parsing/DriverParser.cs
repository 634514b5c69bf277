using System;
using System.Linq;
using System.Collections.Generic;
using LitGen.Generators.Model;
using LitGen.Shared;
using Microsoft.CodeAnalysis;

namespace LitGen.Generators.Parsing;

/// <summary>The batch type and the overridden hooks, from which the dispatch table and the loop driver are emitted.</summary>
internal static class DriverParser
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static DriverModel Parse(INamedTypeSymbol type) => new(BatchType(type), OverriddenHooks(type));

    private static string BatchType(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
            if (IsLitGenBase(current) && current.IsGenericType) return current.TypeArguments[0].ToDisplayString(TypeFormat);
        return "object";
    }

    private static bool IsLitGenBase(INamedTypeSymbol type)
        => type.ContainingNamespace.ToDisplayString() == "LitGen" && type.OriginalDefinition.MetadataName is "LightningModule`1" or "LightningModule";

    /// <summary>Hooks overridden by the class or a user base class.</summary>
    private static ModuleHooks OverriddenHooks(INamedTypeSymbol type)
    {
        var overridden = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null && !IsLitGenBase(current); current = current.BaseType)
            foreach (var method in current.GetMembers().OfType<IMethodSymbol>())
                if (method.IsOverride) overridden.Add(method.Name);
        var hooks = ModuleHooks.None;
        foreach (var hook in HookTable.All)
            if (overridden.Contains(hook.Name)) hooks |= hook.Hook;
        return hooks;
    }
}
