using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace LitGen.Analyzers.Rules;

/// <summary>The steps and per-batch hooks: the methods that run inside the trainer's per-step dispose scope.</summary>
internal static class StepMethods
{
    private static readonly HashSet<string> Names =
    [
        "TrainingStep", "ValidationStep", "TestStep", "PredictStep",
        "OnTrainBatchStart", "OnTrainBatchEnd", "OnValidationBatchStart", "OnValidationBatchEnd",
        "OnTestBatchStart", "OnTestBatchEnd", "OnPredictBatchStart", "OnPredictBatchEnd",
    ];

    /// <summary>The step override the operation runs in, or null.</summary>
    public static IMethodSymbol? Containing(ISymbol containing, LitGenSymbols symbols)
        => containing is IMethodSymbol { IsOverride: true } method && Names.Contains(method.Name) && symbols.IsModule(method.ContainingType) ? method : null;
}
