using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0007: use the nearest metric name the module logs.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnknownMonitorKeyCodeFix)), Shared]
public sealed class UnknownMonitorKeyCodeFix : LitGenCodeFix
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0007.UseLoggedName";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.UnknownMonitorKeyId);

    /// <inheritdoc />
    protected override string EquivalenceKey => Key;

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
