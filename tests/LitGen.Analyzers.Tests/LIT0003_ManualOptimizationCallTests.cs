namespace LitGen.Analyzers.Tests;

/// <summary>LIT0003: reported spans, near misses and the fix.</summary>
public class LIT0003_ManualOptimizationCallTests
{
    private const string ManualCalls = """
            public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)
            {
                var loss = net.forward(b.X).sum();
                [|loss.backward()|];
                var opt = optim.SGD(parameters(), 0.1);
                [|opt.step()|];
                [|opt.zero_grad()|];
                return loss;
            }
        """;

    [Fact]
    public Task Optimization_calls_under_automatic_optimization_are_reported()
        => AnalyzerHarness.VerifyAsync(new ManualOptimizationCallAnalyzer(), "LIT0003", Module(ManualCalls));

    [Fact]
    public Task Optimization_calls_under_manual_optimization_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new ManualOptimizationCallAnalyzer(), "LIT0003",
            Module("    public M() { AutomaticOptimization = false; }\n" + ManualCalls.Replace("[|", "").Replace("|]", "")));

    [Fact]
    public Task Stepping_and_zeroing_in_the_optimization_hooks_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new ManualOptimizationCallAnalyzer(), "LIT0003", Module("""
                public override void OptimizerStep(int epoch, int batchIdx, LightningOptimizer optimizer, System.Action optimizerClosure)
                {
                    optimizer.step(optimizerClosure);
                    optimizer.Optimizer.step();
                }
                public override void OptimizerZeroGrad(int epoch, int batchIdx, optim.Optimizer optimizer) => optimizer.zero_grad();
                public void NotAHook(optim.Optimizer optimizer) => [|optimizer.zero_grad()|];
            """));

    [Fact]
    public Task Optimization_calls_outside_modules_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new ManualOptimizationCallAnalyzer(), "LIT0003",
            Usings + "public static class Loop { public static void Step(Tensor loss, optim.Optimizer o) { loss.backward(); o.step(); } }");

    [Fact]
    public Task Optimization_call_fix_removes_the_statement()
        => AssertFix(new ManualOptimizationCallAnalyzer(), new ManualOptimizationCallCodeFix(),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        loss.backward();\n        return loss;\n    }"),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        return loss;\n    }"));

    [Fact]
    public Task Fix_all_removes_every_optimization_call()
        => AssertFixAll(new ManualOptimizationCallAnalyzer(), new ManualOptimizationCallCodeFix(),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        loss.backward();\n        var opt = optim.SGD(parameters(), 0.1);\n        opt.step();\n        return loss;\n    }"),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        var opt = optim.SGD(parameters(), 0.1);\n        return loss;\n    }"));
}
