using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

/// <summary>"bf16-mixed" on libtorch's own autocast: what runs in bfloat16, what stays float32, and the scope's discipline.</summary>
public partial class MixedPrecisionTests
{
    /// <summary>Records the dtypes a step sees and whether autocast is on when backward starts.</summary>
    [LightningModule]
    public partial class DtypeProbe : LightningModule<(Tensor X, Tensor Y)>
    {
        private readonly TorchSharp.Modules.Linear linear = nn.Linear(1, 1);

        public List<ScalarType> TrainOutputs { get; } = [];
        public List<ScalarType> LossDtypes { get; } = [];
        public List<ScalarType> EvalOutputs { get; } = [];
        public List<bool> AutocastAtBackward { get; } = [];

        public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
        {
            var output = linear.forward(batch.X);
            TrainOutputs.Add(output.dtype);
            var loss = nn.functional.mse_loss(output, batch.Y);
            LossDtypes.Add(loss.dtype);
            return loss;
        }

        public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
        {
            EvalOutputs.Add(linear.forward(batch.X).dtype);
            return null;
        }

        public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) => linear.forward(batch.X);

        public override void OnBeforeBackward(Tensor loss) => AutocastAtBackward.Add(AutocastScope.IsEnabled(DeviceType.CPU));

        public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
    }

    [Fact]
    public void Under_bf16_mixed_steps_compute_in_bfloat16_while_weights_gradients_and_backward_stay_float32()
    {
        using var dir = new TempDir();
        var model = new DtypeProbe();
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, Precision = "bf16-mixed", DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false,
            EnableProgressBar = false, EnableModelSummary = false, NumSanityValSteps = 0,
        });
        Assert.Equal(Precision.Bf16Mixed, trainer.Strategy.Precision);
        trainer.Fit(model, TestData.Line(), TestData.Line(batches: 2));

        Assert.All(model.TrainOutputs, d => Assert.Equal(ScalarType.BFloat16, d));
        // mse_loss is on autocast's float32 list, as in PyTorch.
        Assert.All(model.LossDtypes, d => Assert.Equal(ScalarType.Float32, d));
        Assert.All(model.EvalOutputs, d => Assert.Equal(ScalarType.BFloat16, d));
        Assert.Equal([false, false, false, false], model.AutocastAtBackward);
        Assert.All(model.parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        });
        var predictions = trainer.Predict(model, TestData.Line(batches: 1));
        Assert.Equal(ScalarType.BFloat16, predictions[0].dtype);
        // Nothing is left on: the thread computes in float32 after the run.
        Assert.False(AutocastScope.IsEnabled(DeviceType.CPU));
        using var after = model.parameters().First().matmul(ones(1, 1));
        Assert.Equal(ScalarType.Float32, after.dtype);
    }

    [Fact]
    public void The_scope_nests_restores_the_previous_state_survives_exceptions_and_is_per_thread()
    {
        using var linear = nn.Linear(4, 3);
        using var x = randn(2, 4);
        using (new AutocastScope(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.Equal(ScalarType.BFloat16, linear.forward(x).dtype);
            using (new AutocastScope(DeviceType.CPU, ScalarType.BFloat16)) Assert.True(AutocastScope.IsEnabled(DeviceType.CPU));
            // The inner scope's end leaves the outer one on.
            Assert.True(AutocastScope.IsEnabled(DeviceType.CPU));
            // Another thread (a DataLoader worker) is not affected.
            ScalarType other = ScalarType.Int8;
            var thread = new Thread(() =>
            {
                using var y = linear.forward(x);
                other = y.dtype;
            });
            thread.Start();
            thread.Join();
            Assert.Equal(ScalarType.Float32, other);
        }
        Assert.False(AutocastScope.IsEnabled(DeviceType.CPU));

        static void FailInside()
        {
            using var scope = new AutocastScope(DeviceType.CPU, ScalarType.BFloat16);
            throw new InvalidOperationException("inside");
        }
        Assert.Throws<InvalidOperationException>(FailInside);
        Assert.False(AutocastScope.IsEnabled(DeviceType.CPU));
        Assert.Equal(ScalarType.Float32, linear.forward(x).dtype);
    }

    [Fact]
    public void Thirty_two_true_runs_no_autocast_at_all()
    {
        using var dir = new TempDir();
        var model = new DtypeProbe();
        new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false,
            EnableModelSummary = false, NumSanityValSteps = 0,
        }).Fit(model, TestData.Line());
        Assert.All(model.TrainOutputs, d => Assert.Equal(ScalarType.Float32, d));
    }

    /// <summary>The network of bf16_mixed.py: 8 → 16 (tanh) → 1, mse_loss, SGD.</summary>
    [LightningModule]
    public partial class OracleMlp : LightningModule<(Tensor X, Tensor Y)>
    {
        private readonly TorchSharp.Modules.Linear hidden = nn.Linear(8, 16);
        private readonly TorchSharp.Modules.Linear output = nn.Linear(16, 1);

        public List<double> Losses { get; } = [];

        public void Load(JsonNode initial)
        {
            using var noGrad = no_grad();
            foreach (var (name, parameter) in new[] { ("0.weight", hidden.weight!), ("0.bias", hidden.bias!), ("2.weight", output.weight!), ("2.bias", output.bias!) })
                parameter.copy_(Tensor2(initial[name]!).reshape(parameter.shape));
        }

        public Tensor[] Parameters() => [hidden.weight!, hidden.bias!, output.weight!, output.bias!];

        public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
            => nn.functional.mse_loss(output.forward(tanh(hidden.forward(batch.X))), batch.Y);

        public override void OnTrainBatchEnd(Tensor? outputs, (Tensor X, Tensor Y) batch, int batchIdx) => Losses.Add(outputs!.item<float>());

        public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.05);
    }

    private static Tensor Tensor2(JsonNode values) => values is JsonArray { Count: > 0 } array && array[0] is JsonArray
        ? tensor(array.SelectMany(row => row!.AsArray().Select(v => (float)(double)v!)).ToArray(), [array.Count, array[0]!.AsArray().Count])
        : tensor(values.AsArray().Select(v => (float)(double)v!).ToArray());

    private static readonly JsonNode Oracle = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Training", "Fixtures", "lightning-2.1.4-bf16-mixed.json")))!;

    private static (List<double> Losses, Tensor[] Final) Train(string precision)
    {
        using var dir = new TempDir();
        var (x, y) = (Tensor2(Oracle["x"]!), Tensor2(Oracle["y"]!));
        var batches = Enumerable.Range(0, 8).Select(b => (x[(b * 16)..((b + 1) * 16)], y[(b * 16)..((b + 1) * 16)])).ToList();
        var model = new OracleMlp();
        model.Load(Oracle["initial"]!);
        new Trainer(new TrainerOptions
        {
            MaxSteps = 200, Precision = precision, DefaultRootDir = dir.Path, Logger = false, EnableCheckpointing = false, EnableProgressBar = false,
            EnableModelSummary = false,
        }).Fit(model, batches);
        return (model.Losses, model.Parameters().Select(p => p.detach().clone()).ToArray());
    }

    private static double[] Flat(JsonNode? node) => node is JsonArray array ? array.SelectMany(Flat).ToArray() : [(double)node!];

    private static List<double> LightningLosses(string precision) => Oracle[precision]!["losses"]!.AsArray().Select(v => (double)v!).ToList();

    private static double MeanRelative(IEnumerable<double> a, IEnumerable<double> b) => a.Zip(b).Average(p => Math.Abs(p.First - p.Second) / p.Second);

    /// <summary>
    /// The first step sees Lightning's weights and batch: under bf16-mixed both round inputs and weights to bfloat16 and
    /// accumulate in float32, so the loss is Lightning's bf16-mixed loss (to float32 round-off) and not its 32-true loss,
    /// from which bfloat16's rounding moves it by about 1e-3. Over the first epoch the runs stay several times closer to
    /// Lightning's bf16-mixed run than that run is to 32-true.
    /// </summary>
    [Fact]
    public void Bf16_mixed_computes_the_first_steps_as_Lightnings_bf16_mixed_does_and_not_as_32_true()
    {
        var (ours, _) = Train("bf16-mixed");
        var (bf16, full) = (LightningLosses("bf16-mixed"), LightningLosses("32-true"));
        Assert.InRange(Math.Abs(ours[0] - bf16[0]) / bf16[0], 0, 1e-6);
        Assert.InRange(Math.Abs(ours[0] - full[0]) / full[0], 5e-4, 1);
        Assert.True(MeanRelative(ours.Take(8), bf16.Take(8)) < MeanRelative(bf16.Take(8), full.Take(8)) / 3,
            $"first epoch: {MeanRelative(ours.Take(8), bf16.Take(8))} from Lightning's bf16-mixed, {MeanRelative(bf16.Take(8), full.Take(8))} between its two precisions");
    }

    /// <summary>
    /// The MLP trained 200 steps follows Lightning 2.1.4's run of the same network on the same batches. Under 32-true the
    /// two agree to float32 round-off (1e-5; 6e-8 here), which shows the harness is the same run. Under bf16-mixed,
    /// libtorch 2.10 and PyTorch 1.13 compute bfloat16 matmuls with different kernels (oneDNN versions, accumulation
    /// order); those differences are below bfloat16's relative step (2^-8 ≈ 0.4%) per step but SGD carries them on, so
    /// the losses are held to 1% and the final weights (scale 0.1–1) to 0.005; observed: 0.3% and 5e-4.
    /// </summary>
    [Theory]
    [InlineData("32-true", 1e-5, 1e-5)]
    [InlineData("bf16-mixed", 0.01, 0.005)]
    public void The_MLP_follows_Lightnings_run_of_the_same_precision_for_200_steps(string precision, double lossTolerance, double weightTolerance)
    {
        var (losses, final) = Train(precision);
        var expected = LightningLosses(precision);
        Assert.Equal(200, losses.Count);
        for (int step = 0; step < 200; step++)
            Assert.True(Math.Abs(losses[step] - expected[step]) <= lossTolerance * expected[step], $"step {step}: {losses[step]} against Lightning's {expected[step]}");
        var names = new[] { "0.weight", "0.bias", "2.weight", "2.bias" };
        for (int i = 0; i < names.Length; i++)
        {
            var actual = final[i].to(ScalarType.Float64).flatten().data<double>().ToArray();
            var reference = Flat(Oracle[precision]!["final"]![names[i]]!);
            Assert.Equal(reference.Length, actual.Length);
            Assert.All(actual.Zip(reference), pair => Assert.InRange(pair.First - pair.Second, -weightTolerance, weightTolerance));
        }
    }
}
