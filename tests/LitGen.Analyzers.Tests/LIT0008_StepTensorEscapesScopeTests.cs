namespace LitGen.Analyzers.Tests;

/// <summary>LIT0008: reported spans, near misses and the fix.</summary>
public class LIT0008_StepTensorEscapesScopeTests
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
    public Task Step_tensors_kept_in_fields_are_reported()
        => AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0008", Module(Collecting));

    [Fact]
    public Task Step_tensors_taken_out_of_the_scope_are_not_reported()
        => AnalyzerHarness.VerifyAsync(new StepTensorEscapeAnalyzer(), "LIT0008", Module("""
                private readonly List<Tensor> outputs = [];
                private Tensor? last;
                private readonly List<double> numbers = [];
                public override Tensor? ValidationStep((Tensor X, Tensor Y) b, int i)
                {
                    var loss = net.forward(b.X).sum();
                    outputs.Add(loss.DetachFromDisposeScope());
                    last = loss.MoveToOuterDisposeScope();
                    numbers.Add(1.0);
                    var local = new List<Tensor> { loss };
                    return null;
                }
            """));


    [Fact]
    public Task Escape_fix_detaches_from_the_scope()
        => AssertFix(new StepTensorEscapeAnalyzer(), new StepTensorEscapeCodeFix(),
            Module(Collecting.Replace("[|", "").Replace("|]", "")),
            Module(Collecting.Replace("[|loss|]", "loss.DetachFromDisposeScope()").Replace("[|loss * 2|]", "(loss * 2).DetachFromDisposeScope()")));

    [Fact]
    public Task Fix_all_detaches_every_escaping_tensor()
        => AssertFixAll(new StepTensorEscapeAnalyzer(), new StepTensorEscapeCodeFix(),
            Module(Collecting.Replace("[|", "").Replace("|]", "")),
            Module(Collecting.Replace("[|loss|]", "loss.DetachFromDisposeScope()").Replace("[|loss * 2|]", "(loss * 2).DetachFromDisposeScope()")));
}
