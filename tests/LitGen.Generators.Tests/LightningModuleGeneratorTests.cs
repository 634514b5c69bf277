using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LitGen.Generators.Tests;

public class LightningModuleGeneratorTests
{
    private const string Classifier = """
        using LitGen;
        using TorchSharp;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        namespace Demo;

        public enum Activation { Relu, Tanh }

        [LightningModule]
        public partial class LitClassifier : LightningModule<(Tensor X, Tensor Y)>
        {
            /// <summary>Width of the hidden layer.</summary>
            [Hyperparameter] public int HiddenDim { get; }
            [Hyperparameter] public double LearningRate { get; }
            [Hyperparameter] public Activation Activation { get; }
            [Hyperparameter] public string? Tag { get; }
            [Hyperparameter] public long Seed { get; }
            private readonly Module<Tensor, Tensor> net;
            private readonly TorchSharp.Modules.Parameter scale = Parameter(ones(1));
            public TorchSharp.Modules.Linear Head { get; } = Linear(10, 10);
            private readonly Tensor notRegistered = zeros(1);

            public LitClassifier(long seed, int hiddenDim = 128, double learningRate = 1e-3, Activation activation = Activation.Tanh, string? tag = null)
            {
                Seed = seed;
                HiddenDim = hiddenDim;
                LearningRate = learningRate;
                Activation = activation;
                Tag = tag;
                net = Sequential(Linear(784, hiddenDim), ReLU(), Linear(hiddenDim, 10));
            }

            public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
                => functional.cross_entropy(net.forward(batch.X), batch.Y);
        }
        """;

    [Fact]
    public void Generates_the_approved_code_for_a_classifier()
    {
        var (result, output) = GeneratorHarness.Run(Classifier);

        Assert.Empty(result.Diagnostics);
        var generated = Assert.Single(result.GeneratedTrees);
        Assert.EndsWith("Demo.LitClassifier.LitGen.g.cs", generated.FilePath);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        GeneratorHarness.Verify(generated.ToString(), "LitClassifier");
    }

