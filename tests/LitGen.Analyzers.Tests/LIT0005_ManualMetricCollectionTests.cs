namespace LitGen.Analyzers.Tests;

/// <summary>LIT0005: reported spans, near misses and the fix.</summary>
public class LIT0005_ManualMetricCollectionTests
{
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
    public async Task Collected_outputs_reduced_at_epoch_end_are_reported_as_manual_metrics()
    {
        var source = Module(Collecting.Replace("outputs.Add([|loss|]);", "[|outputs.Add(loss)|];").Replace("[|loss * 2|]", "loss * 2")
            + "\n    public override void OnValidationEpochEnd() { Log(\"mean\", stack(outputs).mean()); outputs.Clear(); }");
        await AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0005", source);
    }
}
