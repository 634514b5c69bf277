using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// The module's hyperparameters followed by its datamodule's, as Lightning logs them: one <c>hparams.yaml</c>. A name in
/// both must have the same value in both.
/// </summary>
internal sealed class MergedHyperparameters : IHyperparameters
{
    private readonly IHyperparameters module;
    private readonly IHyperparameters data;
    private readonly HashSet<string> shared;

    private MergedHyperparameters(IHyperparameters module, IHyperparameters data, HashSet<string> shared)
    {
        this.module = module;
        this.data = data;
        this.shared = shared;
    }

    /// <summary>The module's hyperparameters alone when the datamodule has none.</summary>
    public static IHyperparameters Of(LightningModule module, IHyperparameters? data, string dataModuleName)
    {
        if (data is null) return module.GeneratedHyperparameters;
        var moduleValues = JsonNode.Parse(module.GeneratedHyperparameters.ToJson())!.AsObject();
        var dataValues = JsonNode.Parse(data.ToJson())!.AsObject();
        var shared = new HashSet<string>(StringComparer.Ordinal);
        var conflicts = new List<string>();
        foreach (var (name, value) in dataValues)
        {
            if (!moduleValues.TryGetPropertyValue(name, out var moduleValue)) continue;
            shared.Add(name);
            if (!JsonNode.DeepEquals(moduleValue, value)) conflicts.Add(name);
        }
        if (conflicts.Count > 0)
            throw new MisconfigurationException(
                $"{module.GetType().Name} and {dataModuleName} both have the hyperparameter{(conflicts.Count > 1 ? "s" : "")} {string.Join(", ", conflicts)} " +
                "with different values, so hparams.yaml cannot hold both; rename one or give both the same value.");
        return new MergedHyperparameters(module.GeneratedHyperparameters, data, shared);
    }

    public string ToJson()
    {
        var merged = JsonNode.Parse(module.ToJson())!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(data.ToJson())!.AsObject())
            if (!shared.Contains(name)) merged[name] = value?.DeepClone();
        return merged.ToJsonString(new() { WriteIndented = true });
    }

    // Each hyperparameter is one "name: value" line (objects and lists in flow style), so lines merge by their key.
    public string ToYaml()
    {
        var yaml = new StringBuilder(module.ToYaml());
        foreach (var line in data.ToYaml().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (!shared.Contains(KeyOf(line))) yaml.Append(line).Append('\n');
        return yaml.ToString();
    }

    private static string KeyOf(string line) => line[..line.IndexOf(": ", StringComparison.Ordinal)].Trim('"');
}
