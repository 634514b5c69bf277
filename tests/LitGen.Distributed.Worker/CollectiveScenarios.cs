using System.Globalization;
using System.Text.Json;
using static TorchSharp.torch;

namespace LitGen.Distributed.Worker;

/// <summary>
/// A three-class linear classifier evaluated on 1,001 samples (batch 100: 501 samples and 6 batches on rank 0, 500 and 5
/// on rank 1), logging with syncDist a batch-size-weighted mean, a sum, maxima, a minimum, a step value and two names that
/// rank 1 logs in the other order, and an accuracy and an AUROC as metric objects. Data and weights are fixed functions, so the single-process reference is the same run.
/// </summary>
[LightningModule]
public partial class EvaluationModel : LightningModule<(Tensor X, Tensor Y)>
{
    public const int Samples = 1001;

    private readonly TorchSharp.Modules.Linear layer = nn.Linear(8, 3);
    private readonly MulticlassAccuracy accuracy = new(3);
    private readonly BinaryAUROC auroc = new();
    private readonly bool metricObjects;

    public EvaluationModel(bool metricObjects = true)
    {
        this.metricObjects = metricObjects;
        using var noGrad = no_grad();
        layer.weight!.copy_(arange(24, ScalarType.Float32).mul(0.7f).sin().reshape(3, 8));
        layer.bias!.copy_(tensor(new[] { 0.1f, -0.2f, 0.05f }));
    }

    public static DataLoader<(Tensor, Tensor)> Loader(int samples)
    {
        var x = arange(samples * 8, ScalarType.Float32).mul(0.37f).sin().reshape(samples, 8);
        var y = arange(samples, ScalarType.Int64).mul(7).remainder(3);
        return new DataLoader<(Tensor, Tensor)>(new TensorDataset(x, y), 100);
    }

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx) => Evaluate(batch);

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx) => Evaluate(batch);

    public override Tensor PredictStep((Tensor X, Tensor Y) batch, int batchIdx) => layer.forward(batch.X);

    private Tensor? Evaluate((Tensor X, Tensor Y) batch)
    {
        var logits = layer.forward(batch.X);
        var loss = nn.functional.cross_entropy(logits, batch.Y);
        Log("loss", loss, syncDist: true);
        Log("samples", (double)batch.X.shape[0], reduceFx: ReduceFx.Sum, syncDist: true);
        Log("max_logit", logits.max(), reduceFx: ReduceFx.Max, syncDist: true);
        // A negative max and a positive min: a process without batches must add nothing to them (not a zero).
        Log("max_negative", logits.abs().max().neg().sub(1), reduceFx: ReduceFx.Max, syncDist: true);
        Log("min_of_highest", logits.max(), reduceFx: ReduceFx.Min, syncDist: true);
        Log("step_loss", loss, onStep: true, onEpoch: false, syncDist: true);
        // The same names in another order on rank 1: every process must reduce them in one order.
        foreach (var (name, value) in GlobalRank == 0 ? new[] { ("order_a", 1.0), ("order_b", 2.0) } : [("order_b", 2.0), ("order_a", 1.0)])
            Log(name, value, syncDist: true);
        if (!metricObjects) return null;
        accuracy.Update(logits.argmax(1), batch.Y);
        Log("accuracy", accuracy);
        auroc.Update(nn.functional.softmax(logits, 1)[.., 1], batch.Y.eq(1).to(ScalarType.Int64));
        Log("auroc", auroc);
        return null;
    }

    /// <summary>
    /// Validate, test and predict <paramref name="samples"/> samples, as one process or under ddp. With one sample, rank 1
    /// has no batch at all; metric objects then cannot be reduced (they are left out).
    /// </summary>
    public static EvaluationResults Run(TrainerOptions options, int samples = Samples)
    {
        var trainer = new Trainer(options);
        var model = new EvaluationModel(metricObjects: samples >= 2);
        var validated = trainer.Validate(model, Loader(samples))[0];
        var tested = trainer.Test(model, Loader(samples))[0];
        var predicted = trainer.Predict(model, Loader(samples)).Sum(p => p.shape[0]);
        return new EvaluationResults(trainer.Strategy.GlobalRank, new(validated), new(tested), predicted);
    }
}

public sealed record EvaluationResults(int Rank, Dictionary<string, double> Validated, Dictionary<string, double> Tested, long Predicted)
{
    public void Write(string folder) => File.WriteAllText(Path.Combine(folder, $"eval-rank{Rank}.json"), JsonSerializer.Serialize(this));

    public static EvaluationResults Read(string folder, int rank)
        => JsonSerializer.Deserialize<EvaluationResults>(File.ReadAllText(Path.Combine(folder, $"eval-rank{rank}.json")))!;
}

/// <summary>
/// Processes that part ways: <c>skip</c> logs <c>rank0_only</c> with syncDist on rank 0 only (rank 1 goes on to the
/// gradient exchange); <c>rename</c> logs a name of its own with syncDist on each rank; <c>stall</c> keeps rank 1 in its
/// second training step for a minute (rank 0 waits in the gradient exchange).
/// </summary>
[LightningModule]
public partial class DivergentRanksModel : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public string Mode { get; }

    private readonly TorchSharp.Modules.Linear layer = nn.Linear(8, 1);

    public DivergentRanksModel(string mode) => Mode = mode;

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
        switch (Mode)
        {
            case "skip" when GlobalRank == 0:
                Log("rank0_only", loss, syncDist: true);
                break;
            case "rename":
                Log(GlobalRank == 0 ? "rank0_name" : "rank1_name", loss, syncDist: true);
                break;
            case "stall" when GlobalRank == 1 && GlobalStep == 1:
                Thread.Sleep(TimeSpan.FromMinutes(1));
                break;
        }
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}

/// <summary>Logs <c>count</c> step values with syncDist per training step, in one order on rank 0 and the reverse on the others.</summary>
[LightningModule]
public partial class SyncedValuesModel : LightningModule<(Tensor X, Tensor Y)>
{
    [Hyperparameter] public int Count { get; }

    private readonly TorchSharp.Modules.Linear layer = nn.Linear(8, 1);

    public SyncedValuesModel(int count) => Count = count;

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(layer.forward(batch.X), batch.Y);
        for (int n = 0; n < Count; n++)
        {
            int i = GlobalRank == 0 ? n : Count - 1 - n;
            Log("value_" + i.ToString(CultureInfo.InvariantCulture), loss * (GlobalRank + i), onStep: true, onEpoch: false, syncDist: true);
        }
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.01);
}
