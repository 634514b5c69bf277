using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using LitGen.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LitGen.Analyzers.Fixes;

/// <summary>The fix of one diagnostic: a title, an equivalence key and a syntax rewrite of the flagged node.</summary>
public abstract class SyntaxCodeFix : CodeFixProvider
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

/// <summary>LIT0001: drop the device move (<c>x.cuda()</c> → <c>x</c>), or use the module's <c>Device</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExplicitDeviceMoveCodeFix)), Shared]
public sealed class ExplicitDeviceMoveCodeFix : SyntaxCodeFix
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0001.RemoveDeviceMove";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.ExplicitDeviceMoveId);

    /// <inheritdoc />
    protected override string EquivalenceKey => Key;

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

/// <summary>LIT0003: remove the <c>backward()</c>/<c>step()</c>/<c>zero_grad()</c> statement.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ManualOptimizationCallCodeFix)), Shared]
public sealed class ManualOptimizationCallCodeFix : SyntaxCodeFix
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0003.RemoveOptimizationCall";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.ManualOptimizationCallId);

    /// <inheritdoc />
    protected override string EquivalenceKey => Key;

    /// <inheritdoc />
    protected override string Title(Diagnostic diagnostic) => "Remove the call; the trainer does it";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
        => node.AncestorsAndSelf().OfType<ExpressionStatementSyntax>().FirstOrDefault() is { Expression: InvocationExpressionSyntax } statement
            ? root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)
            : null;
}

/// <summary>LIT0006: rename the method to the hook and make it a public override.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MisspelledHookCodeFix)), Shared]
public sealed class MisspelledHookCodeFix : SyntaxCodeFix
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0006.RenameToHook";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.MisspelledHookId);

    /// <inheritdoc />
    protected override string EquivalenceKey => Key;

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
        var fixedMethod = method
            .WithReturnType(method.ReturnType.WithLeadingTrivia())
            .WithModifiers(modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(leading)))
            .WithIdentifier(SyntaxFactory.Identifier(hook).WithTriviaFrom(method.Identifier));
        return root.ReplaceNode(method, fixedMethod);
    }
}

/// <summary>LIT0007: use the nearest metric name the module logs.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnknownMonitorKeyCodeFix)), Shared]
public sealed class UnknownMonitorKeyCodeFix : SyntaxCodeFix
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

/// <summary>LIT0004: in <c>Log("x", t.item&lt;float&gt;())</c>, log the tensor itself.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(HostSyncInStepCodeFix)), Shared]
public sealed class HostSyncInStepCodeFix : SyntaxCodeFix
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

/// <summary>LIT0008: take the tensor out of the step's dispose scope with <c>.DetachFromDisposeScope()</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StepTensorEscapeCodeFix)), Shared]
public sealed class StepTensorEscapeCodeFix : SyntaxCodeFix
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0008.DetachFromDisposeScope";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.StepTensorEscapesScopeId);

    /// <inheritdoc />
    protected override string EquivalenceKey => Key;

    /// <inheritdoc />
    protected override string Title(Diagnostic diagnostic) => "Call .DetachFromDisposeScope()";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
    {
        if (node is ArgumentSyntax argument) node = argument.Expression;
        if (node is not ExpressionSyntax expression) return null;
        var target = expression is BinaryExpressionSyntax or ConditionalExpressionSyntax or AssignmentExpressionSyntax or CastExpressionSyntax
            ? SyntaxFactory.ParenthesizedExpression(expression.WithoutTrivia())
            : expression.WithoutTrivia();
        var detached = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, target, SyntaxFactory.IdentifierName("DetachFromDisposeScope")));
        return root.ReplaceNode(expression, detached.WithTriviaFrom(expression));
    }
}

/// <summary>LIT0002: remove the hand-built sampler argument.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ManualDistributedSamplerCodeFix)), Shared]
public sealed class ManualDistributedSamplerCodeFix : SyntaxCodeFix
{
    /// <summary>The equivalence key.</summary>
    public const string Key = "LIT0002.RemoveSampler";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.ManualDistributedSamplerId);

    /// <inheritdoc />
    protected override string EquivalenceKey => Key;

    /// <inheritdoc />
    protected override string Title(Diagnostic diagnostic) => "Remove the sampler; the trainer shards data";

    /// <inheritdoc />
    protected override SyntaxNode? Rewrite(SyntaxNode root, SyntaxNode node, Diagnostic diagnostic)
        => node.AncestorsAndSelf().OfType<ArgumentSyntax>().FirstOrDefault() is { NameColon: not null } argument
            ? root.RemoveNode(argument, SyntaxRemoveOptions.KeepNoTrivia)
            : null;
}
