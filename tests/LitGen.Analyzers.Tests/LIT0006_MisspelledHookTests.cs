using Microsoft.CodeAnalysis.Diagnostics;

namespace LitGen.Analyzers.Tests;

/// <summary>LIT0006: reported spans, near misses and the fix.</summary>
public class LIT0006_MisspelledHookTests
{
    [Theory]
    [InlineData("    public Tensor? [|training_step|]((Tensor X, Tensor Y) b, int i) => null;")]
    [InlineData("    public optim.Optimizer [|configure_optimizers|]() => optim.SGD(parameters(), 0.1);")]
    [InlineData("    public Tensor? [|TrainStep|]((Tensor X, Tensor Y) b, int i) => null;")]
    [InlineData("    public void [|on_train_epoch_end|]() { }")]
    [InlineData("    public new void [|OnFitStart|]() { }")]
    public Task Misspelled_hooks_are_reported(string members)
        => AnalyzerHarness.VerifyAsync(new MisspelledHookAnalyzer(), "LIT0006", Module(members));

    [Theory]
    [InlineData("    public void [|OnEpochEnd|]() { }")]
    [InlineData("    public void [|training_epoch_end|](List<Tensor> outputs) { }")]
    [InlineData("    public void [|ValidationEpochEnd|](List<Tensor> outputs) { }")]
    [InlineData("    public void [|test_epoch_end|](List<Tensor> outputs) { }")]
    public Task Hooks_Lightning_2_removed_are_reported(string members)
        => AnalyzerHarness.VerifyAsync(new MisspelledHookAnalyzer(), "LIT0006", Module(members));

    [Fact]
    public async Task A_removed_hook_is_reported_with_its_replacement_and_Lightning_name()
    {
        var compilation = LitGen.Tests.Shared.TestCompilation.Create(Module("    public void training_epoch_end(List<Tensor> outputs) { }"));
        var diagnostic = Assert.Single(await compilation.WithAnalyzers([new MisspelledHookAnalyzer()]).GetAnalyzerDiagnosticsAsync());
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("training_epoch_end(outputs), which Lightning 2 removed", message);
        Assert.Contains("rename it to 'OnTrainEpochEnd'", message);
    }

    [Fact]
    public Task Fix_replaces_a_removed_hook_and_drops_its_outputs_parameter()
        => AssertFix(new MisspelledHookAnalyzer(), new MisspelledHookCodeFix(),
            Module("    public void ValidationEpochEnd(List<Tensor> outputs) { }\n    public void on_epoch_end() { }"),
            Module("    public override void OnValidationEpochEnd() { }\n    public override void OnTrainEpochEnd() { }"));

    [Theory]
    [InlineData("    public override void OnFitStart() { }")]
    [InlineData("    public Tensor Forward(Tensor x) => net.forward(x);")]
    [InlineData("    private static void training_helper() { }")]
    public Task Real_hooks_and_other_methods_are_not_reported(string members)
        => AnalyzerHarness.VerifyAsync(new MisspelledHookAnalyzer(), "LIT0006", Module(members));

    [Fact]
    public Task Snake_case_outside_modules_is_not_reported()
        => AnalyzerHarness.VerifyAsync(new MisspelledHookAnalyzer(), "LIT0006", Usings + "public class Other { public void training_step() { } }");

    [Fact]
    public Task Hook_fix_renames_and_overrides()
        => AssertFix(new MisspelledHookAnalyzer(), new MisspelledHookCodeFix(),
            Module("    private void on_train_epoch_end() { }\n    public Tensor? training_step((Tensor X, Tensor Y) b, int i) => null;"),
            Module("    public override void OnTrainEpochEnd() { }\n    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i) => null;"));

    [Fact]
    public Task Fix_all_renames_every_misspelled_hook()
        => AssertFixAll(new MisspelledHookAnalyzer(), new MisspelledHookCodeFix(),
            Module("    public void on_fit_start() { }\n    public void on_train_epoch_end() { }"),
            Module("    public override void OnFitStart() { }\n    public override void OnTrainEpochEnd() { }"));
}
