using System.Diagnostics;
using System.Globalization;
using MnistClassifier;
using static TorchSharp.torch;

namespace LitGen.Benchmarks;

/// <summary>
/// The MNIST CNN trained with a global batch of 64: in one process with two libtorch threads, or data-parallel in two
/// processes with one thread each (batch 32 per process; the trainer starts them under mpirun). Reports samples/s and,
/// under ddp, the time of one gradient allreduce (the model's parameters, as the buckets send them) next to the step time.
/// </summary>
public static class DataParallel
{
    private const int GlobalBatch = 64;

    public static void Run(string[] args)
    {
        int processes = BenchArgs.Option(args, "--processes", 1);
        int steps = BenchArgs.Option(args, "--steps", 300);
        const int warmup = 30;
        set_num_threads(2);
        var clock = new StepClock(warmup);
        var trainer = new Trainer(new TrainerOptions
        {
            Devices = processes,
            MaxSteps = warmup + steps,
            Logger = false,
            EnableCheckpointing = false,
            EnableProgressBar = false,
            EnableModelSummary = false,
            NumSanityValSteps = 0,
            Callbacks = [clock],
        });
        manual_seed(0);
        var model = new LitClassifier();
        int perProcess = GlobalBatch / trainer.Strategy.WorldSize;
        var images = randn(GlobalBatch * 50, 1, 28, 28);
        var data = new DataLoader<(Tensor, Tensor)>(new TensorDataset(images, randint(0, 10, [images.shape[0]])), perProcess, shuffle: true, seed: 0);
        trainer.Fit(model, data);

        double stepMicroseconds = clock.Elapsed.TotalMicroseconds / steps;
        double samplesPerSecond = steps * GlobalBatch / clock.Elapsed.TotalSeconds;
        string allreduce = "";
        if (trainer.Strategy.WorldSize > 1)
        {
            long parameters = model.parameters().Sum(p => p.numel());
            using var gradients = zeros(parameters);
            for (int i = 0; i < 20; i++) trainer.Strategy.AllReduce(gradients, ReduceFx.Sum).Dispose();
            var watch = Stopwatch.StartNew();
            const int rounds = 200;
            for (int i = 0; i < rounds; i++) trainer.Strategy.AllReduce(gradients, ReduceFx.Sum).Dispose();
            double reduceMicroseconds = watch.Elapsed.TotalMicroseconds / rounds;
            allreduce = string.Create(CultureInfo.InvariantCulture,
                $", \"parameters\": {parameters}, \"allreduce_us\": {reduceMicroseconds:0.0}, \"allreduce_share\": {reduceMicroseconds / stepMicroseconds:0.000}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"processes\": {trainer.Strategy.WorldSize}, \"threads_per_process\": {get_num_threads()}, \"step_us\": {stepMicroseconds:0.0}, \"samples_per_s\": {samplesPerSecond:0.0}{allreduce}}}"));
    }


    /// <summary>Times the steps after a warm-up.</summary>
    private sealed class StepClock(int warmup) : Callback
    {
        private readonly Stopwatch watch = new();

        public TimeSpan Elapsed => watch.Elapsed;

        public override void OnTrainBatchStart(Trainer trainer, LightningModule module, object batch, int batchIdx)
        {
            if (trainer.GlobalStep == warmup) watch.Restart();
        }
    }
}
