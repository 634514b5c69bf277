using System;
using System.ComponentModel;
using System.Globalization;
using System.IO;
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
        switch (value)
        {
            case null: writer.WriteNull(name); break;
            case bool b: writer.WriteBoolean(name, b); break;
            case string s: writer.WriteString(name, s); break;
            case double d when !double.IsFinite(d): writer.WriteString(name, d.ToString(CultureInfo.InvariantCulture)); break;
            case float f when !float.IsFinite(f): writer.WriteString(name, f.ToString(CultureInfo.InvariantCulture)); break;
            case double d: writer.WriteNumber(name, d); break;
            case float f: writer.WriteNumber(name, f); break;
            case decimal m: writer.WriteNumber(name, m); break;
            case long l: writer.WriteNumber(name, l); break;
            case ulong ul: writer.WriteNumber(name, ul); break;
            case IConvertible c: writer.WriteNumber(name, c.ToInt64(CultureInfo.InvariantCulture)); break;
            default: throw new NotSupportedException($"Hyperparameter '{name}' has unsupported type {value.GetType()}.");
        }
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

/// <summary>Formats hyperparameter values for generated <c>HyperParameters.ToYaml</c>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HyperparameterYaml
{
    /// <summary>A YAML scalar: numbers in invariant round-trip form, strings double-quoted, <c>null</c>.</summary>
    public static string Format<T>(T value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => JsonSerializer.Serialize(s, HyperparameterYamlContext.Default.String),
        double d => double.IsNaN(d) ? ".nan" : double.IsPositiveInfinity(d) ? ".inf" : double.IsNegativeInfinity(d) ? "-.inf" : d.ToString("R", CultureInfo.InvariantCulture),
        float f => float.IsNaN(f) ? ".nan" : float.IsPositiveInfinity(f) ? ".inf" : float.IsNegativeInfinity(f) ? "-.inf" : f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"Unsupported hyperparameter type {value.GetType()}."),
    };

    /// <summary>An enum by name.</summary>
    public static string FormatEnum<TEnum>(TEnum? value) where TEnum : struct, Enum => value?.ToString() ?? "null";
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class HyperparameterYamlContext : System.Text.Json.Serialization.JsonSerializerContext
{
}
