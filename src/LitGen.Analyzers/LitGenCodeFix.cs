using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace LitGen.Analyzers;

/// <summary>
/// The base of every LitGen code fix: one diagnostic ID, a title, an equivalence key (Fix All groups by it) and a syntax
/// rewrite of the flagged node; Fix All comes with it.
/// </summary>
public abstract class LitGenCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (Rewrite(root, node, diagnostic) is not { } fixedRoot) continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title(diagnostic), _ => Task.FromResult(context.Document.WithSyntaxRoot(fixedRoot)), EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>The key Fix All groups by.</summary>
    protected abstract string EquivalenceKey { get; }

    /// <summary>The title shown in the IDE.</summary>
    protected abstract string Title(Diagnostic diagnostic);

    /// <summary>The fixed root, or null when the node is not one this fix understands.</summary>
    protected abstract SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic);
}
