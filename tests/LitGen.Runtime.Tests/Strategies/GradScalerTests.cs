using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using LitGen.Runtime.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Strategies;

/// <summary>
/// "16-mixed": float16 autocast with PyTorch's gradient scaler, as Lightning's MixedPrecision drives it. The tests run
/// it on the CPU (libtorch 2.10 has float16 autocast there) through <c>TrainerOptions.Fp16MixedOnCpu</c>; users on
/// the CPU get Lightning's fallback to bf16-mixed.
/// </summary>
public partial class GradScalerTests
{
    private static readonly JsonNode Reference = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Strategies", "Fixtures", "grad-scaler-reference.json")))!;
    private static readonly int[] Injected = Reference["inject"]!.AsArray().Select(v => (int)v!).ToArray();

    private static GradScalerOptions ReferenceOptions => new()
    {
        InitScale = (double)Reference["init_scale"]!, GrowthFactor = (double)Reference["growth_factor"]!,
        BackoffFactor = (double)Reference["backoff_factor"]!, GrowthInterval = (int)Reference["growth_interval"]!,
    };

    /// <summary>What one optimizer step did, observed from outside the scaler: the scale after it, and whether the weights moved.</summary>
    public sealed record StepRecord(float Scale, int GrowthTracker, bool Skipped, double LearningRate, double Loss);

    /// <summary>grad_scaler.py's network (8 → 16 tanh → 1, mse, SGD), with an inf put into a gradient after backward at chosen steps.</summary>
    [LightningModule]
    public partial class ScaledMlp : LightningModule<(Tensor X, Tensor Y)>
    {
        private readonly TorchSharp.Modules.Linear hidden = nn.Linear(8, 16);
        private readonly TorchSharp.Modules.Linear output = nn.Linear(16, 1);
        private Tensor? before;

        public ScaledMlp(bool manual = false)
        {
            AutomaticOptimization = !manual;
            using var noGrad = no_grad();
            var initial = Reference["initial"]!;
            foreach (var (name, parameter) in new[] { ("0.weight", hidden.weight!), ("0.bias", hidden.bias!), ("2.weight", output.weight!), ("2.bias", output.bias!) })
                parameter.copy_(Values(initial[name]!).reshape(parameter.shape));
        }

        public List<StepRecord> Steps { get; } = [];
        public List<ScalarType> OutputDtypes { get; } = [];
        public HashSet<int> NullLossAt { get; init; } = [];

        public Tensor[] Parameters() => [hidden.weight!, hidden.bias!, output.weight!, output.bias!];

        public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
        {
            var prediction = output.forward(tanh(hidden.forward(batch.X)));
            OutputDtypes.Add(prediction.dtype);
            var loss = nn.functional.mse_loss(prediction, batch.Y);
            if (AutomaticOptimization) return NullLossAt.Contains((int)Trainer!.GlobalStep) ? null : loss;
            var optimizer = Optimizers()[0];
            optimizer.zero_grad();
            ManualBackward(loss);
            optimizer.step();
            return loss;
        }

        public override void OnTrainBatchStart((Tensor X, Tensor Y) batch, int batchIdx) => before = hidden.weight!.detach().clone().DetachFromDisposeScope();

        public override void OnAfterBackward()
        {
            if (!Injected.Contains((int)Trainer!.GlobalStep)) return;
            using var noGrad = no_grad();
            hidden.weight!.grad![0, 0] = float.PositiveInfinity;
        }

        public override void OnTrainBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx)
        {
            var scaler = Trainer!.Strategy.GradScaler!;
            Steps.Add(new StepRecord(scaler.Scale, scaler.GrowthTracker, hidden.weight!.equal(before!).all().item<bool>(), Trainer.Optimizers[0].ParamGroups.First().LearningRate,
                outputs?.item<float>() ?? double.NaN));
            before!.Dispose();
        }

