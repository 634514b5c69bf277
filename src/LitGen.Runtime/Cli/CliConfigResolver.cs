using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Resolves a LitCli configuration as LightningCLI does: defaults, then the <c>--config</c> file, then the command line;
/// builds each section's object from its values, and gives back the configuration those objects hold. A config file's keys
/// may be spelled as LightningCLI writes them (<c>max_epochs</c>, <c>hidden_dim</c>), as the C# names (<c>HiddenDim</c>)
/// or as the options (<c>max-epochs</c>); an unknown key is an error that suggests the nearest known one.
/// </summary>
internal sealed class CliConfigResolver(CliOptionSet options, TrainerOptions trainerDefaults)
{
    /// <summary>Each section's hyperparameter values (as JSON) and the trainer's options.</summary>
    public (Dictionary<string, JsonObject> Sections, TrainerOptions Trainer) Resolve(ParseResult parsed)
    {
        var sections = options.Sections.ToDictionary(s => s.Name, _ => new JsonObject(), StringComparer.Ordinal);
        var trainer = trainerDefaults;
        if (parsed.GetValue(options.Config) is { } configFile)
        {
            foreach (var (key, value) in CliConfigFile.Read(configFile))
            {
                if (key == "trainer" && value is JsonObject trainerSection)
                {
                    foreach (var (name, setting) in trainerSection)
                    {
                        var entry = TrainerCliOptions.All.FirstOrDefault(e => SameKey(e.Name, name))
                            ?? throw UnknownKey("trainer", name, TrainerCliOptions.All.Select(e => Snake(e.Name)));
                        trainer = Apply(entry, trainer, setting is JsonValue v && v.TryGetValue<string>(out var text) ? text : setting?.ToJsonString() ?? "");
                    }
                }
                else if (sections.TryGetValue(key, out var section) && value is JsonObject values)
                {
                    var known = options.Sections.Single(s => s.Name == key).Hyperparameters;
                    foreach (var (name, setting) in values)
                    {
                        var info = known.FirstOrDefault(h => SameKey(h.Name, name))
                            ?? throw UnknownKey(key, name, known.Select(h => $"{Snake(CliOptionSet.Kebab(h.Name))} ({h.Name})"));
                        if (options.Links.FirstOrDefault(l => l.Target == info && l.TargetSection.Name == key) is { } link)
                            throw new CliException($"--config: {link.Describe(source: false)} is linked to {link.Describe(source: true)} (LitCliOptions.Link); set {link.Describe(source: true)} instead.");
                        section[info.Name] = setting?.DeepClone();
                    }
                }
                else
                {
                    throw new CliException($"--config: unknown section '{key}'; the sections are {string.Join(", ", sections.Keys.Append("trainer"))}.");
                }
            }
        }
        foreach (var option in options.Hyperparameters)
            if (parsed.GetValue(option.Option) is { } value) sections[option.Section.Name][option.Info.Name] = ToJson(option, value);
        foreach (var (entry, option) in options.Trainer)
            if (parsed.GetValue(option) is { } value) trainer = Apply(entry, trainer, value);
        return (sections, trainer);
    }

