using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0009: add <c>[LightningModule]</c> and <c>partial</c> to the class.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MissingLightningModuleAttributeCodeFix)), Shared]
public sealed class MissingLightningModuleAttributeCodeFix() : LitGenCodeFix(Key, "Add [LightningModule] and partial", Descriptors.MissingLightningModuleAttributeId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0009.AddLightningModuleAttribute";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        if (node.AncestorsAndSelf().OfType<ClassDeclarationSyntax>().FirstOrDefault() is not { } declaration) return null;
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
        return root.ReplaceNode(declaration, updated.WithLeadingTrivia(leading));
    }
}
