using LitGen.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers.Tests;

/// <summary>LIT0009: reported spans, near misses and the fix.</summary>
public class LIT0009_MissingLightningModuleAttributeTests
{
    private const string Usings = "using LitGen;\nusing TorchSharp;\nusing static TorchSharp.torch;\n";

    [Theory]
    [InlineData("public class [|Model|] : LightningModule<Tensor> { }")]
    [InlineData("public partial class [|Model|] : LightningModule<(Tensor X, Tensor Y)> { }")]
    [InlineData("public abstract class [|Base|] : LightningModule<Tensor> { }")]
    [InlineData("[LightningModule] public partial class Base : LightningModule<Tensor> { }\npublic class [|Derived|] : Base { }")]
    public Task Reports_modules_without_the_attribute(string code)
        => AnalyzerHarness.VerifyAsync(new MissingLightningModuleAttributeAnalyzer(), "LIT0009", Usings + code);

    [Theory]
    [InlineData("[LightningModule] public partial class Model : LightningModule<Tensor> { }")]
    [InlineData("public class Plain : nn.Module<Tensor, Tensor> { public Plain() : base(\"p\") { } public override Tensor forward(Tensor x) => x; }")]
    [InlineData("public class NotAModule { }")]
    [InlineData("public interface IModel { }")]
    public Task Ignores_marked_modules_and_other_classes(string code)
        => AnalyzerHarness.VerifyAsync(new MissingLightningModuleAttributeAnalyzer(), "LIT0009", Usings + code);

    [Fact]
    public async Task Fix_adds_the_attribute_and_partial_and_the_result_compiles_with_the_generator()
    {
        var source = Usings + """
            namespace Demo;

            /// <summary>A model.</summary>
            public sealed class Model : LightningModule<Tensor>
            {
            }

            internal class Other : LightningModule<Tensor> { }
            """;
        var (text, compilation) = await AnalyzerHarness.ApplyFixAsync(new MissingLightningModuleAttributeAnalyzer(), new MissingLightningModuleAttributeCodeFix(), source);

        Assert.Equal(Usings + """
            namespace Demo;

            /// <summary>A model.</summary>
            [LightningModule]
            public sealed partial class Model : LightningModule<Tensor>
            {
            }

            [LightningModule]
            internal partial class Other : LightningModule<Tensor> { }
            """, text);
        CSharpGeneratorDriver.Create(new LightningModuleGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        Assert.Empty(generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public async Task Fix_qualifies_the_attribute_when_LitGen_is_not_imported()
    {
        var (text, _) = await AnalyzerHarness.ApplyFixAsync(new MissingLightningModuleAttributeAnalyzer(), new MissingLightningModuleAttributeCodeFix(),
            "public class Model : LitGen.LightningModule<TorchSharp.torch.Tensor> { }");
        Assert.Equal("[LitGen.LightningModule]\npublic partial class Model : LitGen.LightningModule<TorchSharp.torch.Tensor> { }", text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public Task Fix_all_marks_every_module_in_the_document()
        => AssertFixAll(new MissingLightningModuleAttributeAnalyzer(), new MissingLightningModuleAttributeCodeFix(),
            Usings + "public class A : LightningModule<Tensor> { }\npublic class B : LightningModule<Tensor> { }",
            Usings + "[LightningModule]\npublic partial class A : LightningModule<Tensor> { }\n[LightningModule]\npublic partial class B : LightningModule<Tensor> { }");

    [Fact]
    public async Task A_build_without_the_attribute_says_what_to_add_instead_of_failing_on_missing_members()
    {
        // The compiler does not run analyzers on a compilation with errors: the module must compile without the
        // generated members so that LIT0009 is what the command-line build shows.
        var compilation = LitGen.Tests.Shared.TestCompilation.Create(Module("").Replace("[LightningModule]\npublic partial class M", "public class M"));
        CSharpGeneratorDriver.Create(new LightningModuleGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);
        Assert.Empty(generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostic = Assert.Single(await generated.WithAnalyzers([new MissingLightningModuleAttributeAnalyzer()]).GetAnalyzerDiagnosticsAsync());
        Assert.Equal(("LIT0009", DiagnosticSeverity.Error), (diagnostic.Id, diagnostic.Severity));
        Assert.Contains("not marked [LightningModule] and partial", diagnostic.GetMessage());
    }
}
