using LitGen.Tests.Shared;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace LitGen.Generators.Tests;

/// <summary>The docs' C# must stay true: marked examples compile with the generator, excerpts of generated code are generated.</summary>
public partial class DocumentationTests
{
    private static readonly string Docs = Path.Combine(RepositoryPaths.Root(), "docs");

    public static TheoryData<string> DocsWithExamples => new(Directory.GetFiles(Docs, "*.md").Where(f => File.ReadAllText(f).Contains("<!-- compile -->")).Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(DocsWithExamples))]
    public void Examples_marked_compile_compile_with_the_generator(string file)
    {
        var blocks = Blocks(File.ReadAllText(Path.Combine(Docs, file)), "<!-- compile -->").ToArray();
        Assert.NotEmpty(blocks);
        var (result, output) = GeneratorHarness.RunWith([new LightningModuleGenerator(), new LightningDataModuleGenerator()], blocks);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Excerpts_of_generated_code_match_the_approved_output()
    {
        var text = File.ReadAllText(Path.Combine(Docs, "generated-code.md"));
        var approved = File.ReadAllLines(Path.Combine(RepositoryPaths.Root(), "tests", "LitGen.Generators.Tests", "Snapshots", "LitClassifier.verified.cs"))
            .Select(l => l.Trim()).ToHashSet();
        var excerpts = Blocks(text, "<!-- excerpt: LitClassifier.verified.cs -->").ToList();
        Assert.Equal(5, excerpts.Count);
        foreach (var line in excerpts.SelectMany(b => b.Split('\n')).Select(l => l.Trim()).Where(l => l.Length > 0))
            Assert.Contains(line, approved);
    }

    [Fact]
    public void Every_diagnostic_has_a_page_listed_in_the_index()
    {
        var index = File.ReadAllText(Path.Combine(Docs, "diagnostics", "README.md"));
        var ids = typeof(LightningModuleGenerator).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id)
            .Concat(Enumerable.Range(1, 10).Select(i => $"LIT{i:0000}"))
            .ToList();
        Assert.Equal(21, ids.Count);
        foreach (var id in ids)
        {
            Assert.True(File.Exists(Path.Combine(Docs, "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing");
            Assert.Contains($"[{id}]({id}.md)", index);
        }
    }

    private static IEnumerable<string> Blocks(string markdown, string marker)
        => FencedBlock().Matches(markdown).Where(m => m.Groups["marker"].Value.Trim() == marker).Select(m => m.Groups["code"].Value);

    [GeneratedRegex(@"(?<marker><!--[^\n]*-->)\n```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

}
