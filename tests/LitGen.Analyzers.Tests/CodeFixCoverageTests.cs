using System.Text.RegularExpressions;
using LitGen.Tests.Shared;

namespace LitGen.Analyzers.Tests;

/// <summary>The rules with a code fix are exactly those the diagnostics index says have one, each fix with its own ID and key.</summary>
public class CodeFixCoverageTests
{
    [Fact]
    public void The_documented_code_fixes_are_the_exported_ones()
    {
        var index = File.ReadAllText(Path.Combine(RepositoryPaths.Root(), "docs", "diagnostics", "README.md"));
        var documented = Regex.Matches(index, @"\[(LIT\d{4})\]\([^)]*\) \| [^|]+\| analyzer \(code fix\)").Select(m => m.Groups[1].Value).Order();
        var fixes = AnalyzerHarness.CodeFixes();
        Assert.Equal(documented, fixes.SelectMany(f => f.FixableDiagnosticIds).Order());
        Assert.Equal(fixes.Count, fixes.Select(f => f.GetType().GetField("Key")!.GetValue(null)).Distinct().Count());
    }
}
