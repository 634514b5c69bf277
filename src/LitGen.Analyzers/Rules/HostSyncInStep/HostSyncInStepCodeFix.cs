using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0004: in <c>Log("x", t.item&lt;float&gt;())</c>, log the tensor itself.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HostSyncInStepCodeFix)), Shared]
public sealed class HostSyncInStepCodeFix() : LitGenCodeFix(Key, "Log the tensor instead", Descriptors.HostSyncInStepId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0004.LogTheTensor";

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
