using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0002: remove the hand-built sampler argument.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ManualDistributedSamplerCodeFix)), Shared]
public sealed class ManualDistributedSamplerCodeFix() : LitGenCodeFix(Key, "Remove the sampler; the trainer shards data", Descriptors.ManualDistributedSamplerId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0002.RemoveSampler";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
        => node.AncestorsAndSelf().OfType<ArgumentSyntax>().FirstOrDefault() is { NameColon: not null } argument
            ? root.RemoveNode(argument, SyntaxRemoveOptions.KeepNoTrivia)
            : null;
}
