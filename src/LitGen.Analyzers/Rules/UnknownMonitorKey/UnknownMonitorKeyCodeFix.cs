using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0007: use the nearest metric name the module logs.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnknownMonitorKeyCodeFix)), Shared]
public sealed class UnknownMonitorKeyCodeFix() : LitGenCodeFix(Key, "Monitor a logged name", Descriptors.UnknownMonitorKeyId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0007.UseLoggedName";

    /// <inheritdoc />
    protected override string Title(Diagnostic diagnostic) => $"Monitor \"{diagnostic.Properties[UnknownMonitorKeyAnalyzer.SuggestionProperty]}\"";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(UnknownMonitorKeyAnalyzer.SuggestionProperty, out var suggestion) || suggestion is null) return null;
        if (node.AncestorsAndSelf().OfType<LiteralExpressionSyntax>().FirstOrDefault() is not { } literal) return null;
        return root.ReplaceNode(literal, SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(suggestion)).WithTriviaFrom(literal));
    }
}
