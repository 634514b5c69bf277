namespace LitGen.Analyzers.Tests;

/// <summary>LIT0011: reported spans, near misses and the fix.</summary>
public class LIT0011_ExplicitPrecisionCastTests
{
    [Theory]
    [InlineData("    public override void OnFitStart() { [|net.half()|]; }")]
    [InlineData("    public override void OnFitStart() { [|this.bfloat16()|]; }")]
    [InlineData("    public override void OnFitStart() { [|net.to(ScalarType.Float16)|]; }")]
    [InlineData("    public override void OnFitStart() { [|net.to(ScalarType.BFloat16)|]; }")]
    public Task Module_casts_in_modules_are_reported(string members)
        => AnalyzerHarness.VerifyAsync(new ExplicitPrecisionCastAnalyzer(), "LIT0011", Module(members));

    [Theory]
    [InlineData("    public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i) => net.forward(b.X.half().to(ScalarType.Float32)).sum();")]
    [InlineData("    public override void OnFitStart() { net.to(ScalarType.Float64); }")]
    [InlineData("    public override void OnFitStart() { net.to(Device); }")]
    [InlineData("    public string half() => \"not a module\";\n    public override void OnFitStart() => half();")]
    public Task Near_misses_are_not_reported(string members)
        => AnalyzerHarness.VerifyAsync(new ExplicitPrecisionCastAnalyzer(), "LIT0011", Module(members));

    [Fact]
    public Task Casts_outside_modules_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new ExplicitPrecisionCastAnalyzer(), "LIT0011",
            Usings + "public static class Plain { public static void F(TorchSharp.Modules.Linear l) => l.half(); }");

    [Fact]
    public Task Fix_removes_the_cast()
        => AssertFix(new ExplicitPrecisionCastAnalyzer(), new ExplicitPrecisionCastCodeFix(),
            Module("    public override void OnFitStart() { net.half(); var n = net.to(ScalarType.BFloat16); }"),
            Module("    public override void OnFitStart() { var n = net; }"));
}
