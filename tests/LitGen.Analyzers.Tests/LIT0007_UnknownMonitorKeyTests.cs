namespace LitGen.Analyzers.Tests;

/// <summary>LIT0007: reported spans, near misses and the fix.</summary>
public class LIT0007_UnknownMonitorKeyTests
{
    [Fact]
    public Task Monitors_that_are_never_logged_are_reported()
        => AnalyzerHarness.VerifyAsync(new UnknownMonitorKeyAnalyzer(), "LIT0007", Module(Logging + """
                public override IEnumerable<Callback> ConfigureCallbacks() =>
                [
                    new EarlyStopping { Monitor = [|"val_los"|] },
                    new ModelCheckpoint { Monitor = "val_acc" },
                    new ModelCheckpoint { Monitor = "val_loss_epoch" },
                ];
                public override OptimizerConfig ConfigureOptimizers()
                {
                    var o = optim.SGD(parameters(), 0.1);
                    return new OptimizerConfig(o, new LrSchedulerConfig(optim.lr_scheduler.ReduceLROnPlateau(o)) { Monitor = [|"train_loss"|] });
                }
            """));

    [Fact]
    public Task Monitors_are_not_checked_when_names_are_dynamic_or_outside_modules()
    {
        var dynamicNames = Module("""
                public override void OnTrainEpochEnd() { foreach (var n in new[] { "a", "b" }) Log(n, 1.0); }
                public override IEnumerable<Callback> ConfigureCallbacks() => [new EarlyStopping { Monitor = "anything" }];
            """);
        return Task.WhenAll(
            AnalyzerHarness.VerifyAsync(new UnknownMonitorKeyAnalyzer(), "LIT0007", dynamicNames),
            AnalyzerHarness.VerifyAsync(new UnknownMonitorKeyAnalyzer(), "LIT0007", Usings + "public static class P { public static object C() => new EarlyStopping { Monitor = \"x\" }; }"));
    }

    [Fact]
    public Task Monitors_set_outside_a_module_are_checked_against_every_module_of_the_project()
        => AnalyzerHarness.VerifyAsync(new UnknownMonitorKeyAnalyzer(), "LIT0007", Module(Logging) + """
            public static class Program
            {
                public static TrainerOptions Options() => new()
                {
                    Callbacks =
                    [
                        new EarlyStopping { Monitor = [|"val_los"|] },
                        new ModelCheckpoint { Monitor = "val_acc" },
                        new ModelCheckpoint { Monitor = "lr-SGD" },
                    ],
                };
            }
            """);

    [Fact]
    public Task Monitors_set_outside_a_module_are_not_checked_when_any_module_logs_computed_names()
        => AnalyzerHarness.VerifyAsync(new UnknownMonitorKeyAnalyzer(), "LIT0007", Module(Logging + """
                public override void OnTrainEpochEnd() => LogDict(new Dictionary<string, double> { ["x"] = 1 });
            """) + "public static class Program { public static object C() => new EarlyStopping { Monitor = \"val_los\" }; }");

    [Fact]
    public Task Monitor_fix_uses_the_nearest_logged_name()
        => AssertFix(new UnknownMonitorKeyAnalyzer(), new UnknownMonitorKeyCodeFix(),
            Module(Logging + "    public override IEnumerable<Callback> ConfigureCallbacks() => [new EarlyStopping { Monitor = \"val_los\" }];"),
            Module(Logging + "    public override IEnumerable<Callback> ConfigureCallbacks() => [new EarlyStopping { Monitor = \"val_loss\" }];"));

    [Fact]
    public Task Fix_all_uses_the_nearest_logged_names()
        => AssertFixAll(new UnknownMonitorKeyAnalyzer(), new UnknownMonitorKeyCodeFix(),
            Module(Logging + "    public override IEnumerable<Callback> ConfigureCallbacks() => [new EarlyStopping { Monitor = \"val_los\" }, new ModelCheckpoint { Monitor = \"val_ac\" }];"),
            Module(Logging + "    public override IEnumerable<Callback> ConfigureCallbacks() => [new EarlyStopping { Monitor = \"val_loss\" }, new ModelCheckpoint { Monitor = \"val_acc\" }];"));
}
