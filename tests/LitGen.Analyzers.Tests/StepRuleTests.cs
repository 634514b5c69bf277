using LitGen.Analyzers.Fixes;
using LitGen.Analyzers.Rules;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers.Tests;

public class StepRuleTests
{
    private const string Usings = RuleSources.Usings;

    private static string Module(string members) => RuleSources.Module(members);

    private static Task AssertFix(DiagnosticAnalyzer analyzer, CodeFixProvider fix, string before, string after)
        => RuleSources.AssertFixCompiles(analyzer, fix, before, after);

    // LIT0004

    [Fact]
    public Task Host_syncs_in_steps_are_reported()
        => AnalyzerHarness.VerifyAsync(new HostSyncInStepAnalyzer(), "LIT0004", Module("""
                public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)
                {
                    var loss = net.forward(b.X).sum();
                    Log("loss", [|loss.item<float>()|]);
                    if ([|loss.ToSingle()|] > 1) Log("big", 1.0);
                    var values = [|b.X.data<float>()|];
                    return loss;
                }
                public override void OnValidationBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) b, int i, int d) => Log("v", [|b.X.mean().ToDouble()|]);
            """));

    [Fact]
    public Task Host_syncs_outside_steps_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new HostSyncInStepAnalyzer(), "LIT0004", Module("""
                public override void OnTrainEpochEnd() { var w = net.parameters().First().sum().item<float>(); }
                public float Helper(Tensor t) => t.item<float>();
            """.Replace("net.parameters().First()", "ones(1)")) + "public static class P { public static float F(Tensor t) => t.item<float>(); }");

    [Fact]
    public Task Host_sync_fix_logs_the_tensor()
        => AssertFix(new HostSyncInStepAnalyzer(), new HostSyncInStepCodeFix(),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        Log(\"loss\", loss.item<float>());\n        return loss;\n    }"),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        Log(\"loss\", loss);\n        return loss;\n    }"));

    // LIT0008 and LIT0005

    private const string Collecting = """
            private readonly List<Tensor> outputs = [];
            private Tensor? last;
            public override Tensor? ValidationStep((Tensor X, Tensor Y) b, int i)
            {
                var loss = net.forward(b.X).sum();
                outputs.Add([|loss|]);
                last = [|loss * 2|];
                return null;
            }
        """;

    [Fact]
    public Task Step_tensors_kept_in_fields_are_reported()
        => AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0008", Module(Collecting));

    [Fact]
    public Task Step_tensors_taken_out_of_the_scope_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0008", Module("""
                private readonly List<Tensor> outputs = [];
                private Tensor? last;
                private readonly List<double> numbers = [];
                public override Tensor? ValidationStep((Tensor X, Tensor Y) b, int i)
                {
                    var loss = net.forward(b.X).sum();
                    outputs.Add(loss.DetachFromDisposeScope());
                    last = loss.MoveToOuterDisposeScope();
                    numbers.Add(1.0);
                    var local = new List<Tensor> { loss };
                    return null;
                }
            """));

    [Fact]
    public async Task Collected_outputs_reduced_at_epoch_end_are_reported_as_manual_metrics()
    {
        var source = Module(Collecting.Replace("outputs.Add([|loss|]);", "[|outputs.Add(loss)|];").Replace("[|loss * 2|]", "loss * 2")
            + "\n    public override void OnValidationEpochEnd() { Log(\"mean\", stack(outputs).mean()); outputs.Clear(); }");
        await AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0005", source);
    }

    [Fact]
    public Task Escape_fix_detaches_from_the_scope()
        => AssertFix(new StepTensorEscapeAnalyzer(), new StepTensorEscapeCodeFix(),
            Module(Collecting.Replace("[|", "").Replace("|]", "")),
            Module(Collecting.Replace("[|loss|]", "loss.DetachFromDisposeScope()").Replace("[|loss * 2|]", "(loss * 2).DetachFromDisposeScope()")));

    // LIT0002

    private const string Sampler = """
        public sealed class DistributedSampler(int replicas) { }
        public sealed class FakeDataLoader(object data, object? sampler = null) { }
        """;

    [Fact]
    public Task Hand_built_samplers_passed_to_dataloaders_are_reported()
        => AnalyzerHarness.VerifyAsync(new ManualDistributedSamplerAnalyzer(), "LIT0002",
            Usings + Sampler + "public static class P { public static object L() => new FakeDataLoader(1, sampler: [|new DistributedSampler(2)|]); }");

    [Fact]
    public Task Other_objects_passed_to_dataloaders_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new ManualDistributedSamplerAnalyzer(), "LIT0002",
            Usings + Sampler + "public sealed class Sampler2 { } public static class P { public static object L() => new FakeDataLoader(1, sampler: new Sampler2()); public static object S() => new DistributedSampler(1); }");

    [Fact]
    public async Task Sampler_fix_removes_the_argument()
    {
        var (text, _) = await AnalyzerHarness.ApplyFixAsync(new ManualDistributedSamplerAnalyzer(), new ManualDistributedSamplerCodeFix(),
            Usings + Sampler + "public static class P { public static object L() => new FakeDataLoader(1, sampler: new DistributedSampler(2)); }");
        Assert.EndsWith("public static object L() => new FakeDataLoader(1); }", text);
    }
}
