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
