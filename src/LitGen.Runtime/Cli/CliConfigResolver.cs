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
/// builds each section's object from its values, and gives back the configuration those objects hold.
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
                        var entry = TrainerCliOptions.Find(name) ?? throw new CliException($"--config: unknown trainer setting '{name}'.");
                        trainer = Apply(entry, trainer, setting is JsonValue v && v.TryGetValue<string>(out var text) ? text : setting?.ToJsonString() ?? "");
                    }
                }
                else if (sections.TryGetValue(key, out var section) && value is JsonObject values)
                {
                    foreach (var (name, setting) in values) section[name] = setting?.DeepClone();
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

    /// <summary>The configuration the built objects hold, every hyperparameter included (defaults too).</summary>
    public JsonObject Resolved(IReadOnlyList<object> built, TrainerOptions trainer)
    {
        var resolved = new JsonObject();
        for (int i = 0; i < options.Sections.Count; i++)
            resolved[options.Sections[i].Name] = options.Sections[i].Current(built[i]) is { } hyperparameters ? JsonNode.Parse(hyperparameters.ToJson())!.AsObject() : new JsonObject();
        var trainerSection = new JsonObject();
        foreach (var entry in TrainerCliOptions.All)
            if (Format(entry.Read(trainer)) is { } text) trainerSection[entry.Name] = text;
        resolved["trainer"] = trainerSection;
        return resolved;
    }

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
