using LitGen.Shared;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>LIT0002: a type named <c>DistributedSampler</c> created by hand inside a module or passed to a dataloader.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ManualDistributedSamplerAnalyzer : LitGenAnalyzer
{
    /// <summary>Creates the rule.</summary>
    public ManualDistributedSamplerAnalyzer() : base(Descriptors.ManualDistributedSampler)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        SyntaxFilters.RegisterCreations<IObjectCreationOperation>(start, symbols, "DistributedSampler", (c, creation) =>
        {
            // TorchSharp has no DistributedSampler, so the type is matched by name; only dataloader arguments and module code are flagged.
            var parent = creation.Parent;
            while (parent is IConversionOperation) parent = parent.Parent;
            bool passedToLoader = parent is IArgumentOperation { Parent: IObjectCreationOperation or IInvocationOperation } argument
                && (argument.Parent is IObjectCreationOperation { Type.Name: var loader } && loader.Contains("DataLoader")
                    || argument.Parent is IInvocationOperation { TargetMethod.Name: var method } && method.Contains("DataLoader"));
            if (!passedToLoader && !symbols.IsModule(c.ContainingSymbol?.ContainingType)) return;
            c.ReportDiagnostic(Diagnostic.Create(Descriptors.ManualDistributedSampler, creation.Syntax.GetLocation(), creation.Syntax.ToString()));
        }, modulesOnly: false);
    }
}
