using System.Collections.Generic;
using System.Linq;

namespace LitGen;

/// <summary>A resolved <see cref="LitCliOptions.Link"/>: the hyperparameter whose value another one takes.</summary>
internal sealed record CliLink(CliSection SourceSection, HyperparameterInfo Source, CliSection TargetSection, HyperparameterInfo Target)
{
    public string Describe(bool source) => source ? $"{SourceSection.Name}.{Source.Name}" : $"{TargetSection.Name}.{Target.Name}";

    /// <summary>Finds each link's hyperparameters; a name that matches none is the program's mistake, said with the nearest one.</summary>
    public static List<CliLink> Resolve(IReadOnlyList<(string Source, string Target)> links, IReadOnlyList<CliSection> sections)
    {
        var resolved = new List<CliLink>();
        foreach (var (source, target) in links)
        {
            var (sourceSection, sourceInfo) = Find(source, sections);
            var (targetSection, targetInfo) = Find(target, sections);
            if (targetSection == sourceSection)
                throw new MisconfigurationException($"LitCliOptions.Link(\"{source}\", \"{target}\"): a link joins two sections (data → model, or model → data).");
            if (resolved.Any(l => l.Target == targetInfo && l.TargetSection == targetSection))
                throw new MisconfigurationException($"LitCliOptions.Link: {target} is the target of two links; give it one source.");
            resolved.Add(new CliLink(sourceSection, sourceInfo, targetSection, targetInfo));
        }
        if (resolved.Any(a => resolved.Any(b => a.SourceSection == b.TargetSection && a.TargetSection == b.SourceSection)))
            throw new MisconfigurationException("LitCliOptions.Link: links go one way, from one section to the other; links in both directions cannot be resolved.");
        return resolved;
    }

    private static (CliSection, HyperparameterInfo) Find(string path, IReadOnlyList<CliSection> sections)
    {
        int dot = path.IndexOf('.');
        var sectionName = dot < 0 ? path : path[..dot];
        var section = sections.FirstOrDefault(s => s.Name == sectionName)
            ?? throw new MisconfigurationException($"LitCliOptions.Link: '{path}' names no section; write section.key with section {string.Join(" or ", sections.Select(s => s.Name))}.");
        var key = dot < 0 ? "" : path[(dot + 1)..];
        var info = section.Hyperparameters.FirstOrDefault(h => CliConfigResolver.SameKey(h.Name, key));
        if (info is not null) return (section, info);
        var meant = EditDistance.Suggest(CliConfigResolver.Letters(key), section.Hyperparameters, h => CliConfigResolver.Letters(h.Name));
        throw new MisconfigurationException($"LitCliOptions.Link: '{path}' names no hyperparameter of {section.TypeName}" + (meant is null
            ? $"; its hyperparameters are {string.Join(", ", section.Hyperparameters.Select(h => h.Name))}."
            : $"; did you mean {section.Name}.{CliOptionSet.Kebab(meant.Name).Replace('-', '_')} ({meant.Name})?"));
    }
}
