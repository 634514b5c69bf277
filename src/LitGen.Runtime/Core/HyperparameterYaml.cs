using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LitGen;

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
