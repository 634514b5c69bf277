using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LitGen;

/// <summary>
/// The table Lightning prints after <c>trainer.validate</c>/<c>trainer.test</c> (its plain-text one): a row per metric,
/// a column per dataloader, centred columns of at least 25 characters, wrapped into several tables when the loaders do
/// not fit the terminal. Values are written as Python writes floats, so the table reads the same in both.
/// </summary>
internal static class ResultsTable
{
    private const string DataloaderSuffix = "/dataloader_idx_";

    /// <summary>The table's text without a final line break, or null when nothing was logged.</summary>
    public static string? Format(IReadOnlyList<IReadOnlyDictionary<string, double>> results, Stage stage, int terminalWidth)
    {
        var perLoader = results.Select(r => r.ToDictionary(p => WithoutSuffix(p.Key), p => p.Value, StringComparer.Ordinal)).ToList();
        var metrics = perLoader.SelectMany(r => r.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (metrics.Count == 0) return null;

        var headers = Enumerable.Range(0, perLoader.Count).Select(i => "DataLoader " + i.ToString(CultureInfo.InvariantCulture)).ToList();
        int width = (int)Math.Min(Math.Max(Math.Max(metrics.Max(m => m.Length), headers.Max(h => h.Length)), 25), terminalWidth / 2.0);
        int columns = (terminalWidth - width) / width;
        int half = terminalWidth / 2;
        var bar = new string('─', terminalWidth);
        var stageName = stage == Stage.Validate ? "Validate" : "Test";

        var lines = new List<string>();
        for (int first = 0; first < headers.Count; first += columns)
        {
            var loaders = Enumerable.Range(first, Math.Min(columns, headers.Count - first)).ToList();
            lines.Add(bar);
            lines.Add(Row(width, [stageName + " metric", .. loaders.Select(i => headers[i])]));
            lines.Add(bar);
            foreach (var metric in metrics)
            {
                var values = loaders.Select(i => perLoader[i].TryGetValue(metric, out var value) ? PythonFloat(value) : " ").ToList();
                // Lightning cuts a name longer than half the terminal into slices, repeating the values beside each.
                var name = metric;
                if (name.Length > half)
                {
                    while (name.Length > half)
                    {
                        lines.Add(Row(width, [name[..half], .. values]));
                        name = name[half..];
                    }
                    lines.Add(Row(width, [name, " "]));
                }
                else lines.Add(Row(width, [name, .. values]));
            }
            lines.Add(bar);
        }
        return string.Join(Environment.NewLine, lines);
    }

    private static string WithoutSuffix(string name)
    {
        int at = name.IndexOf(DataloaderSuffix, StringComparison.Ordinal);
        return at < 0 ? name : name[..at];
    }

    /// <summary>Python's <c>"{:^w}" * n</c>, right-trimmed: each cell centred, the odd space on the right.</summary>
    private static string Row(int width, IEnumerable<string> cells)
    {
        var text = new StringBuilder();
        foreach (var cell in cells)
        {
            int padding = Math.Max(0, width - cell.Length);
            text.Append(' ', padding / 2).Append(cell).Append(' ', padding - padding / 2);
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>Python's <c>repr(float)</c>: the shortest round-trip digits, positional from 1e-4 to below 1e16, else <c>1e+16</c>.</summary>
    internal static string PythonFloat(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        var sign = value < 0 || (value == 0 && double.IsNegative(value)) ? "-" : "";
        if (value == 0) return sign + "0.0";

        // Split the shortest round-trip text into its significant digits and the decimal point's place among them.
        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int e = text.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e < 0 ? text : text[..e];
        int exponent = e < 0 ? 0 : int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var allDigits = mantissa.Replace(".", "", StringComparison.Ordinal);
        int point = (dot < 0 ? mantissa.Length : dot) + exponent;
        var digits = allDigits.TrimStart('0');
        point -= allDigits.Length - digits.Length;
        digits = digits.TrimEnd('0');

        int decimalExponent = point - 1;
        if (decimalExponent is >= -4 and < 16)
        {
            if (point <= 0) return sign + "0." + new string('0', -point) + digits;
            if (point >= digits.Length) return sign + digits + new string('0', point - digits.Length) + ".0";
            return sign + digits[..point] + "." + digits[point..];
        }
        var scientific = digits.Length > 1 ? digits[..1] + "." + digits[1..] : digits;
        return sign + scientific + "e" + (decimalExponent < 0 ? "-" : "+") + Math.Abs(decimalExponent).ToString("00", CultureInfo.InvariantCulture);
    }
}
