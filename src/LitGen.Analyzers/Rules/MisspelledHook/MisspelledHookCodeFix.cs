using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0006: rename the method to the hook and make it a public override.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MisspelledHookCodeFix)), Shared]
public sealed class MisspelledHookCodeFix() : LitGenCodeFix(Key, "Rename to the Lightning hook and override", Descriptors.MisspelledHookId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0006.RenameToHook";

    /// <inheritdoc />
    protected override string Title(Diagnostic diagnostic) => $"Rename to '{diagnostic.Properties[MisspelledHookAnalyzer.HookProperty]}' and override";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        if (node.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault() is not { } method) return null;
        var hook = diagnostic.Properties[MisspelledHookAnalyzer.HookProperty]!;
        var kept = method.Modifiers.Where(m => !m.IsKind(SyntaxKind.PublicKeyword) && !m.IsKind(SyntaxKind.PrivateKeyword)
            && !m.IsKind(SyntaxKind.ProtectedKeyword) && !m.IsKind(SyntaxKind.InternalKeyword) && !m.IsKind(SyntaxKind.NewKeyword)
            && !m.IsKind(SyntaxKind.VirtualKeyword));
        var modifiers = SyntaxFactory.TokenList(
            new[] { SyntaxFactory.Token(SyntaxKind.PublicKeyword).WithTrailingTrivia(SyntaxFactory.Space), SyntaxFactory.Token(SyntaxKind.OverrideKeyword).WithTrailingTrivia(SyntaxFactory.Space) }
                .Concat(kept));
        var leading = method.Modifiers.Count > 0 ? method.Modifiers[0].LeadingTrivia : method.ReturnType.GetLeadingTrivia();
        var renamed = diagnostic.Properties.ContainsKey(MisspelledHookAnalyzer.DropParametersProperty)
            ? method.WithParameterList(method.ParameterList.WithParameters(default))
            : method;
        var fixedMethod = renamed
            .WithReturnType(method.ReturnType.WithLeadingTrivia())
            .WithModifiers(modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(leading)))
            .WithIdentifier(SyntaxFactory.Identifier(hook).WithTriviaFrom(method.Identifier));
        return root.ReplaceNode(method, fixedMethod);
    }
}