        public override OptimizerConfig ConfigureOptimizers()
        {
            var optimizer = optim.SGD(parameters(), (double)Reference["lr"]!);
            if (!AutomaticOptimization) return optimizer;
            return new OptimizerConfig(optimizer, new LrSchedulerConfig(optim.lr_scheduler.StepLR(optimizer, 1, (double)Reference["gamma"]!)) { Interval = Interval.Step });
        }
    }

    private static Tensor Values(JsonNode values) => values is JsonArray { Count: > 0 } array && array[0] is JsonArray
        ? tensor(array.SelectMany(row => row!.AsArray().Select(v => (float)(double)v!)).ToArray(), [array.Count, array[0]!.AsArray().Count])
        : tensor(values.AsArray().Select(v => (float)(double)v!).ToArray());

    private static double[] Flat(JsonNode? node) => node is JsonArray array ? array.SelectMany(Flat).ToArray() : [(double)node!];

    private static List<(Tensor, Tensor)> Batches()
    {
        var (x, y) = (Values(Reference["x"]!), Values(Reference["y"]!));
        return Enumerable.Range(0, 8).Select(b => (x[(b * 16)..((b + 1) * 16)], y[(b * 16)..((b + 1) * 16)])).ToList();
    }

    private static TrainerOptions Options(TempDir dir, int maxSteps, bool clip = true) => new()
    {
        MaxSteps = maxSteps, Precision = Precision.Fp16MixedWith(ReferenceOptions), Fp16MixedOnCpu = true, GradientClipVal = clip ? (double)Reference["clip"]! : null,
        DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
    };

    private static void AssertFollowsReference(List<StepRecord> ours, string run, bool withLearningRates)
    {
        var expected = Reference[run]!["steps"]!.AsArray();
        Assert.Equal(expected.Count, ours.Count);
        for (int step = 0; step < ours.Count; step++)
        {
            var reference = expected[step]!;
            // Exactly: the scale is float32 arithmetic on both sides, and which steps are skipped depends only on the infs.
            Assert.True((float)(double)reference["scale"]! == ours[step].Scale, $"step {step}: scale {ours[step].Scale}, reference {reference["scale"]}");
            Assert.True((int)reference["growth_tracker"]! == ours[step].GrowthTracker, $"step {step}: growth tracker {ours[step].GrowthTracker}, reference {reference["growth_tracker"]}");
            Assert.True((bool)reference["skipped"]! == ours[step].Skipped, $"step {step}: skipped {ours[step].Skipped}, reference {reference["skipped"]}");
            if (withLearningRates)
                Assert.True(Math.Abs((double)reference["lr"]! - ours[step].LearningRate) < 1e-12, $"step {step}: learning rate {ours[step].LearningRate}, reference {reference["lr"]}");
        }
    }

    /// <summary>
    /// With infs injected at chosen steps, the scales, growth counts and skipped steps equal grad_scaler.py's reference
    /// implementation of GradScaler's rule (custom growth 1.7 and backoff 0.3, so the float32 rounding is exercised);
    /// the step-interval scheduler does not step on skipped steps. The weights follow the reference's float32 run within
    /// float16's precision (the steps compute in float16 here): not unscaling before the step or before clipping, or
    /// stepping on inf gradients, moves them far outside it.
    /// </summary>
    [Fact]
    public void Automatic_optimization_scales_skips_and_updates_as_the_reference_GradScaler()
    {
        using var dir = new TempDir();
        var model = new ScaledMlp();
        var trainer = new Trainer(Options(dir, (int)Reference["steps"]!));
        Assert.Equal("16-mixed", trainer.Strategy.Precision.Name);
        trainer.Fit(model, Batches());

        AssertFollowsReference(model.Steps, "automatic", withLearningRates: true);
        Assert.All(model.OutputDtypes, d => Assert.Equal(ScalarType.Float16, d));
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var expectedLosses = Reference["automatic"]!["steps"]!.AsArray().Select(s => (double)s!["loss"]!).ToArray();
        Assert.All(model.Steps.Select(s => s.Loss).Zip(expectedLosses), pair => Assert.InRange(pair.First - pair.Second, -0.01 * pair.Second - 1e-3, 0.01 * pair.Second + 1e-3));
        var names = new[] { "0.weight", "0.bias", "2.weight", "2.bias" };
        for (int i = 0; i < names.Length; i++)
        {
            var actual = model.Parameters()[i].to(ScalarType.Float64).flatten().data<double>().ToArray();
            var reference = Flat(Reference["automatic"]!["final"]![names[i]]!);
            Assert.All(actual.Zip(reference), pair => Assert.InRange(pair.First - pair.Second, -0.005, 0.005));
        }
        Assert.Equal(40, trainer.GlobalStep);
    }

    /// <summary>In manual optimization ManualBackward scales the loss and optimizer.step() unscales, skips and updates, as Lightning's manual_backward and step do.</summary>
    [Fact]
    public void Manual_optimization_scales_in_ManualBackward_and_skips_in_step()
    {
        using var dir = new TempDir();
        var model = new ScaledMlp(manual: true);
        new Trainer(Options(dir, (int)Reference["steps"]!, clip: false)).Fit(model, Batches());
        AssertFollowsReference(model.Steps, "manual", withLearningRates: false);
        var names = new[] { "0.weight", "0.bias", "2.weight", "2.bias" };
        for (int i = 0; i < names.Length; i++)
        {
            var actual = model.Parameters()[i].to(ScalarType.Float64).flatten().data<double>().ToArray();
            Assert.All(actual.Zip(Flat(Reference["manual"]!["final"]![names[i]]!)), pair => Assert.InRange(pair.First - pair.Second, -0.005, 0.005));
        }
    }

    /// <summary>
    /// The scaler's state is saved under Lightning's key with PyTorch's names, and a fit resumed from a checkpoint in the
    /// middle continues the scale, growth count and skips of the uninterrupted run.
    /// </summary>
    [Fact]
    public void The_scaler_state_is_checkpointed_under_Lightnings_key_and_resumed()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "step12.ckpt");
        var first = new ScaledMlp();
        var trainer = new Trainer(Options(dir, 12));
        trainer.Fit(first, Batches());
        trainer.SaveCheckpoint(path);

        var metadata = SafetensorsFile.TryReadMetadata(path)!;
        var state = JsonNode.Parse(metadata["MixedPrecision"])!.AsObject();
        var expected = Reference["automatic"]!["steps"]![11]!;
        Assert.Equal((double)expected["scale"]!, (double)state["scale"]!);
        Assert.Equal((int)expected["growth_tracker"]!, (int)state["_growth_tracker"]!);
        Assert.Equal(1.7, (double)state["growth_factor"]!);
        Assert.Equal(0.3, (double)state["backoff_factor"]!);
        Assert.Equal(4, (int)state["growth_interval"]!);

        var resumed = new ScaledMlp();
        new Trainer(Options(dir, (int)Reference["steps"]!)).Fit(resumed, Batches(), ckptPath: path);
        AssertFollowsReference(first.Steps.Concat(resumed.Steps).ToList(), "automatic", withLearningRates: true);
    }

    /// <summary>
    /// As Lightning: a training step that returns null leaves nothing to unscale or step, and the scale is not updated; the
    /// step still counts. The step-interval scheduler holds, as after any skipped step (the step before was not skipped).
    /// </summary>
    [Fact]
    public void A_skipped_backward_neither_steps_nor_updates_the_scale()
    {
        using var dir = new TempDir();
        var model = new ScaledMlp { NullLossAt = [5] };
        var trainer = new Trainer(Options(dir, 8));
        trainer.Fit(model, Batches());
        var reference = Reference["automatic"]!["steps"]!.AsArray();
        Assert.True(model.Steps[5].Skipped);
        Assert.Equal((int)reference[4]!["growth_tracker"]!, model.Steps[5].GrowthTracker);
        Assert.Equal((int)reference[5]!["growth_tracker"]!, model.Steps[6].GrowthTracker);
        Assert.False(model.Steps[4].Skipped);
        Assert.Equal(model.Steps[4].LearningRate, model.Steps[5].LearningRate);
        Assert.True(model.Steps[6].LearningRate < model.Steps[5].LearningRate);
        Assert.Equal(8, trainer.GlobalStep);
    }

    [Fact]
    public void On_the_CPU_16_mixed_falls_back_to_bf16_mixed_with_a_warning_as_Lightning()
    {
        using var dir = new TempDir();
        var logs = new CollectingLoggerFactory();
        var trainer = new Trainer(new TrainerOptions { Precision = "16-mixed", DefaultRootDir = dir.Path, Logger = false, LoggerFactory = logs });
        Assert.Equal(Precision.Bf16Mixed, trainer.Strategy.Precision);
        Assert.Null(trainer.Strategy.GradScaler);
        var warning = Assert.Single(logs.Messages, m => m.EventId.Id == TrainerEventIds.MixedPrecisionFallback);
        Assert.Equal("16-mixed", warning.Properties["Requested"]);
        Assert.Equal("bf16-mixed", warning.Properties["Used"]);
    }

    [Fact]
    public void Sixteen_mixed_has_PyTorchs_default_scaler_and_refuses_bad_settings()
    {
        Assert.Equal(Precision.Fp16Mixed, Precision.Parse("16-mixed"));
        Assert.Equal(Precision.Fp16Mixed, (Precision)"16");
        Assert.Equal(new GradScalerOptions { InitScale = 65536, GrowthFactor = 2, BackoffFactor = 0.5, GrowthInterval = 2000 }, Precision.Fp16Mixed.GradScaler);
        Assert.NotEqual(Precision.Fp16Mixed, Precision.Fp16MixedWith(new GradScalerOptions { GrowthInterval = 10 }));
        Assert.Null(Precision.Bf16Mixed.GradScaler);
        var error = Assert.Throws<MisconfigurationException>(() => Precision.Fp16MixedWith(new GradScalerOptions { BackoffFactor = 1.5 }));
        Assert.Contains("BackoffFactor", error.Message);
        Assert.Throws<MisconfigurationException>(() => Precision.Fp16MixedWith(new GradScalerOptions { GrowthInterval = 0 }));
    }
}