    /// <summary>
    /// Builds a section's object. A value the JSON cannot supply, or one the constructor refuses (an
    /// <see cref="ArgumentException"/> naming its parameter), is reported with its option.
    /// </summary>
    public object Create(CliSection section, JsonObject values)
    {
        try
        {
            return section.Create(values.ToJsonString());
        }
        catch (FormatException e)
        {
            var culprit = options.Hyperparameters.FirstOrDefault(o => o.Section == section && e.Message.Contains($"'{o.Info.Name}'", StringComparison.Ordinal));
            throw new CliException(culprit is null ? e.Message : $"{culprit.Option.Name}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            var culprit = options.Hyperparameters.FirstOrDefault(o => o.Section == section && string.Equals(o.Info.Name, e.ParamName, StringComparison.OrdinalIgnoreCase));
            throw new CliException(culprit is null ? e.Message : $"{culprit.Option.Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Builds every section, the sources of links first, each link's target taking its source's value as built (set, or
    /// its default). Returns the objects in section order (model, then data).
    /// </summary>
    public List<object> CreateAll(Dictionary<string, JsonObject> sections)
    {
        var built = new Dictionary<CliSection, object>();
        foreach (var section in options.Sections.OrderBy(s => options.Links.Any(l => l.TargetSection == s) ? 1 : 0))
        {
            var values = sections[section.Name];
            foreach (var link in options.Links.Where(l => l.TargetSection == section))
            {
                var source = JsonNode.Parse(link.SourceSection.Current(built[link.SourceSection])!.ToJson())!.AsObject();
                values[link.Target.Name] = source[link.Source.Name]?.DeepClone();
            }
            built[section] = Create(section, values);
        }
        return options.Sections.Select(s => built[s]).ToList();
    }

    /// <summary>The configuration the built objects hold, every hyperparameter included (defaults too).</summary>
    public JsonObject Resolved(IReadOnlyList<object> built, TrainerOptions trainer)
    {
        var resolved = new JsonObject();
        for (int i = 0; i < options.Sections.Count; i++)
            resolved[options.Sections[i].Name] = options.Sections[i].Current(built[i]) is { } hyperparameters ? JsonNode.Parse(hyperparameters.ToJson())!.AsObject() : new JsonObject();
        var trainerSection = new JsonObject();
        foreach (var entry in TrainerCliOptions.All)
            if (Typed(entry.Read(trainer)) is { } setting) trainerSection[entry.Name] = setting;
        resolved["trainer"] = trainerSection;
        return resolved;
    }

    /// <summary>Keys match whatever their spelling: <c>max_epochs</c>, <c>max-epochs</c>, <c>MaxEpochs</c>, <c>maxEpochs</c>.</summary>
    internal static bool SameKey(string a, string b) => string.Equals(Letters(a), Letters(b), StringComparison.Ordinal);

    internal static string Letters(string key) => new(key.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    private static string Snake(string kebab) => kebab.Replace('-', '_');

    /// <summary>The error for a key no setting has: the nearest known key when one is close, else the list.</summary>
    private static CliException UnknownKey(string section, string key, IEnumerable<string> known)
    {
        var candidates = known.ToList();
        return new CliException(EditDistance.Suggest(Letters(key), candidates, k => Letters(k.Split(' ')[0])) is { } meant
            ? $"--config: unknown key '{key}' in section '{section}'; did you mean {meant}?"
            : $"--config: unknown key '{key}' in section '{section}'; the keys are {string.Join(", ", candidates)}.");
    }

    /// <summary>A trainer setting as YAML should hold it: numbers and booleans typed, everything else (limits, times, names) as text.</summary>
    private static JsonNode? Typed(object? value) => value switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        _ => Format(value) is { } text ? JsonValue.Create(text) : null,
    };

    private static TrainerOptions Apply(TrainerCliOptions.Entry entry, TrainerOptions options, string value)
    {
        try
        {
            return entry.Apply(options, value);
        }
        catch (FormatException e)
        {
            throw new CliException($"--{entry.Name}: {e.Message}");
        }
    }

    private static JsonNode? ToJson(CliOptionSet.HyperparameterOption hyperparameter, string value)
    {
        var (option, info) = (hyperparameter.Option.Name, hyperparameter.Info);
        switch (info.Kind)
        {
            case HyperparameterKind.Number:
                return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                    ? JsonNode.Parse(value)
                    : throw new CliException($"{option}: '{value}' is not a number ({info.Type}).");
            case HyperparameterKind.Boolean:
                return bool.TryParse(value, out var flag) ? JsonValue.Create(flag) : throw new CliException($"{option}: '{value}' is not true or false.");
            case HyperparameterKind.List when !value.TrimStart().StartsWith('['):
                return new JsonArray(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(item => double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? JsonNode.Parse(item) : JsonValue.Create(item))
                    .ToArray());
            case HyperparameterKind.List or HyperparameterKind.Object:
                try
                {
                    return JsonNode.Parse(value);
                }
                catch (JsonException e)
                {
                    throw new CliException($"{option}: not valid JSON: {e.Message}");
                }
            default:
                return JsonValue.Create(value);
        }
    }

    /// <summary>A setting's text as the command line takes it (invariant culture, lower-case booleans).</summary>
    internal static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
