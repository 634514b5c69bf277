namespace LitGen.Analyzers.Tests;

/// <summary>LIT0004: reported spans, near misses and the fix.</summary>
public class LIT0004_HostSyncInStepTests
{
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

    [Fact]
    public Task Fix_all_logs_every_tensor()
        => AssertFixAll(new HostSyncInStepAnalyzer(), new HostSyncInStepCodeFix(),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        Log(\"loss\", loss.item<float>());\n        Log(\"twice\", (loss * 2).item<float>());\n        return loss;\n    }"),
            Module("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)\n    {\n        var loss = net.forward(b.X).sum();\n        Log(\"loss\", loss);\n        Log(\"twice\", (loss * 2));\n        return loss;\n    }"));
}
