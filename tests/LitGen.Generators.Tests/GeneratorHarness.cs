using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using LitGen.Tests.Shared;

namespace LitGen.Generators.Tests;

/// <summary>Compiles sources against the runtime and TorchSharp and runs the generator on them.</summary>
internal static class GeneratorHarness
{
    public static CSharpCompilation Compile(params string[] sources) => TestCompilation.Create(sources);

    /// <summary>A driver for the given generators, the module generator when none is given.</summary>
    public static GeneratorDriver CreateDriver(params IIncrementalGenerator[] generators) => CSharpGeneratorDriver.Create(
        (generators.Length > 0 ? generators : [new LightningModuleGenerator()]).Select(g => g.AsSourceGenerator()),
        parseOptions: TestCompilation.ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static (GeneratorDriverRunResult Result, Compilation Output) Run(params string[] sources) => RunWith([new LightningModuleGenerator()], sources);

    public static (GeneratorDriverRunResult Result, Compilation Output) RunWith(IIncrementalGenerator generator, params string[] sources) => RunWith([generator], sources);

    public static (GeneratorDriverRunResult Result, Compilation Output) RunWith(IIncrementalGenerator[] generators, params string[] sources)
    {
        var driver = CreateDriver(generators).RunGeneratorsAndUpdateCompilation(Compile(sources), out var output, out _);
        return (driver.GetRunResult(), output);
    }

    /// <summary>Compares generated text with an approved file; set LITGEN_APPROVE=1 to (re)write approved files.</summary>
    public static void Verify(string actual, string name, [CallerFilePath] string testFile = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots", name + ".verified.cs");
        if (Environment.GetEnvironmentVariable("LITGEN_APPROVE") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"No approved file {path}; run the tests with LITGEN_APPROVE=1 to create it, then review it.");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != actual)
        {
            File.WriteAllText(Path.ChangeExtension(path, ".received.cs"), actual);
            Assert.Fail($"Generated code differs from {path}; the new output is in the .received.cs beside it. Approve with LITGEN_APPROVE=1.");
        }
    }
}
