using System;
using System.Globalization;
using System.Linq;

namespace LitGen;

/// <summary>The <see cref="TrainerOptions"/> the command line sets, each with its parser (reflection-free).</summary>
internal static class TrainerCliOptions
{
    public sealed record Entry(string Name, string Description, Func<TrainerOptions, string, TrainerOptions> Apply, Func<TrainerOptions, object?> Read);

    public static readonly Entry[] All =
    [
        new("max-epochs", "Stop after this many epochs (-1: no limit)", (o, v) => o with { MaxEpochs = Int(v) }, o => o.MaxEpochs),
        new("min-epochs", "Train at least this many epochs", (o, v) => o with { MinEpochs = Int(v) }, o => o.MinEpochs),
        new("min-steps", "Train at least this many optimizer steps", (o, v) => o with { MinSteps = Long(v) }, o => o.MinSteps),
        new("max-steps", "Stop after this many optimizer steps (-1: no limit)", (o, v) => o with { MaxSteps = Long(v) }, o => o.MaxSteps),
        new("max-time", "Stop after this much time (d.hh:mm:ss)", (o, v) => o with { MaxTime = Time(v) }, o => o.MaxTime?.ToString("c", CultureInfo.InvariantCulture)),
        new("limit-train-batches", "Training batches per epoch: a count or a fraction", (o, v) => o with { LimitTrainBatches = Limit(v) }, o => o.LimitTrainBatches.ToString()),
        new("limit-val-batches", "Validation batches per run: a count or a fraction", (o, v) => o with { LimitValBatches = Limit(v) }, o => o.LimitValBatches.ToString()),
        new("limit-test-batches", "Test batches: a count or a fraction", (o, v) => o with { LimitTestBatches = Limit(v) }, o => o.LimitTestBatches.ToString()),
        new("limit-predict-batches", "Prediction batches: a count or a fraction", (o, v) => o with { LimitPredictBatches = Limit(v) }, o => o.LimitPredictBatches.ToString()),
        new("val-check-interval", "Validate every N batches (a count) or fraction of an epoch", (o, v) => o with { ValCheckInterval = Limit(v) }, o => o.ValCheckInterval.ToString()),
        new("check-val-every-n-epoch", "Validate every N epochs", (o, v) => o with { CheckValEveryNEpoch = Int(v) }, o => o.CheckValEveryNEpoch),
        new("num-sanity-val-steps", "Validation batches before training (-1: all)", (o, v) => o with { NumSanityValSteps = Int(v) }, o => o.NumSanityValSteps),
        new("accumulate-grad-batches", "Accumulate gradients over N batches", (o, v) => o with { AccumulateGradBatches = Int(v) }, o => o.AccumulateGradBatches),
        new("gradient-clip-val", "Clip gradients at this value", (o, v) => o with { GradientClipVal = Double(v) }, o => o.GradientClipVal),
        new("gradient-clip-algorithm", "norm or value", (o, v) => o with { GradientClipAlgorithm = Parse<GradientClipAlgorithm>(v) }, o => o.GradientClipAlgorithm?.ToString()),
        new("precision", "32-true, 64-true, bf16-true, 16-true, bf16-mixed or 16-mixed", (o, v) => o with { Precision = v }, o => o.Precision),
        new("accelerator", "auto, cpu, cuda or gpu", (o, v) => o with { Accelerator = v }, o => o.Accelerator),
        new("devices", "Number of devices, one process each (1)", (o, v) => o with { Devices = Int(v) }, o => o.Devices),
        new("num-nodes", "Number of machines of a ddp job (1)", (o, v) => o with { NumNodes = Int(v) }, o => o.NumNodes),
        new("max-restarts", "Restart a failed self-launched ddp job this many times from its newest checkpoint (0)", (o, v) => o with { MaxRestarts = Int(v) }, o => o.MaxRestarts),
        new("strategy", "auto, single_device or ddp", (o, v) => o with { Strategy = v }, o => o.Strategy),
        new("use-distributed-sampler", "Split LitGen DataLoaders among ddp processes (true/false)", (o, v) => o with { UseDistributedSampler = Bool(v) }, o => o.UseDistributedSampler),
        new("enable-checkpointing", "Save checkpoints (true/false)", (o, v) => o with { EnableCheckpointing = Bool(v) }, o => o.EnableCheckpointing),
        new("enable-progress-bar", "Show progress (true/false)", (o, v) => o with { EnableProgressBar = Bool(v) }, o => o.EnableProgressBar),
        new("enable-model-summary", "Print the model summary (true/false)", (o, v) => o with { EnableModelSummary = Bool(v) }, o => o.EnableModelSummary),
        new("log-every-n-steps", "Send step metrics to the loggers every N steps", (o, v) => o with { LogEveryNSteps = Int(v) }, o => o.LogEveryNSteps),
        new("default-root-dir", "Root folder for logs and checkpoints", (o, v) => o with { DefaultRootDir = v }, o => o.DefaultRootDir),
        new("seed", "Seed libtorch's random generator", (o, v) => o with { Seed = Long(v) }, o => o.Seed),
        new("deterministic", "Repeatable runs (with --seed)", (o, v) => o with { Deterministic = Bool(v) }, o => o.Deterministic),
        new("fast-dev-run", "Smoke test with N batches", (o, v) => o with { FastDevRun = Int(v) }, o => o.FastDevRun),
        new("overfit-batches", "Train and validate on these first batches", (o, v) => o with { OverfitBatches = Limit(v) }, o => o.OverfitBatches.ToString()),
        new("reload-dataloaders-every-n-epochs", "Ask the dataloader hooks again every N epochs", (o, v) => o with { ReloadDataloadersEveryNEpochs = Int(v) }, o => o.ReloadDataloadersEveryNEpochs),
    ];

    private static int Int(string v) => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw Bad(v, "an integer");
    private static long Long(string v) => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw Bad(v, "an integer");
    private static double Double(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(v, "a number");
    private static bool Bool(string v) => bool.TryParse(v, out var b) ? b : throw Bad(v, "true or false");
    private static TimeSpan Time(string v) => TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out var t) ? t : throw Bad(v, "a duration such as 00:30:00");

    private static T Parse<T>(string v) where T : struct, Enum
        => Enum.TryParse<T>(v, ignoreCase: true, out var e) ? e : throw Bad(v, string.Join(" or ", Enum.GetNames<T>()).ToLowerInvariant());

    // An integer is a count and anything else a fraction, as in Lightning (10 batches, 0.25 of them). The branches are
    // BatchLimit on purpose: an int/double conditional would make every count a double.
    private static BatchLimit Limit(string v)
    {
        if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) && count >= 0) return count;
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction is >= 0 and <= 1) return fraction;
        throw Bad(v, "a batch count (0 or more) or a fraction between 0.0 and 1.0");
    }

    private static FormatException Bad(string value, string expected) => new($"'{value}' is not {expected}.");
}
