namespace LitGen.Analyzers.Tests;

/// <summary>LIT0010: reported spans, near misses and the fix.</summary>
public class LIT0010_LogOutsideHookTests
{
    [Fact]
    public Task Log_outside_steps_and_loggable_hooks_is_reported()
        => AnalyzerHarness.VerifyAsync(new LogOutsideHookAnalyzer(), "LIT0010", Module("""
                public M() { [|Log("init", 1.0)|]; }
                public double Value { get { [|Log("prop", 1.0)|]; return 1; } }
                public override void Setup(Stage stage) => [|Log("setup", 1.0)|];
                public override void OnFitStart() => [|Log("fit", 1.0)|];
                public override Tensor PredictStep((Tensor X, Tensor Y) b, int i) { [|Log("p", 1.0)|]; return b.X; }
            """));

    [Fact]
    public Task Log_in_steps_and_epoch_hooks_is_not_reported()
        => AnalyzerHarness.VerifyAsync(new LogOutsideHookAnalyzer(), "LIT0010", Module(Logging + """
                public override void OnTrainEpochEnd() => Log("epoch_metric", 1.0);
                public override void OnValidationStart() => Log("start", 1.0);
                private void Helper() => Log("from_helper_called_by_a_step", 1.0);
            """));
}
