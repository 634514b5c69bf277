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

    public static DriverModel Parse(INamedTypeSymbol type, KnownSymbols known) => new(BatchType(type, known), OverriddenHooks(type, known));

    private static string BatchType(INamedTypeSymbol type, KnownSymbols known)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
            if (IsLitGenBase(current, known) && current.IsGenericType) return current.TypeArguments[0].ToDisplayString(TypeFormat);
        return "object";
    }

    private static bool IsLitGenBase(INamedTypeSymbol type, KnownSymbols known)
        => SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known.LightningModuleOfT) || SymbolEqualityComparer.Default.Equals(type, known.LightningModule);

    /// <summary>Hooks overridden by the class or a user base class.</summary>
    private static ModuleHooks OverriddenHooks(INamedTypeSymbol type, KnownSymbols known)
    {
        var overridden = new HashSet<string>(StringComparer.Ordinal);
        for (var current = type; current is not null && !IsLitGenBase(current, known); current = current.BaseType)
            foreach (var method in current.GetMembers().OfType<IMethodSymbol>())
                if (method.IsOverride) overridden.Add(method.Name);
        var hooks = ModuleHooks.None;
        foreach (var hook in HookTable.All)
            if (overridden.Contains(hook.Name)) hooks |= hook.Hook;
        return hooks;
    }
}
