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
    // A configuration is a few dozen settings: these limits turn hostile or broken files (an alias bomb, endless nesting)
    // into a one-line error in well under a second instead of exhausting memory or the stack.
    private const long MaxBytes = 10 * 1024 * 1024;
    private const int MaxDepth = 64;
    private const int MaxValues = 100_000;

    /// <summary>The file's root object; YAML is read with the core schema (true/false, numbers, null; anything else a string).</summary>
    public static JsonObject Read(FileInfo file)
    {
        try
        {
            if (file.Exists && file.Length > MaxBytes)
                throw new JsonException($"the file has {file.Length} bytes; a configuration file has at most {MaxBytes} bytes.");
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
        CheckNesting(text);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        int budget = MaxValues;
        return stream.Documents.Count == 0 ? new JsonObject() : Convert(stream.Documents[0].RootNode, ref budget);
    }

    // Reads the events alone (no tree is built) to refuse deep nesting before anything recurses into it.
    private static void CheckNesting(string text)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        int depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart when ++depth > MaxDepth:
                    throw new JsonException($"line {parser.Current.Start.Line}: nested more than {MaxDepth} levels deep.");
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    // Aliases are expanded here: the budget counts every value produced, so aliases that repeat each other stop early.
    private static JsonNode? Convert(YamlNode node, ref int budget)
    {
        if (--budget < 0)
            throw new JsonException($"it expands to more than {MaxValues} values (aliases that repeat one another?); a configuration is a few dozen settings.");
        switch (node)
        {
            case YamlMappingNode mapping:
                var result = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: var name })
                        throw new JsonException($"line {key.Start.Line}: a key must be a plain name, not a {(key is YamlMappingNode ? "mapping" : "sequence")}.");
                    result[name ?? ""] = Convert(value, ref budget);
                }
                return result;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children) array.Add(Convert(item, ref budget));
                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new JsonException($"unsupported YAML node at {node.Start}");
        }
    }

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
