using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;

namespace LitGen;

// File names: the template (Lightning's _format_checkpoint_name) and the version counter for existing files.
public partial class ModelCheckpoint
{
    /// <summary>
    /// Fills a file name template: <c>{epoch}</c>, <c>{step}</c> and any logged metric, with Python-style format specs
    /// (<c>{val_loss:.2f}</c>, <c>{epoch:02d}</c>). A key not logged (yet) formats as 0, as in Lightning.
    /// </summary>
    public static string FormatName(string template, int epoch, long step, IReadOnlyDictionary<string, double> metrics, bool autoInsertMetricName = true)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(metrics);
        return Placeholder().Replace(template, match =>
        {
            var key = match.Groups["name"].Value;
            var spec = match.Groups["spec"].Success ? match.Groups["spec"].Value : null;
            string value = key switch
            {
                _ when metrics.TryGetValue(key, out var metric) => FormatNumber(metric, spec, integral: key is "epoch" or "step"),
                "epoch" => FormatNumber(epoch, spec, integral: true),
                "step" => FormatNumber(step, spec, integral: true),
                _ => FormatNumber(0, spec, integral: true),
            };
            return autoInsertMetricName ? $"{key}={value}" : value;
        });
    }

    /// <summary>The path for <paramref name="name"/> in the folder; with the version counter, <c>-v1</c>, <c>-v2</c>… while a file (other than <paramref name="reusable"/>) exists.</summary>
    private string VersionedPath(Trainer trainer, string name, string? reusable)
    {
        var path = Path.Combine(ResolvedDirPath!, name + ".ckpt");
        if (!EnableVersionCounter) return path;
        // Rank 0 writes the files, so what exists is what rank 0 sees.
        for (int version = 1; trainer.Strategy.Broadcast(File.Exists(path)) && path != reusable; version++)
            path = Path.Combine(ResolvedDirPath!, $"{name}-v{version.ToString(CultureInfo.InvariantCulture)}.ckpt");
        return path;
    }

    private string FormatTemplate(Trainer trainer, IReadOnlyDictionary<string, double> candidates, string? template = null)
        => FormatName(template ?? Filename ?? "{epoch}-{step}", trainer.CurrentEpoch, trainer.GlobalStep, candidates, AutoInsertMetricName);

    private static string FormatNumber(double value, string? spec, bool integral)
    {
        if (spec is null) return integral ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        var parsed = FormatSpec().Match(spec);
        if (!parsed.Success) throw new MisconfigurationException($"Unsupported format spec ':{spec}' in a ModelCheckpoint filename; use forms like :.2f, :03d or :.3e.");
        int width = parsed.Groups["width"].Success ? int.Parse(parsed.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        int? precision = parsed.Groups["precision"].Success ? int.Parse(parsed.Groups["precision"].Value, CultureInfo.InvariantCulture) : null;
        var text = parsed.Groups["type"].Value switch
        {
            "d" => ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture),
            "e" => value.ToString((precision ?? 6) == 0 ? "0e+00" : "0." + new string('0', precision ?? 6) + "e+00", CultureInfo.InvariantCulture),
            "g" => value.ToString("G" + (precision ?? 6).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            _ => value.ToString("F" + (precision ?? 6).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        };
        bool zeroPad = parsed.Groups["zero"].Success;
        if (text.Length >= width) return text;
        if (!zeroPad) return text.PadLeft(width);
        bool negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        return (negative ? "-" : "") + digits.PadLeft(width - (negative ? 1 : 0), '0');
    }

    [GeneratedRegex(@"\{(?<name>[^{}:]+)(?::(?<spec>[^{}]+))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<zero>0)?(?<width>[1-9][0-9]*)?(?:\.(?<precision>[0-9]+))?(?<type>[dfeg])?$")]
    private static partial Regex FormatSpec();
}
