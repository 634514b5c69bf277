using LitGen.Shared;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>LIT0004: <c>item&lt;T&gt;()</c>, <c>ToSingle()</c>, <c>ToDouble()</c>, <c>data&lt;T&gt;()</c>, … on a tensor inside a step.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HostSyncInStepAnalyzer : LitGenAnalyzer
{
    private static readonly HashSet<string> SyncMethods = ["item", "ToSingle", "ToDouble", "ToInt32", "ToInt64", "ToBoolean", "ToScalar", "data"];

    /// <summary>Creates the rule.</summary>
    public HostSyncInStepAnalyzer() : base(Descriptors.HostSyncInStep)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        SyntaxFilters.RegisterInvocations<IInvocationOperation>(start, symbols, SyncMethods, (c, invocation) =>
        {
            var method = invocation.TargetMethod;
            var receiver = method.IsExtensionMethod ? method.Parameters.FirstOrDefault()?.Type : invocation.Instance?.Type;
            if (!SyncMethods.Contains(method.Name)
                || !KnownSymbols.IsOrDerives(receiver, symbols.Tensor)
                || StepMethods.Containing(c.ContainingSymbol!, symbols) is not { } step) return;
            c.ReportDiagnostic(Diagnostic.Create(Descriptors.HostSyncInStep, invocation.Syntax.GetLocation(), invocation.Syntax.ToString(), step.Name));
        });
    }
}
