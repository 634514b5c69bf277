using System.Collections.Generic;
using LitGen.Callbacks;

namespace LitGen;

/// <summary>
/// The trainer's settings: Lightning's <c>Trainer(...)</c> arguments in PascalCase, with the same defaults.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Stop after this many epochs. Null means 1000 when <see cref="MaxSteps"/> is also unset; -1 means no limit.</summary>
    public int? MaxEpochs { get; init; }

    /// <summary>Stop after this many optimizer steps; -1 (default) means no limit.</summary>
    public long MaxSteps { get; init; } = -1;

    /// <summary>Validation batches run before training to catch bugs early; -1 runs them all, 0 none.</summary>
    public int NumSanityValSteps { get; init; } = 2;

    /// <summary>Clip gradients at this value before each optimizer step (null or 0: no clipping).</summary>
    public double? GradientClipVal { get; init; }

    /// <summary>Clip by total norm (default) or element value.</summary>
    public GradientClipAlgorithm? GradientClipAlgorithm { get; init; }

    /// <summary><c>"32-true"</c> (default), <c>"64-true"</c>, <c>"bf16-true"</c> or <c>"16-true"</c>.</summary>
    public string Precision { get; init; } = Training.PrecisionSettings.Default;

    /// <summary><c>"auto"</c> (CUDA when a CUDA libtorch and a GPU are present, else CPU), <c>"cpu"</c>, <c>"cuda"</c> or <c>"gpu"</c>.</summary>
    public string Accelerator { get; init; } = "auto";

    /// <summary>Callbacks, run in the order given (checkpointing callbacks last).</summary>
    public IReadOnlyList<Callback> Callbacks { get; init; } = [];

    /// <summary>Where metrics go: default CSV + TensorBoard under <c>lightning_logs/</c>; one logger, several, or <c>false</c> for none.</summary>
    public LoggerSetting Logger { get; init; } = LoggerSetting.Default;

    /// <summary>Add a <see cref="ModelCheckpoint"/> saving each epoch when none is configured (default true).</summary>
    public bool EnableCheckpointing { get; init; } = true;

    /// <summary>Add a <see cref="ProgressBar"/> when none is configured (default true).</summary>
    public bool EnableProgressBar { get; init; } = true;

    /// <summary>Send step metrics to the loggers every this many optimizer steps (default 50).</summary>
    public int LogEveryNSteps { get; init; } = 50;

    /// <summary>Root folder for logs and checkpoints when no logger sets one; default the working directory.</summary>
    public string? DefaultRootDir { get; init; }

    /// <summary>Seed libtorch's random generator when the run starts, so that runs repeat.</summary>
    public long? Seed { get; init; }
}
