global using static LitGen.Analyzers.Tests.RuleSources;
using LitGen.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers.Tests;

/// <summary>Test sources for the rules: a module around the members under test, and fix checks that compile the result.</summary>
internal static class RuleSources
{
    public const string Usings = "using System.Collections.Generic;\nusing LitGen;\nusing TorchSharp;\nusing static TorchSharp.torch;\nusing static TorchSharp.torch.nn;\n";

    /// <summary>A validation step that logs <c>val_loss</c> and <c>val_acc</c>.</summary>
    public const string Logging = """
            public override Tensor? ValidationStep((Tensor X, Tensor Y) b, int i)
            {
                Log("val_loss", net.forward(b.X).sum());
                Log(name: "val_acc", value: 1.0);
                return null;
            }
        """;

    public static string Module(string members) =>
        Usings + $"[LightningModule]\npublic partial class M : LightningModule<(Tensor X, Tensor Y)>\n{{\n    private readonly Module<Tensor, Tensor> net = Linear(1, 1);\n{members}\n}}\n";

    /// <summary>Applies Fix All once and compares the text exactly; nothing fixable may be left.</summary>
    public static async Task AssertFixAll(DiagnosticAnalyzer analyzer, CodeFixProvider fix, string before, string after)
    {
        var (text, remaining) = await AnalyzerHarness.ApplyFixAllAsync(analyzer, fix, before);
        Assert.Equal(after.ReplaceLineEndings("\n"), text.ReplaceLineEndings("\n"));
        Assert.Equal(0, remaining);
    }

    /// <summary>Applies the fix, compares the text exactly, and compiles it with the generator.</summary>
    public static async Task AssertFix(DiagnosticAnalyzer analyzer, CodeFixProvider fix, string before, string after)
    {
        var (text, compilation) = await AnalyzerHarness.ApplyFixAsync(analyzer, fix, before);
        Assert.Equal(after.ReplaceLineEndings("\n"), text.ReplaceLineEndings("\n"));
        CSharpGeneratorDriver.Create(new LightningModuleGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        Assert.Empty(generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}
