using LitGen.Shared;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0003: <c>loss.backward()</c>, <c>optimizer.step()</c> or <c>optimizer.zero_grad()</c> in a module that keeps
/// automatic optimization (it never assigns <c>AutomaticOptimization = false</c>), outside the hooks where the trainer
/// hands the step over (<c>OptimizerStep</c>, <c>OptimizerZeroGrad</c>, <c>LrSchedulerStep</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ManualOptimizationCallAnalyzer : LitGenAnalyzer
{
    /// <summary>Creates the rule.</summary>
    public ManualOptimizationCallAnalyzer() : base(Descriptors.ManualOptimizationCall)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        SyntaxFilters.RegisterInvocations<IInvocationOperation>(start, symbols, OptimizationMethods, (c, invocation) => Analyze(c, invocation, symbols));
    }

    private static readonly System.Collections.Generic.HashSet<string> OptimizationMethods = ["backward", "step", "zero_grad"];

    private static void Analyze(SyntaxNodeAnalysisContext context, IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        bool optimizationCall = method.Name switch
        {
            "backward" => KnownSymbols.IsOrDerives(invocation.Instance?.Type ?? method.ContainingType, symbols.Tensor),
            "step" or "zero_grad" => KnownSymbols.IsOrDerives(invocation.Instance?.Type ?? method.ContainingType, symbols.Optimizer),
            _ => false,
        };
        if (!optimizationCall || InOptimizationHook(context.ContainingSymbol)) return;
        var type = context.ContainingSymbol!.ContainingType;
        if (DisablesAutomaticOptimization(type, context.CancellationToken)) return;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.ManualOptimizationCall, invocation.Syntax.GetLocation(), invocation.Syntax.ToString(), type.Name));
    }

    // Lightning's optimizer_step, optimizer_zero_grad and lr_scheduler_step: overriding them is how automatic
    // optimization is customized, and stepping or zeroing there is their job.
    private static bool InOptimizationHook(ISymbol? symbol)
        => symbol is IMethodSymbol { IsOverride: true, Name: nameof(ModuleHooks.OptimizerStep) or nameof(ModuleHooks.OptimizerZeroGrad) or nameof(ModuleHooks.LrSchedulerStep) };

    /// <summary>Whether any declaration of the class (or a source base) assigns <c>AutomaticOptimization = false</c>.</summary>
    private static bool DisablesAutomaticOptimization(INamedTypeSymbol type, System.Threading.CancellationToken cancellationToken)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var reference in current.DeclaringSyntaxReferences)
            {
                var assignments = reference.GetSyntax(cancellationToken).DescendantNodes().OfType<AssignmentExpressionSyntax>();
                if (assignments.Any(a => a.Right.IsKind(SyntaxKind.FalseLiteralExpression) && a.Left switch
                    {
                        IdentifierNameSyntax name => name.Identifier.Text == "AutomaticOptimization",
                        MemberAccessExpressionSyntax access => access.Name.Identifier.Text == "AutomaticOptimization",
                        _ => false,
                    }))
                    return true;
            }
        }
        return false;
    }
}
