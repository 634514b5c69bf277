using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text;

namespace LitGen;

/// <summary>
/// The options of one LitCli command line: one per hyperparameter of each section (<c>--hidden-dim</c>; a datamodule's
/// that clashes with a taken name gets the section's prefix, <c>--data-batch-size</c>), one per trainer setting
/// (<c>--max-epochs</c>), and <c>--config</c> and <c>--print-config</c>.
/// </summary>
internal sealed class CliOptionSet
{
    public CliOptionSet(CliSection model, CliSection? data, TrainerOptions trainerDefaults, IReadOnlyList<(string Source, string Target)> links)
    {
        Sections = data is null ? [model] : [model, data];
        Links = CliLink.Resolve(links, Sections);
        Trainer = TrainerCliOptions.All.Select(e => new TrainerOption(e, new Option<string>("--" + e.Name)
        {
            Description = $"{e.Description} [default: {CliConfigResolver.Format(e.Read(trainerDefaults)) ?? "none"}]",
        })).ToList();
        var taken = new HashSet<string>(TrainerCliOptions.All.Select(e => e.Name).Concat(["config", "print-config", "ckpt-path", "help"]), System.StringComparer.Ordinal);
        foreach (var section in Sections)
        {
            foreach (var info in section.Hyperparameters)
            {
                // A linked target takes its value from its source: it has no option (LightningCLI's link_arguments).
                if (Links.Any(l => l.TargetSection == section && l.Target == info)) continue;
                var name = Kebab(info.Name);
                if (!taken.Add(name)) taken.Add(name = section.Name + "-" + name);
                Hyperparameters.Add(new(section, info, new Option<string>("--" + name)
                {
                    Description = $"{info.Description ?? info.Name} ({info.Type}) " + (info.Default is null ? "[required]" : $"[default: {info.Default}]"),
                }));
            }
        }
    }

    /// <summary>The module's section, then the datamodule's.</summary>
    public IReadOnlyList<CliSection> Sections { get; }

    public List<HyperparameterOption> Hyperparameters { get; } = [];

    /// <summary>The links of <see cref="LitCliOptions.Link"/>, resolved to their hyperparameters.</summary>
    public IReadOnlyList<CliLink> Links { get; }

    public IReadOnlyList<TrainerOption> Trainer { get; }

    public Option<FileInfo> Config { get; } = new("--config") { Description = "A YAML or JSON file with \"model\", \"data\" and \"trainer\" sections; options on the command line win" };

    public Option<bool> PrintConfig { get; } = new("--print-config") { Description = "Print the resolved configuration as YAML (a --config file) and exit" };

    public void AddTo(System.CommandLine.Command command)
    {
        foreach (var option in Hyperparameters) command.Options.Add(option.Option);
        foreach (var option in Trainer) command.Options.Add(option.Option);
        command.Options.Add(Config);
        command.Options.Add(PrintConfig);
    }

    /// <summary><c>HiddenDim</c> → <c>hidden-dim</c>.</summary>
    internal static string Kebab(string name)
    {
        var text = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && (char.IsLower(name[i - 1]) || i + 1 < name.Length && char.IsLower(name[i + 1]))) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString().Replace('_', '-');
    }

    public sealed record HyperparameterOption(CliSection Section, HyperparameterInfo Info, Option<string> Option);

    public sealed record TrainerOption(TrainerCliOptions.Entry Entry, Option<string> Option);
}
