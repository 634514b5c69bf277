using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace LitGen;

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
