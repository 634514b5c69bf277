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
}
