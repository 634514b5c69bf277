using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers;

/// <summary>LIT0001: drop the device move (<c>x.cuda()</c> → <c>x</c>), or use the module's <c>Device</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExplicitDeviceMoveCodeFix)), Shared]
public sealed class ExplicitDeviceMoveCodeFix() : LitGenCodeFix(Key, "Remove the device move", Descriptors.ExplicitDeviceMoveId)
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0001.RemoveDeviceMove";

    /// <inheritdoc />
    protected override string Title(Diagnostic diagnostic)
        => diagnostic.Properties[ExplicitDeviceMoveAnalyzer.KindProperty] == "Device" ? "Use the module's Device" : "Remove the device move";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        var expression = node.AncestorsAndSelf().OfType<ExpressionSyntax>().FirstOrDefault(e => e is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax);
        if (expression is null) return null;
        if (diagnostic.Properties[ExplicitDeviceMoveAnalyzer.KindProperty] == "Device")
            return root.ReplaceNode(expression, SyntaxFactory.IdentifierName("Device").WithTriviaFrom(expression));
        return expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access }
            ? root.ReplaceNode(expression, access.Expression.WithTriviaFrom(expression))
            : null;
    }
}
