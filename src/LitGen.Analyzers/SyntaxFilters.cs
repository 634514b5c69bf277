using LitGen.Shared;
using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers;

/// <summary>
/// Cheap syntactic pre-filters: the rules bind (GetOperation) only the invocations, creations and assignments
/// whose names can match, and only inside LightningModule classes, so analysis costs little beyond the compile.
/// </summary>
internal static class SyntaxFilters
{
    /// <summary>Runs <paramref name="analyze"/> on invocations named one of <paramref name="names"/> inside modules.</summary>
    public static void RegisterInvocations<TOperation>(CompilationStartAnalysisContext start, KnownSymbols symbols, ISet<string> names,
        Action<SyntaxNodeAnalysisContext, TOperation> analyze, bool modulesOnly = true) where TOperation : class, IOperation
        => start.RegisterSyntaxNodeAction(context =>
        {
            var invocation = (InvocationExpressionSyntax)context.Node;
            var name = invocation.Expression switch
            {
                MemberAccessExpressionSyntax access => access.Name.Identifier.Text,
                SimpleNameSyntax simple => simple.Identifier.Text,
                MemberBindingExpressionSyntax binding => binding.Name.Identifier.Text,
                _ => null,
            };
            if (name is null || !names.Contains(name)) return;
            Bind(context, symbols, modulesOnly, analyze);
        }, SyntaxKind.InvocationExpression);

    /// <summary>Runs <paramref name="analyze"/> on object creations whose type is named <paramref name="typeName"/>.</summary>
    public static void RegisterCreations<TOperation>(CompilationStartAnalysisContext start, KnownSymbols symbols, string typeName,
        Action<SyntaxNodeAnalysisContext, TOperation> analyze, bool modulesOnly = true) where TOperation : class, IOperation
        => start.RegisterSyntaxNodeAction(context =>
        {
            var type = ((ObjectCreationExpressionSyntax)context.Node).Type;
            var name = type switch
            {
                QualifiedNameSyntax qualified => qualified.Right.Identifier.Text,
                SimpleNameSyntax simple => simple.Identifier.Text,
                _ => null,
            };
            if (name != typeName) return;
            Bind(context, symbols, modulesOnly, analyze);
        }, SyntaxKind.ObjectCreationExpression);

    /// <summary>Runs <paramref name="analyze"/> on simple assignments inside modules whose target is named one of <paramref name="targets"/> (any name when null).</summary>
    public static void RegisterAssignments(CompilationStartAnalysisContext start, KnownSymbols symbols, ISet<string>? targets,
        Action<SyntaxNodeAnalysisContext, Microsoft.CodeAnalysis.Operations.ISimpleAssignmentOperation> analyze, bool modulesOnly = true)
        => start.RegisterSyntaxNodeAction(context =>
        {
            var assignment = (AssignmentExpressionSyntax)context.Node;
            if (targets is not null)
            {
                var name = assignment.Left switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.Text,
                    MemberAccessExpressionSyntax access => access.Name.Identifier.Text,
                    _ => null,
                };
                if (name is null || !targets.Contains(name)) return;
            }
            Bind(context, symbols, modulesOnly, analyze);
        }, SyntaxKind.SimpleAssignmentExpression);

    private static void Bind<TOperation>(SyntaxNodeAnalysisContext context, KnownSymbols symbols, bool modulesOnly, Action<SyntaxNodeAnalysisContext, TOperation> analyze)
        where TOperation : class, IOperation
    {
        if (modulesOnly && !symbols.IsModule(context.ContainingSymbol?.ContainingType)) return;
        if (context.SemanticModel.GetOperation(context.Node, context.CancellationToken) is TOperation operation) analyze(context, operation);
    }
}
