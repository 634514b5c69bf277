using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0003: remove the <c>backward()</c>/<c>step()</c>/<c>zero_grad()</c> statement.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ManualOptimizationCallCodeFix)), Shared]
public sealed class ManualOptimizationCallCodeFix() : LitGenCodeFix(Key, "Remove the call; the trainer does it", Descriptors.ManualOptimizationCallId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0003.RemoveOptimizationCall";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
        => node.AncestorsAndSelf().OfType<ExpressionStatementSyntax>().FirstOrDefault() is { Expression: InvocationExpressionSyntax } statement
            ? root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)
            : null;
}
