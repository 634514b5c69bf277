using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LitGen.Benchmarks;

/// <summary>
/// What <c>Log(..., syncDist: true)</c> costs per step under ddp: a tiny linear model (so that the step is mostly the
/// trainer's own work) trained in two processes (started by the trainer under mpirun) logging 0 or <c>--values</c> step
/// values with syncDist, alternated for several rounds; reports the median µs per step of each and the cost per value.
/// </summary>
public static class SyncedLogging
{
    public static void Run(string[] args)
    {
        int values = BenchArgs.Option(args, "--values", 10);
        int rounds = BenchArgs.Option(args, "--rounds", 10);
        int steps = BenchArgs.Option(args, "--steps", 1000);
        manual_seed(0);
        var batches = new DataLoader<(Tensor, Tensor)>(new TensorDataset(randn(512, 16), randint(0, 4, [512])), 4);
        var (plain, synced) = (new List<double>(), new List<double>());
        int rank = 0;
        for (int round = 0; round <= rounds; round++)
        {
            foreach (int count in round % 2 == 0 ? new[] { 0, values } : [values, 0])
            {
                var trainer = new Trainer(new TrainerOptions
                {
                    Devices = 2, MaxSteps = steps, Logger = false, EnableCheckpointing = false, EnableProgressBar = false, EnableModelSummary = false,
                });
                rank = trainer.Strategy.GlobalRank;
                manual_seed(0);
                var watch = Stopwatch.StartNew();
                trainer.Fit(new SyncedLinear(count), batches);
                // Round 0 warms up.
                if (round > 0) (count == 0 ? plain : synced).Add(watch.Elapsed.TotalMicroseconds / steps);
            }
        }
        if (rank != 0) return;
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"processes\": 2, \"values\": {values}, \"plain_step_us\": {Median(plain):0.0}, \"synced_step_us\": {Median(synced):0.0}, \"per_value_us\": {(Median(synced) - Median(plain)) / values:0.00}}}"));
    }
}

/// <summary>A 16 → 4 linear classifier logging <c>count</c> step values with syncDist (and nothing else).</summary>
[LightningModule]
public partial class SyncedLinear : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly Module<Tensor, Tensor> net = Linear(16, 4);
    private readonly string[] names;

    public SyncedLinear(int count) => names = Enumerable.Range(0, count).Select(i => "value_" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = functional.cross_entropy(net.forward(batch.X), batch.Y);
        foreach (var name in names) Log(name, loss, onStep: true, onEpoch: false, syncDist: true);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.Adam(parameters(), 1e-3);
}
