using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LitGen;

/// <summary>
/// LitCli's configuration files: JSON, or YAML as LightningCLI writes them (<c>.yaml</c>/<c>.yml</c>), each with a
/// <c>model</c> and a <c>trainer</c> section; and the resolved configuration printed as YAML by <c>--print-config</c>.
/// </summary>
internal static class CliConfigFile
{
    /// <summary>The file's root object; YAML is read with the core schema (true/false, numbers, null; anything else a string).</summary>
    public static JsonObject Read(FileInfo file)
    {
        try
        {
            var text = File.ReadAllText(file.FullName);
            bool yaml = file.Extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || file.Extension.Equals(".yml", StringComparison.OrdinalIgnoreCase);
            var root = yaml ? FromYaml(text) : JsonNode.Parse(text);
            return root as JsonObject ?? throw new JsonException("the root is not a mapping of \"model\" and \"trainer\"");
        }
        catch (Exception e) when (e is IOException or JsonException or YamlException or UnauthorizedAccessException)
        {
            throw new CliException($"--config {file.FullName}: {e.Message}");
        }
    }

    /// <summary>The configuration as YAML, which <c>--config</c> reads back.</summary>
    public static string ToYaml(JsonObject config)
    {
        var text = new StringBuilder();
        Write(text, config, indent: 0);
        return text.ToString();
    }

    private static JsonNode? FromYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? new JsonObject() : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(p => new System.Collections.Generic.KeyValuePair<string, JsonNode?>(((YamlScalarNode)p.Key).Value ?? "", Convert(p.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new JsonException($"unsupported YAML node at {node.Start}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) return JsonValue.Create(value);
        if (value is "" or "null" or "Null" or "NULL" or "~") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !value.Contains(',', StringComparison.Ordinal))
            return JsonValue.Create(number);
        return JsonValue.Create(value);
    }

    private static void Write(StringBuilder text, JsonNode? node, int indent)
    {
        var pad = new string(' ', indent);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                text.Append(pad).Append(Quote(key)).Append(':');
                if (value is JsonObject { Count: > 0 })
                {
                    text.Append('\n');
                    Write(text, value, indent + 2);
                }
                else text.Append(' ').Append(Inline(value)).Append('\n');
            }
        }
    }

    private static string Inline(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject obj => "{" + string.Join(", ", obj.Select(p => Quote(p.Key) + ": " + Inline(p.Value))) + "}",
        JsonArray array => "[" + string.Join(", ", array.Select(Inline)) + "]",
        JsonValue value when value.TryGetValue<string>(out var s) => Quote(s),
        _ => node.ToJsonString(),
    };

    // Strings that would read back as something else (numbers, booleans, null, YAML 1.1's yes/no) or break the syntax are quoted.
    private static string Quote(string value)
        => value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/') && Scalar(new YamlScalarNode(value)) is JsonValue v
           && v.TryGetValue<string>(out _) && !IsYaml11Special(value)
            ? value
            : JsonValue.Create(value).ToJsonString();

    private static bool IsYaml11Special(string value) => value.ToLowerInvariant() is "y" or "n" or "yes" or "no" or "on" or "off";
}
