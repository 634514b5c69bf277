using LitGen.Shared;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0008: a tensor made in a step assigned to a field or added to a field's collection without
/// <c>DetachFromDisposeScope()</c>/<c>MoveToOuterDisposeScope()</c>; LIT0005 when that collection is also read in an
/// epoch-end hook (manual metric collection).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StepTensorEscapeAnalyzer : LitGenAnalyzer
{
    private static readonly HashSet<string> Escapes = ["DetachFromDisposeScope", "MoveToOuterDisposeScope", "DetatchFromDisposeScope"];

    /// <summary>Creates the rule.</summary>
    public StepTensorEscapeAnalyzer() : base(Descriptors.StepTensorEscapesScope, Descriptors.ManualMetricCollection)
    {
    }

    /// <inheritdoc />
    protected override void AnalyzeCompilation(CompilationStartAnalysisContext start, KnownSymbols symbols)
    {
        SyntaxFilters.RegisterAssignments(start, symbols, targets: null, (c, assignment) => AnalyzeAssignment(c, assignment, symbols));
        SyntaxFilters.RegisterInvocations<IInvocationOperation>(start, symbols, AddMethods, (c, invocation) => AnalyzeAdd(c, invocation, symbols));
    }

    private static readonly HashSet<string> AddMethods = ["Add", "Push", "Enqueue"];

    private static void AnalyzeAssignment(SyntaxNodeAnalysisContext context, ISimpleAssignmentOperation assignment, KnownSymbols symbols)
    {
        if (assignment.Target is not IFieldReferenceOperation { Field.IsStatic: false } field
            || !KnownSymbols.IsOrDerives(assignment.Value.Type, symbols.Tensor)
            || StepMethods.Containing(context.ContainingSymbol!, symbols) is not { } step
            || LeavesScope(assignment.Value)) return;
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.StepTensorEscapesScope, assignment.Value.Syntax.GetLocation(),
            assignment.Value.Syntax.ToString(), step.Name, field.Field.Name));
    }

    private static void AnalyzeAdd(SyntaxNodeAnalysisContext context, IInvocationOperation invocation, KnownSymbols symbols)
    {
        if (invocation.Arguments.Length != 1
            || invocation.Instance is not IFieldReferenceOperation { Field.IsStatic: false } field
            || StepMethods.Containing(context.ContainingSymbol!, symbols) is not { } step) return;
        var value = invocation.Arguments[0].Value;
        if (value is IConversionOperation conversion) value = conversion.Operand;
        if (!KnownSymbols.IsOrDerives(value.Type, symbols.Tensor)) return;

        if (!LeavesScope(value))
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.StepTensorEscapesScope, value.Syntax.GetLocation(), value.Syntax.ToString(), step.Name, field.Field.Name));
        if (ReadInEpochEndHook(field.Field, context.CancellationToken) is { } hook)
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.ManualMetricCollection, invocation.Syntax.GetLocation(), field.Field.Name, step.Name, hook));
    }

    private static bool LeavesScope(IOperation value)
        => value is IInvocationOperation { TargetMethod.Name: var name } && Escapes.Contains(name);

    /// <summary>The first On*EpochEnd override of the field's class that mentions the field.</summary>
    private static string? ReadInEpochEndHook(IFieldSymbol field, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var method in field.ContainingType.GetMembers().OfType<IMethodSymbol>())
        {
            if (!method.IsOverride || !method.Name.StartsWith("On", System.StringComparison.Ordinal) || !method.Name.EndsWith("EpochEnd", System.StringComparison.Ordinal)) continue;
            foreach (var reference in method.DeclaringSyntaxReferences)
                if (reference.GetSyntax(cancellationToken).DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.Text == field.Name))
                    return method.Name;
        }
        return null;
    }
}
