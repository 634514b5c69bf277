using System.IO;

namespace LitGen;

/// <summary>How <see cref="LitCli"/> runs: the trainer's defaults and where it writes.</summary>
public sealed record LitCliOptions
{
    /// <summary>
    /// The trainer settings before the configuration file and the command line change them (Lightning's
    /// <c>trainer_defaults</c>); callbacks and loggers, which have no option, are set here.
    /// </summary>
    public TrainerOptions TrainerDefaults { get; init; } = new();

    /// <summary>Where results, help and <c>--print-config</c> go; the console when null.</summary>
    public TextWriter? Output { get; init; }

    /// <summary>Where <c>error: …</c> messages go; the console's error stream when null.</summary>
    public TextWriter? Error { get; init; }
}
