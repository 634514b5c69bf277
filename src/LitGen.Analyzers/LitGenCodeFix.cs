using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace LitGen.Analyzers;

/// <summary>
/// The base of every LitGen code fix (as xunit.analyzers' <c>BatchedCodeFixProvider</c>): the constructor takes the
/// equivalence key (Fix All groups by it), the title and the diagnostic IDs; a fix adds only its syntax rewrite of the
/// flagged node (and a title of its own where the diagnostic names something). Fix All comes with it.
/// </summary>
public abstract class LitGenCodeFix : CodeFixProvider
{
    private readonly string title;

    /// <summary>A fix of <paramref name="diagnosticIds"/>, titled <paramref name="title"/>, grouped by <paramref name="equivalenceKey"/>.</summary>
    protected LitGenCodeFix(string equivalenceKey, string title, params string[] diagnosticIds)
    {
        EquivalenceKey = equivalenceKey;
        this.title = title;
        FixableDiagnosticIds = ImmutableArray.Create(diagnosticIds);
    }

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

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
    protected string EquivalenceKey { get; }

    /// <summary>The title shown in the IDE: the constructor's, unless the fix names what the diagnostic found.</summary>
    protected virtual string Title(Diagnostic diagnostic) => title;

    /// <summary>The fixed root, or null when the node is not one this fix understands.</summary>
    protected abstract SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic);
}
