namespace LitGen.Analyzers.Tests;

/// <summary>
/// LIT0010: reported spans (the whole Log call) in every place the trainer records no logs, and near misses. No code
/// fix: where the value belongs (a step, an epoch hook, a logger call) is the author's choice.
/// </summary>
public class LIT0010_LogOutsideHookTests
{
    [Fact]
    public Task Log_outside_steps_and_loggable_hooks_is_reported()
        => AnalyzerHarness.VerifyAsync(new LogOutsideHookAnalyzer(), "LIT0010", Module("""
                private readonly int logged = 0;
                public M() { [|Log("init", 1.0)|]; }
                public double Value { get { [|Log("prop", 1.0)|]; return 1; } }
                public override void Setup(Stage stage) => [|Log("setup", 1.0)|];
                public override void OnFitStart() => [|Log("fit", 1.0)|];
                public override void PrepareData() { [|LogDict(new Dictionary<string, Tensor> { ["a"] = zeros(1) })|]; }
                public override OptimizerConfig ConfigureOptimizers() { [|Log("lr", 0.1)|]; return optim.SGD(parameters(), 0.1); }
                public override Tensor PredictStep((Tensor X, Tensor Y) b, int i) { [|Log("p", 1.0)|]; return b.X; }
            """));

    [Fact]
    public Task Log_in_steps_batch_and_epoch_hooks_or_other_Log_methods_is_not_reported()
        => AnalyzerHarness.VerifyAsync(new LogOutsideHookAnalyzer(), "LIT0010", Module(Logging + """
                private readonly Journal journal = new();
                public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)
                {
                    var loss = net.forward(b.X).sum();
                    Log("train_loss", loss);
                    journal.Log("not the module's Log");
                    return loss;
                }
                public override void OnTrainBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) b, int i) => Log("batch_end", 1.0);
                public override void OnTrainEpochEnd() => Log("epoch_metric", 1.0);
                public override void OnValidationStart() => Log("start", 1.0);
                public override void OnBeforeOptimizerStep(TorchSharp.torch.optim.Optimizer optimizer) => Log("grad_norm", 1.0);
                private void Helper() => Log("from_helper_called_by_a_step", 1.0);
                public override void Setup(Stage stage) => journal.Log("a Log of another class, where the module's may not log");
                private sealed class Journal { public void Log(string text) { } }
            """));

    [Fact]
    public void No_code_fix_is_offered()
        => Assert.DoesNotContain(AnalyzerHarness.CodeFixes(), fix => fix.FixableDiagnosticIds.Contains("LIT0010"));
}
