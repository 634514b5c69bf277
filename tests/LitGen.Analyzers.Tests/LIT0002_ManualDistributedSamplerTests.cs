namespace LitGen.Analyzers.Tests;

/// <summary>LIT0002: reported spans, near misses and the fix.</summary>
public class LIT0002_ManualDistributedSamplerTests
{
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

    [Fact]
    public Task Fix_all_removes_every_sampler_argument()
        => AssertFixAll(new ManualDistributedSamplerAnalyzer(), new ManualDistributedSamplerCodeFix(),
            Usings + Sampler + "public static class P { public static object L() => new FakeDataLoader(1, sampler: new DistributedSampler(2)); public static object V() => new FakeDataLoader(2, sampler: new DistributedSampler(2)); }",
            Usings + Sampler + "public static class P { public static object L() => new FakeDataLoader(1); public static object V() => new FakeDataLoader(2); }");
}
