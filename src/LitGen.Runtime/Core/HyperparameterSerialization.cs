using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LitGen;

/// <summary>Writes hyperparameters as JSON for generated <c>HyperParameters.ToJson</c>; reflection-free.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class HyperparameterJsonWriter
{
    private readonly MemoryStream buffer = new();
    private readonly Utf8JsonWriter writer;

    /// <summary>Starts an indented JSON object.</summary>
    public HyperparameterJsonWriter()
    {
        writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
    }

    /// <summary>Writes a number, bool, string or null. Non-finite floating-point values are written as strings.</summary>
    public void Write<T>(string name, T value)
    {
        writer.WritePropertyName(name);
        WriteValue(name, value);
    }

    /// <summary>Writes a list of numbers, bools or strings as a JSON array (null when null).</summary>
    public void WriteArray<T>(string name, IEnumerable<T>? values)
    {
        if (values is null)
        {
            writer.WriteNull(name);
            return;
        }
        writer.WriteStartArray(name);
        foreach (var value in values) WriteValue(name, value);
        writer.WriteEndArray();
    }

    /// <summary>Writes a list of enums by name (null when null).</summary>
    public void WriteEnumArray<TEnum>(string name, IEnumerable<TEnum>? values) where TEnum : struct, Enum
        => WriteArray(name, values?.Select(v => v.ToString()));

    private void WriteValue<T>(string name, T value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case string s: writer.WriteStringValue(s); break;
            case double d when !double.IsFinite(d): writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture)); break;
            case float f when !float.IsFinite(f): writer.WriteStringValue(f.ToString(CultureInfo.InvariantCulture)); break;
            case double d: writer.WriteNumberValue(d); break;
            case float f: writer.WriteNumberValue(f); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case long l: writer.WriteNumberValue(l); break;
            case ulong ul: writer.WriteNumberValue(ul); break;
            case IConvertible c: writer.WriteNumberValue(c.ToInt64(CultureInfo.InvariantCulture)); break;
            default: throw new NotSupportedException($"Hyperparameter '{name}' has an element of unsupported type {value.GetType()}.");
        }
    }

    /// <summary>Writes a nested hyperparameter object (null when null) with the generated member writer.</summary>
    public void WriteObject<T>(string name, T? value, Action<HyperparameterJsonWriter, T> writeMembers) where T : class
    {
        if (value is null)
        {
            writer.WriteNull(name);
            return;
        }
        writer.WriteStartObject(name);
        writeMembers(this, value);
        writer.WriteEndObject();
    }

    /// <summary>Writes an enum by name (null for a null nullable enum).</summary>
    public void WriteEnum<TEnum>(string name, TEnum? value) where TEnum : struct, Enum
    {
        if (value is TEnum v) writer.WriteString(name, v.ToString());
        else writer.WriteNull(name);
    }

    /// <summary>Closes the object and returns the JSON text.</summary>
    public override string ToString()
    {
        writer.WriteEndObject();
        writer.Flush();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>Reads hyperparameters for generated <c>HyperParameters.FromJson</c>; reflection-free.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class HyperparameterJsonReader
{
    private readonly JsonElement root;

    private HyperparameterJsonReader(JsonElement root) => this.root = root;

    /// <summary>Parses a JSON object.</summary>
    public static HyperparameterJsonReader Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new FormatException("Hyperparameters must be a JSON object.");
        return new HyperparameterJsonReader(document.RootElement.Clone());
    }

    /// <summary>Reads a value, or <paramref name="fallback"/> when the member is absent.</summary>
    public T Read<T>(string name, T fallback) => root.TryGetProperty(name, out var element) ? Convert<T>(name, element) : fallback;

    /// <summary>Reads a value that must be present.</summary>
    public T Read<T>(string name) => root.TryGetProperty(name, out var element)
        ? Convert<T>(name, element)
        : throw new FormatException($"Hyperparameter '{name}' is missing and has no default.");

    /// <summary>Reads an enum written by name, or <paramref name="fallback"/> when absent.</summary>
    public TEnum ReadEnum<TEnum>(string name, TEnum fallback) where TEnum : struct, Enum
        => root.TryGetProperty(name, out var element) ? ParseEnum<TEnum>(name, element) : fallback;

    /// <summary>Reads an enum that must be present.</summary>
    public TEnum ReadEnum<TEnum>(string name) where TEnum : struct, Enum
        => root.TryGetProperty(name, out var element) ? ParseEnum<TEnum>(name, element) : throw new FormatException($"Hyperparameter '{name}' is missing and has no default.");

    /// <summary>Reads a nullable enum, or <paramref name="fallback"/> when absent.</summary>
    public TEnum? ReadNullableEnum<TEnum>(string name, TEnum? fallback) where TEnum : struct, Enum
        => root.TryGetProperty(name, out var element) ? element.ValueKind == JsonValueKind.Null ? null : ParseEnum<TEnum>(name, element) : fallback;

    /// <summary>Reads a nullable enum that must be present.</summary>
    public TEnum? ReadNullableEnum<TEnum>(string name) where TEnum : struct, Enum
        => root.TryGetProperty(name, out var element)
            ? element.ValueKind == JsonValueKind.Null ? null : ParseEnum<TEnum>(name, element)
            : throw new FormatException($"Hyperparameter '{name}' is missing and has no default.");

    /// <summary>Reads a JSON array, or <paramref name="fallback"/> when the member is absent.</summary>
    public T[]? ReadArray<T>(string name, T[]? fallback) => root.TryGetProperty(name, out var element) ? ConvertArray(name, element, e => Convert<T>(name, e)) : fallback;

    /// <summary>Reads a JSON array that must be present.</summary>
    public T[] ReadArray<T>(string name) => ReadRequired(name, e => ConvertArray(name, e, item => Convert<T>(name, item)));

    /// <summary>Reads a JSON array as a list, or <paramref name="fallback"/> when the member is absent.</summary>
    public List<T>? ReadList<T>(string name, List<T>? fallback) => ReadArray<T>(name, null) is { } array ? [.. array] : root.TryGetProperty(name, out _) ? null : fallback;

    /// <summary>Reads a JSON array as a list that must be present.</summary>
    public List<T> ReadList<T>(string name) => [.. ReadArray<T>(name)];

    /// <summary>Reads an array of enum names, or <paramref name="fallback"/> when the member is absent.</summary>
    public TEnum[]? ReadEnumArray<TEnum>(string name, TEnum[]? fallback) where TEnum : struct, Enum
        => root.TryGetProperty(name, out var element) ? ConvertArray(name, element, e => ParseEnum<TEnum>(name, e)) : fallback;

    /// <summary>Reads an array of enum names that must be present.</summary>
    public TEnum[] ReadEnumArray<TEnum>(string name) where TEnum : struct, Enum
        => ReadRequired(name, e => ConvertArray(name, e, item => ParseEnum<TEnum>(name, item)));

    /// <summary>Reads a list of enum names, or <paramref name="fallback"/> when the member is absent.</summary>
    public List<TEnum>? ReadEnumList<TEnum>(string name, List<TEnum>? fallback) where TEnum : struct, Enum
        => ReadEnumArray<TEnum>(name, null) is { } array ? [.. array] : root.TryGetProperty(name, out _) ? null : fallback;

    /// <summary>Reads a list of enum names that must be present.</summary>
    public List<TEnum> ReadEnumList<TEnum>(string name) where TEnum : struct, Enum => [.. ReadEnumArray<TEnum>(name)];

    /// <summary>Reads a nested object with the generated member reader, or <paramref name="fallback"/> when absent.</summary>
    public T? ReadObject<T>(string name, T? fallback, Func<HyperparameterJsonReader, T> read) where T : class
        => root.TryGetProperty(name, out var element) ? ConvertObject(name, element, read) : fallback;

    /// <summary>Reads a nested object that must be present.</summary>
    public T ReadObject<T>(string name, Func<HyperparameterJsonReader, T> read) where T : class
        => ReadRequired(name, e => ConvertObject(name, e, read));

    /// <summary>Reads a nullable nested object that must be present (possibly as null).</summary>
    public T? ReadNullableObject<T>(string name, Func<HyperparameterJsonReader, T> read) where T : class
        => root.TryGetProperty(name, out var element)
            ? ConvertObject(name, element, read)
            : throw new FormatException($"Hyperparameter '{name}' is missing and has no default.");

    private static T? ConvertObject<T>(string name, JsonElement element, Func<HyperparameterJsonReader, T> read) where T : class
        => element.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Object => read(new HyperparameterJsonReader(element)),
            _ => throw new FormatException($"Hyperparameter '{name}' is not a JSON object: {element.GetRawText()}."),
        };

    private T ReadRequired<T>(string name, Func<JsonElement, T?> read) where T : class
        => root.TryGetProperty(name, out var element)
            ? read(element) ?? throw new FormatException($"Hyperparameter '{name}' is null but its type is not nullable.")
            : throw new FormatException($"Hyperparameter '{name}' is missing and has no default.");

    private static T[]? ConvertArray<T>(string name, JsonElement element, Func<JsonElement, T> convert)
    {
        if (element.ValueKind == JsonValueKind.Null) return null;
        if (element.ValueKind != JsonValueKind.Array) throw new FormatException($"Hyperparameter '{name}' is not a JSON array: {element.GetRawText()}.");
        return element.EnumerateArray().Select(convert).ToArray();
    }

    private static TEnum ParseEnum<TEnum>(string name, JsonElement element) where TEnum : struct, Enum
        => element.ValueKind == JsonValueKind.String && Enum.TryParse<TEnum>(element.GetString(), out var value)
            ? value
            : throw new FormatException($"Hyperparameter '{name}' is not a {typeof(TEnum).Name} name: {element.GetRawText()}.");

    private static T Convert<T>(string name, JsonElement element)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (element.ValueKind == JsonValueKind.Null)
            return default(T) is null ? default! : throw new FormatException($"Hyperparameter '{name}' is null but its type {typeof(T).Name} is not nullable.");
        try
        {
            object value = Type.GetTypeCode(type) switch
            {
                TypeCode.String => element.GetString()!,
                TypeCode.Boolean => element.GetBoolean(),
                TypeCode.Double => element.ValueKind == JsonValueKind.String ? double.Parse(element.GetString()!, CultureInfo.InvariantCulture) : element.GetDouble(),
                TypeCode.Single => element.ValueKind == JsonValueKind.String ? float.Parse(element.GetString()!, CultureInfo.InvariantCulture) : element.GetSingle(),
                TypeCode.Decimal => element.GetDecimal(),
                TypeCode.Int64 => element.GetInt64(),
                TypeCode.UInt64 => element.GetUInt64(),
                TypeCode.Int32 => element.GetInt32(),
                TypeCode.UInt32 => element.GetUInt32(),
                TypeCode.Int16 => element.GetInt16(),
                TypeCode.UInt16 => element.GetUInt16(),
                TypeCode.Byte => element.GetByte(),
                TypeCode.SByte => element.GetSByte(),
                _ => throw new NotSupportedException($"Hyperparameter '{name}' has unsupported type {typeof(T)}."),
            };
            return (T)value;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException)
        {
            throw new FormatException($"Hyperparameter '{name}' is not a valid {type.Name}: {element.GetRawText()}.", e);
        }
    }
}

