using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using LitGen.Tests.Shared;

namespace LitGen.Analyzers.Tests;

/// <summary>
/// Runs an analyzer over sources written with <c>[|markup|]</c> around each expected diagnostic span, and applies
/// code fixes through an <see cref="AdhocWorkspace"/> (the Roslyn C# testing packages do not restore here).
/// </summary>
internal static class AnalyzerHarness
{
    public static (string Source, ImmutableArray<TextSpan> Spans) ParseMarkup(string markup)
    {
        var spans = ImmutableArray.CreateBuilder<TextSpan>();
        var text = new System.Text.StringBuilder();
        int i = 0, start = -1;
        while (i < markup.Length)
        {
            if (markup.AsSpan(i).StartsWith("[|")) { start = text.Length; i += 2; }
            else if (markup.AsSpan(i).StartsWith("|]")) { spans.Add(TextSpan.FromBounds(start, text.Length)); i += 2; }
            else text.Append(markup[i++]);
        }
        return (text.ToString(), spans.ToImmutable());
    }

    /// <summary>Asserts that the analyzer reports <paramref name="id"/> exactly at the marked spans.</summary>
    public static async Task VerifyAsync(DiagnosticAnalyzer analyzer, string id, string markup)
    {
        var (source, spans) = ParseMarkup(markup);
        var compilation = TestCompilation.Create(source);
        // An analyzer may own several IDs (LIT0005 and LIT0008): each test checks one.
        var diagnostics = (await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync()).Where(d => d.Id == id).ToList();
        Assert.Equal(spans.OrderBy(s => s.Start), diagnostics.Select(d => d.Location.SourceSpan).OrderBy(s => s.Start));
    }

    /// <summary>Every code fix the analyzer assembly exports.</summary>
    public static IReadOnlyList<CodeFixProvider> CodeFixes() => typeof(LitGenCodeFix).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToList();

    private static Document NewDocument(AdhocWorkspace workspace, string source)
    {
        var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "Tests", "Tests", LanguageNames.CSharp,
            compilationOptions: TestCompilation.Options, parseOptions: TestCompilation.ParseOptions, metadataReferences: TestCompilation.References));
        return workspace.AddDocument(project.Id, "Source.cs", SourceText.From(source));
    }

    private static async Task<List<Diagnostic>> FixableDiagnostics(Document document, DiagnosticAnalyzer analyzer, CodeFixProvider fix)
    {
        var compilation = (await document.Project.GetCompilationAsync())!;
        return (await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync())
            .Where(d => fix.FixableDiagnosticIds.Contains(d.Id)).OrderBy(d => d.Location.SourceSpan.Start).ToList();
    }

    /// <summary>
    /// Applies Fix All (document scope) once, through the fix's own Fix All provider, and returns the text and whether any
    /// fixable diagnostic is left.
    /// </summary>
    public static async Task<(string Text, int Remaining)> ApplyFixAllAsync(DiagnosticAnalyzer analyzer, CodeFixProvider fix, string source)
    {
        using var workspace = new AdhocWorkspace();
        var document = NewDocument(workspace, source);
        var diagnostics = await FixableDiagnostics(document, analyzer, fix);
        Assert.True(diagnostics.Count >= 2, "A Fix All test needs at least two diagnostics.");

        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostics[0], (action, _) => actions.Add(action), CancellationToken.None));
        var context = new FixAllContext(document, fix, FixAllScope.Document, Assert.Single(actions).EquivalenceKey, fix.FixableDiagnosticIds,
            new FixedDiagnostics(diagnostics), CancellationToken.None);
        var fixAll = await fix.GetFixAllProvider()!.GetFixAsync(context);
        var operation = (await fixAll!.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
        var fixedDocument = operation.ChangedSolution.GetDocument(document.Id)!;
        return ((await fixedDocument.GetTextAsync()).ToString(), (await FixableDiagnostics(fixedDocument, analyzer, fix)).Count);
    }

    private sealed class FixedDiagnostics(IReadOnlyList<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>([]);

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }

    /// <summary>Applies the fix to every diagnostic (one at a time) and returns the fixed document's text and compilation.</summary>
    public static async Task<(string Text, Compilation Compilation)> ApplyFixAsync(DiagnosticAnalyzer analyzer, CodeFixProvider fix, string source)
    {
        using var workspace = new AdhocWorkspace();
        var document = NewDocument(workspace, source);

        for (int round = 0; round < 10; round++)
        {
            var compilation = (await document.Project.GetCompilationAsync())!;
            var diagnostic = (await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync())
                .Where(d => fix.FixableDiagnosticIds.Contains(d.Id)).OrderBy(d => d.Location.SourceSpan.Start).FirstOrDefault();
            if (diagnostic is null) return ((await document.GetTextAsync()).ToString(), compilation);

            var actions = new List<CodeAction>();
            await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
            var operation = (await Assert.Single(actions).GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
            document = operation.ChangedSolution.GetDocument(document.Id)!;
        }
        throw new InvalidOperationException("The fix did not converge in 10 rounds.");
    }
}
