using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers.Fixes;

/// <summary>LIT0009 fix: adds <c>[LightningModule]</c> and <c>partial</c> to the class.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MissingLightningModuleAttributeCodeFix)), Shared]
public sealed class MissingLightningModuleAttributeCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix (Fix All groups by it).</summary>
    public const string EquivalenceKey = "LIT0009.AddLightningModuleAttribute";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.MissingLightningModuleAttributeId);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var declaration = root?.FindToken(context.Span.Start).Parent?.AncestorsAndSelf().OfType<ClassDeclarationSyntax>().FirstOrDefault();
        if (declaration is null) return;
        context.RegisterCodeFix(
            CodeAction.Create("Add [LightningModule] and partial", ct => FixAsync(context.Document, declaration, ct), EquivalenceKey),
            context.Diagnostics);
    }

    private static async Task<Document> FixAsync(Document document, ClassDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return document;

        // Fully qualified unless `LightningModule` already binds to the attribute's namespace.
        bool hasUsing = root.DescendantNodes().OfType<UsingDirectiveSyntax>().Any(u => u.StaticKeyword == default && u.Alias is null && u.Name?.ToString() == "LitGen")
            || declaration.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(n => n.Name.ToString() is "LitGen" || n.Name.ToString().StartsWith("LitGen.", System.StringComparison.Ordinal));
        var attribute = SyntaxFactory.Attribute(SyntaxFactory.ParseName(hasUsing ? "LightningModule" : "LitGen.LightningModule"));
        // The attribute takes the class's place and indentation; the class moves to the next line.
        var leading = declaration.GetLeadingTrivia();
        var indentation = leading.Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse();
        var newline = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var lineBreak = newline.IsKind(SyntaxKind.EndOfLineTrivia) ? newline : SyntaxFactory.LineFeed;
        var updated = declaration.WithoutLeadingTrivia()
            .AddAttributeLists(SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))
                .WithTrailingTrivia(new[] { lineBreak }.Concat(indentation)));
        if (!updated.Modifiers.Any(SyntaxKind.PartialKeyword))
            updated = updated.AddModifiers(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space));
        updated = updated.WithLeadingTrivia(leading);
        return document.WithSyntaxRoot(root.ReplaceNode(declaration, updated));
    }
}
