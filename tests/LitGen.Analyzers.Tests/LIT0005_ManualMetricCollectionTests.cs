namespace LitGen.Analyzers.Tests;

/// <summary>
/// LIT0005: reported spans (the whole collecting call) for every collection kind and epoch-end hook, and near misses.
/// No code fix: removing a hand-made collection means rewriting the step's logging, which only the author can choose.
/// </summary>
public class LIT0005_ManualMetricCollectionTests
{
    [Fact]
    public Task Outputs_collected_in_steps_and_reduced_at_epoch_end_are_reported()
        => AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0005", Module("""
                private readonly List<Tensor> losses = [];
                private readonly Stack<Tensor> scores = new();
                private readonly Queue<Tensor> tests = new();
                public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)
                {
                    var loss = net.forward(b.X).sum();
                    [|losses.Add(loss)|];
                    return loss;
                }
                public override Tensor? ValidationStep((Tensor X, Tensor Y) b, int i)
                {
                    [|scores.Push(net.forward(b.X).sum().DetachFromDisposeScope())|];
                    return null;
                }
                public override Tensor? TestStep((Tensor X, Tensor Y) b, int i)
                {
                    [|tests.Enqueue(net.forward(b.X).mean())|];
                    return null;
                }
                public override void OnTrainEpochEnd() { Log("loss", stack(losses).mean()); losses.Clear(); }
                public override void OnValidationEpochEnd() => Log("score", stack(scores.ToArray()).mean());
                public override void OnTestEpochEnd() => Log("test", stack(tests.ToArray()).mean());
            """));

    [Fact]
    public Task Collections_not_reduced_at_epoch_end_or_not_of_step_tensors_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0005", Module("""
                private readonly List<Tensor> kept = [];
                private readonly List<Tensor> resetAtStart = [];
                private readonly List<double> numbers = [];
                private readonly List<Tensor> fromHelper = [];
                private static readonly List<Tensor> Shared = [];
                public override Tensor? TrainingStep((Tensor X, Tensor Y) b, int i)
                {
                    var loss = net.forward(b.X).sum();
                    kept.Add(loss.DetachFromDisposeScope());
                    resetAtStart.Add(loss.DetachFromDisposeScope());
                    numbers.Add(1.0);
                    var local = new List<Tensor>();
                    local.Add(loss);
                    Shared.Add(loss.DetachFromDisposeScope());
                    return loss;
                }
                public void Helper(Tensor t) => fromHelper.Add(t);
                public override void OnTrainEpochStart() => resetAtStart.Clear();
                public override void OnTrainEpochEnd()
                {
                    Log("n", numbers.Count);
                    Log("helper", fromHelper.Count);
                    Log("shared", Shared.Count);
                }
            """));

    [Fact]
    public void No_code_fix_is_offered()
        => Assert.DoesNotContain(AnalyzerHarness.CodeFixes(), fix => fix.FixableDiagnosticIds.Contains("LIT0005"));
}
