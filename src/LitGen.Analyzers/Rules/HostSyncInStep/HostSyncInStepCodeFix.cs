using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0004: in <c>Log("x", t.item&lt;float&gt;())</c>, log the tensor itself.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HostSyncInStepCodeFix)), Shared]
public sealed class HostSyncInStepCodeFix : LitGenCodeFix
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0004.LogTheTensor";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.HostSyncInStepId);

    /// <inheritdoc />
    protected override string EquivalenceKey => Key;

    /// <inheritdoc />
    protected override string Title(Diagnostic diagnostic) => "Log the tensor instead";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        // Only where the host value is handed straight to Log, which accepts the tensor.
        if (node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault() is not { Expression: MemberAccessExpressionSyntax access } sync
            || sync.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax log } }
            || log.Expression is not (IdentifierNameSyntax { Identifier.Text: "Log" } or MemberAccessExpressionSyntax { Name.Identifier.Text: "Log" })) return null;
        return root.ReplaceNode(sync, access.Expression.WithTriviaFrom(sync));
    }
}
