using System.Collections.Generic;
using System.Linq;
using LitGen.Shared;
using Microsoft.CodeAnalysis;

namespace LitGen.Analyzers;

/// <summary>The steps and per-batch hooks (from the shared hook table): the methods that run inside the trainer's per-step dispose scope.</summary>
internal static class StepMethods
{
    private static readonly HashSet<string> Names = new(HookTable.All.Where(h => h.IsPerBatch).Select(h => h.Name));

    /// <summary>The step override the operation runs in, or null.</summary>
    public static IMethodSymbol? Containing(ISymbol containing, KnownSymbols symbols)
        => containing is IMethodSymbol { IsOverride: true } method && Names.Contains(method.Name) && symbols.IsModule(method.ContainingType) ? method : null;
}