/// <summary>
/// Formats hyperparameter values for generated <c>HyperParameters.ToYaml</c>, so that YAML 1.1 readers (PyYAML, which
/// Lightning and most Python tools use) read back the same types: floats always with a dot and a signed exponent
/// (<c>1.0e-05</c>, not <c>1E-05</c>, which PyYAML reads as a string), strings and enum names quoted (an enum value
/// <c>Yes</c> or <c>Off</c> would be read as a boolean).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HyperparameterYaml
{
    /// <summary>A YAML scalar: numbers in invariant round-trip form, strings double-quoted, <c>null</c>.</summary>
    public static string Format<T>(T value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => Quote(s),
        double d => FloatText(d, d.ToString("R", CultureInfo.InvariantCulture)),
        float f => FloatText(f, f.ToString("R", CultureInfo.InvariantCulture)),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"Unsupported hyperparameter type {value.GetType()}."),
    };

    // YAML 1.1's float: [-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)? — a dot is required, so is the exponent's sign.
    private static string FloatText(double value, string roundTrip)
    {
        if (double.IsNaN(value)) return ".nan";
        if (double.IsInfinity(value)) return value > 0 ? ".inf" : "-.inf";
        int e = roundTrip.IndexOfAny(['E', 'e']);
        var mantissa = e < 0 ? roundTrip : roundTrip[..e];
        if (!mantissa.Contains('.', StringComparison.Ordinal)) mantissa += ".0";
        if (e < 0) return mantissa;
        var exponent = roundTrip[(e + 1)..];
        return mantissa + "e" + (exponent[0] is '+' or '-' ? exponent : "+" + exponent);
    }

    // Names YAML 1.1 reads as booleans or null.
    private static readonly HashSet<string> Specials = new(StringComparer.Ordinal)
    {
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
    };

    private static string Key(string name) => Specials.Contains(name) ? Quote(name) : name;

    // A YAML double-quoted scalar: backslash escapes for quotes, backslashes and control characters.
    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    /// <summary>An enum by name, quoted.</summary>
    public static string FormatEnum<TEnum>(TEnum? value) where TEnum : struct, Enum => value is { } v ? Quote(v.ToString()) : "null";

    /// <summary>A YAML flow mapping of already formatted members, <c>{A: 1, B: "x"}</c>.</summary>
    public static string FormatObject(params (string Name, string Value)[] members)
        => "{" + string.Join(", ", members.Select(m => Key(m.Name) + ": " + m.Value)) + "}";

    /// <summary>A YAML flow sequence, <c>[1, 2, 3]</c>.</summary>
    public static string FormatArray<T>(IEnumerable<T>? values) => values is null ? "null" : "[" + string.Join(", ", values.Select(Format)) + "]";

    /// <summary>A YAML flow sequence of enum names.</summary>
    public static string FormatEnumArray<TEnum>(IEnumerable<TEnum>? values) where TEnum : struct, Enum
        => values is null ? "null" : "[" + string.Join(", ", values.Select(v => Quote(v.ToString()))) + "]";
}

