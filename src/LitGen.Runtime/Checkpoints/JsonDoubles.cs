using System.Globalization;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Doubles in checkpoint JSON: finite values as numbers (System.Text.Json writes the shortest round-tripping form),
/// NaN and infinities as strings, which JSON numbers cannot express.
/// </summary>
internal static class JsonDoubles
{
    /// <summary>The JSON node for <paramref name="value"/>.</summary>
    public static JsonNode From(double value)
        => double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>The JSON node for <paramref name="value"/>, or null.</summary>
    public static JsonNode? From(double? value) => value is double v ? From(v) : null;

    /// <summary>Reads a value written by <see cref="From(double)"/>.</summary>
    public static double Read(JsonNode node)
        => node is JsonValue value && value.TryGetValue<string>(out var text) ? double.Parse(text, CultureInfo.InvariantCulture) : (double)node;

    /// <summary>Reads a value written by <see cref="From(double?)"/>.</summary>
    public static double? ReadNullable(JsonNode? node) => node is null ? null : Read(node);
}
