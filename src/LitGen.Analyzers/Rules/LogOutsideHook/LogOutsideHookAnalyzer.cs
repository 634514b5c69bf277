using System.Collections.Generic;
using System.Linq;
using LitGen.Shared;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0010: <c>Log</c>/<c>LogDict</c> in a module's constructor, property, field initializer or static member, or in a
/// hook where the trainer does not record logs (Setup, ConfigureOptimizers, OnFitStart, prediction, …).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LogOutsideHookAnalyzer : LitGenAnalyzer
{
    // Lightning's fx_validator: logging from these raises (LitGen's trainer throws there too).
    private static readonly HashSet<string> HooksWithoutLogging = new(HookTable.All.Where(h => h.Logging == HookLogging.None).Select(h => h.Name));

    /// <summary>Creates the rule.</summary>
    public LogOutsideHookAnalyzer() : base(Descriptors.LogOutsideHook)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        SyntaxFilters.RegisterInvocations<IInvocationOperation>(start, symbols, LogMethods, (c, invocation) => Analyze(c, invocation, symbols));
    }

    private static readonly HashSet<string> LogMethods = ["Log", "LogDict"];

    private static void Analyze(SyntaxNodeAnalysisContext context, IInvocationOperation invocation, KnownSymbols symbols)
    {
        if (invocation.TargetMethod.Name is not ("Log" or "LogDict")
            || !SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, symbols.LightningModule)) return;
        var where = context.ContainingSymbol switch
        {
            IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } => "a constructor",
            IMethodSymbol { MethodKind: MethodKind.PropertyGet or MethodKind.PropertySet } => "a property accessor",
            IFieldSymbol or IPropertySymbol => "an initializer",
            IMethodSymbol { IsStatic: true } => "a static method",
            IMethodSymbol { IsOverride: true } method when HooksWithoutLogging.Contains(method.Name) => $"the hook '{method.Name}'",
            _ => null,
        };
        if (where is null) return;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.LogOutsideHook, invocation.Syntax.GetLocation(), invocation.TargetMethod.Name, where));
    }
}
