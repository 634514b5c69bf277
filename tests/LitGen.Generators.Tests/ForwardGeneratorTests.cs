using Microsoft.CodeAnalysis;

namespace LitGen.Generators.Tests;

public class ForwardGeneratorTests
{
    private const string Header = """
        using LitGen;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        namespace Demo;

        """;

    private const string Exportable = Header + """
        [LightningModule]
        public partial class Net : LightningModule<(Tensor X, Tensor Y)>
        {
            [Hyperparameter] public int Hidden { get; }
            private readonly Sequential features;
            private readonly Linear head;
            private readonly Parameter scale = Parameter(ones(1));
            private readonly ModuleList<Module<Tensor, Tensor>> extra = ModuleList<Module<Tensor, Tensor>>(Linear(3, 3), Tanh());
            private readonly ModuleDict<Module<Tensor, Tensor>> named = ModuleDict<Module<Tensor, Tensor>>(("last \"one\"", Linear(3, 3)));

            public Net(int hidden = 8)
            {
                Hidden = hidden;
                features = Sequential(Linear(4, hidden), ReLU());
                head = Linear(2 * hidden, 3);
            }

            public Tensor Forward(Tensor x, Tensor y)
            {
                var h = features.forward(x);
                using var g = functional.gelu(features.forward(y) * scale);
                int width = 2 * Hidden, i0 = width;
                var both = torch.cat(new[] { h, g + 1 }, 1).view(x.shape[0], width);
                var logits = head.forward(both);
                if (Hidden > 4) logits = logits * 2;
                else
                {
                    logits = logits.relu();
                }
                foreach (var layer in extra)
                    logits = layer.forward(logits);
                logits = named["last \"one\""].forward(logits);
                for (int i = 0; i < Hidden; i++) logits = logits - 1;
                return i0 > 0 ? functional.log_softmax(logits, dim: 1) : logits;
            }

            public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => Forward(batch.X, batch.X);
        }
        """;

    [Fact]
    public void Generates_the_approved_graph_builder_for_an_exportable_Forward()
    {
        var (result, output) = GeneratorHarness.RunWith([new LightningModuleGenerator(), new ForwardGenerator()], Exportable);

        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var generated = Assert.Single(result.GeneratedTrees, t => t.FilePath.EndsWith("Demo.Net.Forward.LitGen.g.cs"));
        GeneratorHarness.Verify(generated.ToString(), "NetForward");
    }

