using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>
/// LIT0011: drop the cast (<c>net = Linear(8, 1).half()</c> → <c>net = Linear(8, 1)</c>; a statement that only casts,
/// <c>net.half();</c>, goes); the precision is set on the trainer.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExplicitPrecisionCastCodeFix)), Shared]
public sealed class ExplicitPrecisionCastCodeFix() : LitGenCodeFix(Key, "Remove the precision cast (set TrainerOptions.Precision instead)", Descriptors.ExplicitPrecisionCastId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0011.RemovePrecisionCast";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        if (node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault() is not { Expression: MemberAccessExpressionSyntax access } invocation) return null;
        if (invocation.Parent is ExpressionStatementSyntax statement) return root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
        return root.ReplaceNode(invocation, access.Expression.WithTriviaFrom(invocation));
    }
}
