using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0008: take the tensor out of the step's dispose scope with <c>.DetachFromDisposeScope()</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StepTensorEscapeCodeFix)), Shared]
public sealed class StepTensorEscapeCodeFix() : LitGenCodeFix(Key, "Call .DetachFromDisposeScope()", Descriptors.StepTensorEscapesScopeId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0008.DetachFromDisposeScope";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        if (node is ArgumentSyntax argument) node = argument.Expression;
        if (node is not ExpressionSyntax expression) return null;
        var target = expression is BinaryExpressionSyntax or ConditionalExpressionSyntax or AssignmentExpressionSyntax or CastExpressionSyntax
            ? SyntaxFactory.ParenthesizedExpression(expression.WithoutTrivia())
            : expression.WithoutTrivia();
        var detached = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, target, SyntaxFactory.IdentifierName("DetachFromDisposeScope")));
        return root.ReplaceNode(expression, detached.WithTriviaFrom(expression));
    }
}