    [Theory]
    [InlineData("if (x.sum().item<float>() > 0) x = functional.relu(x);", "x.sum().item<float>()", "data-dependent control flow")]
    [InlineData("while (x.max().item<float>() > 1) x = x / 2;", "x.max().item<float>()", "data-dependent control flow")]
    [InlineData("foreach (var t in x.split(2)) x = t;", "x.split(2)", "a loop over tensors")]
    [InlineData("switch (1) { default: x = x.relu(); break; }", "switch (1) { default: x = x.relu(); break; }", "this statement has no ONNX translation")]
    [InlineData("x = gru.forward(x).Item1;", "gru.forward(x)", "the layer `gru` is a GRU")]
    [InlineData("x = x.view(-1, x.shape[1] * 2);", "x.shape", "a number read from a tensor")]
    [InlineData("x = x.exp();", "x.exp()", "`exp` has no ONNX translation")]
    [InlineData("x = functional.dropout(x, 0.5, true);", "functional.dropout(x, 0.5, true)", "dropout with training: true")]
    [InlineData("x = x.add(x, 2);", "x.add(x, 2)", "with alpha or a rounding mode")]
    [InlineData("x = x * factor;", "factor", "`factor` is a Scalar, not a number")]
    [InlineData("x = Helper(x);", "Helper(x)", "`Helper` is not a TorchSharp layer or operation")]
    public void Reports_LITG0011_at_what_cannot_be_exported_and_the_refusal_says_the_same(string statement, string at, string reason)
    {
        var source = Header + $$"""
            [LightningModule]
            public partial class Net : LightningModule<(Tensor X, Tensor Y)>
            {
                private readonly GRU gru = GRU(4, 4);
                private readonly Scalar factor = 2.0;

                public Tensor Forward(Tensor x)
                {
                    {{statement}}
                    return x;
                }

                private Tensor Helper(Tensor x) => x;
            }
            """;
        var (result, output) = GeneratorHarness.RunWith([new LightningModuleGenerator(), new ForwardGenerator()], source);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("LITG0011", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Info, diagnostic.Severity);
        Assert.Equal(at, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(reason, message);
        Assert.EndsWith("docs/diagnostics/LITG0011.md", diagnostic.Descriptor.HelpLinkUri);
        var generated = Assert.Single(result.GeneratedTrees, t => t.FilePath.EndsWith(".Forward.LitGen.g.cs")).ToString();
        Assert.Contains("throw new global::System.NotSupportedException(", generated);
        Assert.Contains(reason, generated);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Copied_expressions_compile_with_the_files_usings_inside_and_outside_the_namespace()
    {
        const string source = """
            global using System.Text;
            using LitGen;
            using static TorchSharp.torch;

            namespace Demo
            {
                using Shapes;
                using TorchSharp.Modules;

                [LightningModule]
                public partial class Net : LightningModule<(Tensor X, Tensor Y)>
                {
                    private readonly Linear linear = nn.Linear(4, 4);
                    public Tensor Forward(Tensor x) => linear.forward(x).view(Sizes.Rows, Sizes.Columns);
                }
            }

            namespace Demo.Shapes
            {
                public static class Sizes
                {
                    public static readonly int Rows = -1, Columns = 2;
                }
            }
            """;
        var (result, output) = GeneratorHarness.RunWith([new LightningModuleGenerator(), new ForwardGenerator()], source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var generated = Assert.Single(result.GeneratedTrees, t => t.FilePath.EndsWith(".Forward.LitGen.g.cs")).ToString();
        Assert.Contains("namespace Demo;\n\nusing Shapes;\nusing TorchSharp.Modules;\n", generated);
        Assert.DoesNotContain("global using", generated);
        Assert.Contains("onnx.Reshape(onnx.Layer(linear, \"linear\", ", generated);
        Assert.Contains("Sizes.Rows, Sizes.Columns)", generated);
    }

    [Fact]
    public void A_module_without_Forward_gets_no_graph_builder()
    {
        var source = Header + """
            [LightningModule]
            public partial class Net : LightningModule<(Tensor X, Tensor Y)>
            {
                public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => batch.X;
            }
            """;
        var (result, _) = GeneratorHarness.RunWith([new ForwardGenerator()], source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void Lightnings_forward_override_is_read_when_there_is_no_Forward()
    {
        var source = Header + """
            [LightningModule]
            public partial class Net : LightningModule<Tensor, Tensor, Tensor>
            {
                private readonly Linear linear = Linear(2, 2);
                public override Tensor forward(Tensor input) => linear.forward(input).relu();
            }
            """;
        var (result, output) = GeneratorHarness.RunWith([new LightningModuleGenerator(), new ForwardGenerator()], source);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var generated = Assert.Single(result.GeneratedTrees, t => t.FilePath.EndsWith(".Forward.LitGen.g.cs")).ToString();
        Assert.Contains("var input = onnx.Input(\"input\");", generated);
        Assert.Contains("return onnx.Relu(onnx.Layer(linear, \"linear\", ", generated);
    }

    [Fact]
    public void Editing_another_method_body_reruns_no_emit_and_editing_Forward_does()
    {
        var compilation = GeneratorHarness.Compile(Exportable);
        var driver = GeneratorHarness.CreateDriver(new ForwardGenerator()).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();
        GeneratorDriverRunResult Edit(string from, string to) => driver.RunGenerators(compilation.ReplaceSyntaxTree(tree,
            tree.WithChangedText(tree.GetText().Replace(Exportable.IndexOf(from, StringComparison.Ordinal), from.Length, to)))).GetRunResult();
        IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriverRunResult run)
            => run.Results.Single().TrackedSteps[TrackingNames.ForwardModels].SelectMany(s => s.Outputs).Select(o => o.Reason);

        Assert.All(Reasons(Edit("Forward(batch.X, batch.X)", "Forward(batch.X, batch.Y)")),
            reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(Edit("dim: 1", "dim: 0")));
    }
}
