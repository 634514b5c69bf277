using System.Collections.Generic;
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

    /// <summary>The links made by <see cref="Link"/>, in order.</summary>
    internal IReadOnlyList<(string Source, string Target)> Links { get; private init; } = [];

    /// <summary>
    /// Gives <paramref name="target"/> the value of <paramref name="source"/> (LightningCLI's <c>link_arguments</c>), both
    /// <c>section.key</c> with section <c>model</c> or <c>data</c>: <c>Link("data.features", "model.features")</c> makes the
    /// model's input width follow the datamodule's, whether it was set on the command line, in <c>--config</c> or left at
    /// its default. The target has no option of its own, and a config file that sets it is refused.
    /// </summary>
    public LitCliOptions Link(string source, string target)
    {
        System.ArgumentException.ThrowIfNullOrWhiteSpace(source);
        System.ArgumentException.ThrowIfNullOrWhiteSpace(target);
        return this with { Links = [.. Links, (source, target)] };
    }
}