    [Fact]
    public void Generated_code_for_a_nested_module_reopens_its_containing_types()
    {
        var (result, output) = GeneratorHarness.Run("""
            using LitGen;
            using static TorchSharp.torch;
            public static partial class Outer
            {
                [LightningModule]
                public partial class Inner : LightningModule<Tensor>
                {
                    [Hyperparameter] public float Rate { get; }
                    public Inner(float rate = 0.5f) { Rate = rate; }
                }
            }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        GeneratorHarness.Verify(Assert.Single(result.GeneratedTrees).ToString(), "NestedModule");
    }

    [Theory]
    [InlineData("public class M : LightningModule<Tensor> { }", "LITG0001", "M")]
    [InlineData("public partial class M : LightningModule<Tensor> { [Hyperparameter] public Tensor W { get; } public M(Tensor w) { W = w; } }", "LITG0002", "W")]
    [InlineData("public partial class M : LightningModule<Tensor> { [Hyperparameter] public int Size { get; } public M(int other) { Size = other; } }", "LITG0003", "M")]
    [InlineData("public partial class M<T> : LightningModule<T> { }", "LITG0005", "M")]
    [InlineData("public partial class M : LightningModule<Tensor> { [Hyperparameter] public int Size { get; } [Hyperparameter] public int size; public M(int size = 1) { Size = size; } }", "LITG0006", "size")]
    [InlineData("public partial class M { }", "LITG0007", "M")]
    [InlineData("public partial class M : LightningModule<Tensor> { public required int Classes { get; init; } }", "LITG0008", "Classes")]
    [InlineData("public partial class M : LightningModule<Tensor> { public M(System.IO.Stream strict) { } }", "LITG0009", "strict")]
    public void Reports_a_diagnostic_at_the_offending_declaration(string declaration, string id, string at)
    {
        var source = "using LitGen;\nusing static TorchSharp.torch;\n[LightningModule]\n" + declaration;
        var (result, _) = GeneratorHarness.Run(source);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(at, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Empty(result.GeneratedTrees);
        Assert.EndsWith($"docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri);
    }

    [Fact]
    public void No_matching_constructor_names_the_missing_hyperparameters_not_the_others()
    {
        var (result, _) = GeneratorHarness.Run("""
            using LitGen;
            using static TorchSharp.torch;
            [LightningModule]
            public partial class M : LightningModule<Tensor>
            {
                [Hyperparameter] public double LearningRate { get; }
                [Hyperparameter] public int Hidden { get; }
                public M(nn.Module<Tensor, Tensor> backbone, double learningRate = 1e-3) { LearningRate = learningRate; }
            }
            """);
        var message = Assert.Single(result.Diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("missing: Hidden (a parameter 'hidden' of type int)", message);
        Assert.DoesNotContain("LearningRate", message);
    }

    [Fact]
    public void Required_constructor_arguments_that_are_not_hyperparameters_become_LoadFromCheckpoint_parameters()
    {
        var (result, output) = GeneratorHarness.Run("""
            using LitGen;
            using static TorchSharp.torch;
            [LightningModule]
            public partial class M : LightningModule<Tensor>
            {
                [Hyperparameter] public double LearningRate { get; }
                public M(nn.Module<Tensor, Tensor> model, string? tag, double learningRate = 1e-3, int unsaved = 4) { LearningRate = learningRate; }
            }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var code = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("LoadFromCheckpoint(string path, global::TorchSharp.torch.nn.Module<global::TorchSharp.torch.Tensor, global::TorchSharp.torch.Tensor> model, string? tag, global::System.Func<HyperParameters, HyperParameters>? overrides = null", code);
        Assert.Contains("=> new global::M(model: model, tag: tag, learningRate: hyperparameters.LearningRate);", code);
        Assert.DoesNotContain("ILitCliModule", code);
    }

    [Fact]
    public void Nested_in_a_non_partial_type_is_reported()
    {
        var (result, _) = GeneratorHarness.Run("""
            using LitGen;
            using static TorchSharp.torch;
            public class Outer { [LightningModule] public partial class Inner : LightningModule<Tensor> { } }
            """);
        Assert.Equal("LITG0004", Assert.Single(result.Diagnostics).Id);
    }

    [Fact]
    public void Editing_a_method_body_or_another_file_reruns_no_emit()
    {
        var compilation = GeneratorHarness.Compile(Classifier, "public class Unrelated { public int F() => 1; }");
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var classifierTree = compilation.SyntaxTrees.First();
        var editedBody = compilation.ReplaceSyntaxTree(classifierTree,
            classifierTree.WithChangedText(classifierTree.GetText().Replace(
                Classifier.IndexOf("functional.cross_entropy", StringComparison.Ordinal), "functional.cross_entropy".Length, "functional.nll_loss")));
        AssertNoEmit(driver.RunGenerators(editedBody));

        var unrelatedTree = compilation.SyntaxTrees.Last();
        var editedOther = compilation.ReplaceSyntaxTree(unrelatedTree,
            CSharpSyntaxTree.ParseText("public class Unrelated { public int F() => 2; }", (CSharpParseOptions)unrelatedTree.Options, unrelatedTree.FilePath));
        AssertNoEmit(driver.RunGenerators(editedOther));

        var newMember = compilation.ReplaceSyntaxTree(classifierTree,
            CSharpSyntaxTree.ParseText(Classifier.Replace("[Hyperparameter] public long Seed { get; }", "[Hyperparameter] public long Seed { get; }\n    [Hyperparameter] public int Extra { get; } = 3;")
                .Replace("string? tag = null)", "string? tag = null, int extra = 3)"), (CSharpParseOptions)classifierTree.Options, classifierTree.FilePath));
        var rerun = driver.RunGenerators(newMember).GetRunResult().Results.Single();
        Assert.Contains(rerun.TrackedSteps[TrackingNames.ModuleModels].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void Changing_an_attribute_or_adding_a_module_reruns_only_what_changed()
    {
        var compilation = GeneratorHarness.Compile(Classifier);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();

        // An attribute change: a plain property becomes a hyperparameter.
        var withAttribute = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            Classifier.Replace("public TorchSharp.Modules.Linear Head { get; } = Linear(10, 10);",
                               "public TorchSharp.Modules.Linear Head { get; } = Linear(10, 10);\n    [Hyperparameter] public bool Extra { get; }")
                      .Replace("string? tag = null)", "string? tag = null, bool extra = false)"),
            (CSharpParseOptions)tree.Options, tree.FilePath));
        var rerun = driver.RunGenerators(withAttribute).GetRunResult();
        Assert.Contains(rerun.Results.Single().TrackedSteps[TrackingNames.ModuleModels].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Extra", rerun.GeneratedTrees.Single().ToString());

        // A new module class: a new output; the existing module's model is cached.
        var withNewModule = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("""
            using LitGen;
            using static TorchSharp.torch;
            namespace Demo;
            [LightningModule] public partial class Second : LightningModule<Tensor> { }
            """, (CSharpParseOptions)tree.Options, "Second.cs"));
        var added = driver.RunGenerators(withNewModule).GetRunResult();
        var reasons = added.Results.Single().TrackedSteps[TrackingNames.ModuleModels].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.New, reasons);
        Assert.Contains(reasons, r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        Assert.Equal(2, added.GeneratedTrees.Length);
    }

    [Fact]
    public void Diagnostics_keep_their_source_location_so_pragmas_suppress_them()
    {
        const string source = """
            using LitGen;
            using static TorchSharp.torch;
            [LightningModule]
            public partial class Twice : LightningModule<Tensor>
            {
            #pragma warning disable LITG0006
                [Hyperparameter] public int Rate { get; }
                [Hyperparameter] public int rate { get; }
            #pragma warning restore LITG0006
                public Twice(int rate = 0) { }
            }
            """;
        var (result, output) = GeneratorHarness.Run(source);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("LITG0006", diagnostic.Id);
        Assert.Same(output.SyntaxTrees.First(), diagnostic.Location.SourceTree);
        Assert.True(Effective(diagnostic, output).IsSuppressed);

        var (unsuppressed, unsuppressedOutput) = GeneratorHarness.Run(source.Replace("#pragma warning disable LITG0006", "").Replace("#pragma warning restore LITG0006", ""));
        Assert.False(Effective(Assert.Single(unsuppressed.Diagnostics), unsuppressedOutput).IsSuppressed);
    }

    private static Diagnostic Effective(Diagnostic diagnostic, Compilation compilation)
        => Assert.Single(Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzers.GetEffectiveDiagnostics([diagnostic], compilation));

    [Fact]
    public void The_dispatch_table_lists_overrides_of_the_class_and_its_user_bases()
    {
        var (result, output) = GeneratorHarness.Run("""
            using LitGen;
            using static TorchSharp.torch;
            [LightningModule]
            public abstract partial class Base : LightningModule<Tensor>
            {
                public override void OnFitStart() { }
                public override Tensor? ValidationStep(Tensor batch, int batchIdx) => null;
            }
            [LightningModule]
            public partial class Derived : Base
            {
                public override Tensor? TrainingStep(Tensor batch, int batchIdx) => null;
                public override void OnTrainBatchEnd(Tensor? outputs, Tensor batch, int batchIdx) { }
            }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var derived = result.GeneratedTrees.Single(t => t.FilePath.EndsWith("Derived.LitGen.g.cs", StringComparison.Ordinal)).ToString();
        Assert.Contains("OverriddenHooks => global::LitGen.ModuleHooks.TrainingStep\n        | global::LitGen.ModuleHooks.ValidationStep\n        | global::LitGen.ModuleHooks.OnFitStart\n        | global::LitGen.ModuleHooks.OnTrainBatchEnd;", derived);
        Assert.Contains("public void OnTrainBatchEnd(global::TorchSharp.torch.Tensor? outputs, global::TorchSharp.torch.Tensor batch, int batchIdx) => module.OnTrainBatchEnd(outputs, batch, batchIdx);", derived);
        Assert.Contains("public static new global::Derived LoadFromCheckpoint", derived);
        Assert.Contains("base.RegisterGeneratedComponents();", derived);
    }

    private static void AssertNoEmit(GeneratorDriver driver)
    {
        var result = driver.GetRunResult().Results.Single();
        var models = result.TrackedSteps[TrackingNames.ModuleModels].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(models);
        Assert.All(models, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }
}
