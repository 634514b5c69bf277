using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;

using LitGen.Analyzers;
using LitGen.Generators;
using LitGen.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Benchmarks;

/// <summary>
/// The generators (module and ONNX graph) on a project of 200 <c>[LightningModule]</c> classes: a full run, and the incremental run after an
/// edit inside one method body; and the analyzers' share of that project's build.
/// </summary>
[Config(typeof(CompilerConfig))]
public class GeneratorBenchmarks
{
    public const int Modules = 200;
    private CSharpCompilation compilation = null!;
    private CSharpCompilation edited = null!;
    private GeneratorDriver warmDriver = null!;
    private Compilation generated = null!;

    /// <summary>One module source with hyperparameters, components and hooks, numbered <paramref name="i"/>.</summary>
    public static string ModuleSource(int i) => $$"""
        using LitGen;
        using TorchSharp;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        namespace Bench.Models{{i % 10}};

        public enum Mode{{i}} { Fast, Slow }

        [LightningModule]
        public partial class Model{{i}} : LightningModule<(Tensor X, Tensor Y)>
        {
            /// <summary>Hidden width.</summary>
            [Hyperparameter] public int Hidden { get; }
            [Hyperparameter] public double LearningRate { get; }
            [Hyperparameter] public Mode{{i}} Mode { get; }
            [Hyperparameter] public int[] Layers { get; }
            private readonly Module<Tensor, Tensor> net;
            private readonly TorchSharp.Modules.Linear head = Linear(10, 10);

            public Model{{i}}(int[] layers, int hidden = {{i + 1}}, double learningRate = 1e-3, Mode{{i}} mode = Mode{{i}}.Fast)
            {
                (Layers, Hidden, LearningRate, Mode) = (layers, hidden, learningRate, mode);
                net = Sequential(Linear(784, hidden), ReLU(), Linear(hidden, 10));
            }

            public Tensor Forward(Tensor x) => head.forward(net.forward(x));

            public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
            {
                var loss = functional.cross_entropy(Forward(batch.X), batch.Y);
                Log("train_loss", loss);
                return loss;
            }

            public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
            {
                Log("val_loss", functional.cross_entropy(net.forward(batch.X), batch.Y));
                return null;
            }

            public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), LearningRate);
        }
        """;

    [GlobalSetup]
    public void Setup()
    {
        compilation = TestCompilation.Create(Enumerable.Range(0, Modules).Select(ModuleSource).ToArray());
        var tree = compilation.SyntaxTrees.First();
        edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(
            tree.GetText().ToString().IndexOf("return null;", StringComparison.Ordinal), "return null;".Length, "return loss();")));
        warmDriver = NewDriver().RunGenerators(compilation);
        NewDriver().RunGeneratorsAndUpdateCompilation(compilation, out generated, out _);
    }

    private static GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
        [new LightningModuleGenerator().AsSourceGenerator(), new ForwardGenerator().AsSourceGenerator()], parseOptions: TestCompilation.ParseOptions);

    [Benchmark(Description = "generate 200 modules (cold)")]
    public int GenerateCold() => NewDriver().RunGenerators(compilation).GetRunResult().GeneratedTrees.Length;

    [Benchmark(Description = "regenerate after a method-body edit")]
    public int GenerateAfterEdit() => warmDriver.RunGenerators(edited).GetRunResult().GeneratedTrees.Length;

    [Benchmark(Baseline = true, Description = "compile 200 modules (no analyzers)")]
    public int CompileWithoutAnalyzers() => CompileWithoutAnalyzers(generated);

    [Benchmark(Description = "compile 200 modules + LitGen analyzers")]
    public int CompileWithAnalyzers() => CompileWithAnalyzers(generated);

    /// <summary>The generated project of <see cref="Modules"/> modules, for the paired measurement.</summary>
    public Compilation Generated => generated;

    /// <summary>Compiles from scratch (a clone has no cached binding) without analyzers.</summary>
    public static int CompileWithoutAnalyzers(Compilation compilation) => compilation.Clone().GetDiagnostics().Length;

    /// <summary>Compiles from scratch with every LitGen analyzer, on one thread like the baseline.</summary>
    public static int CompileWithAnalyzers(Compilation compilation)
    {
        var analyzers = LoadableTypes(typeof(MissingLightningModuleAttributeAnalyzer).Assembly)
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        return compilation.Clone().WithAnalyzers(analyzers, options).GetAllDiagnosticsAsync().GetAwaiter().GetResult().Length;
    }

    /// <summary>
    /// Compiles from scratch through the analyzer driver with an analyzer that does nothing: the cost any analyzer package
    /// pays before its own work, the fair baseline for LitGen's.
    /// </summary>
    public static int CompileWithNoOpAnalyzer(Compilation compilation)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        return compilation.Clone().WithAnalyzers([new NoOpAnalyzer()], options).GetAllDiagnosticsAsync().GetAwaiter().GetResult().Length;
    }

    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class NoOpAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Never = new("NOOP", "No-op", "No-op", "Bench", DiagnosticSeverity.Hidden, true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Never];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
        }
    }

    // The code fixes need Microsoft.CodeAnalysis.Workspaces, which a compiler host does not load; skip those types.
    private static IEnumerable<Type> LoadableTypes(System.Reflection.Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (System.Reflection.ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }
}
