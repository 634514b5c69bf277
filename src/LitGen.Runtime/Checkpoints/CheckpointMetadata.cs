using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>The string metadata of a checkpoint file: format markers, counters and JSON documents.</summary>
internal static class CheckpointMetadata
{
    public const string FormatName = "litgen-checkpoint";
    // 2: the loops save their progress under their own keys (format 1: one flat object).
    public const int FormatVersion = 2;

    public static readonly string CurrentLitGenVersion =
        typeof(CheckpointMetadata).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private const string Format = "format";
    private const string Version = "format_version";
    private const string LitGen = "litgen_version";
    private const string ModuleType = "module_type";
    private const string Epoch = "epoch";
    private const string GlobalStep = "global_step";
    private const string Precision = "precision";
    private const string HyperParameters = "hyper_parameters";
    private const string Callbacks = "callbacks";
    private const string Extra = "extra";
    private const string Loops = "loops";
    private const string LrSchedulers = "lr_schedulers";
    private const string WeightsOnly = "weights_only";
    // Lightning stores the precision plugin's state under the plugin's class name.
    private const string MixedPrecision = "MixedPrecision";

    public sealed record Header(int FormatVersion, string LitGenVersion, string ModuleType, int Epoch, long GlobalStep, string Precision,
        string HyperparametersJson, JsonObject CallbackStates, JsonObject Extra, JsonObject Loops, JsonArray LrSchedulers, bool WeightsOnly, JsonObject? GradScalerState);

    public static Dictionary<string, string> Write(Checkpoint checkpoint)
    {
        var metadata = Entries(checkpoint);
        if (checkpoint.GradScalerState is { } scaler) metadata[MixedPrecision] = scaler.ToJsonString();
        return metadata;
    }

    private static Dictionary<string, string> Entries(Checkpoint checkpoint) => new()
    {
        [Format] = FormatName,
        [Version] = FormatVersion.ToString(CultureInfo.InvariantCulture),
        [LitGen] = checkpoint.LitGenVersion,
        [ModuleType] = checkpoint.ModuleType,
        [Epoch] = checkpoint.Epoch.ToString(CultureInfo.InvariantCulture),
        [GlobalStep] = checkpoint.GlobalStep.ToString(CultureInfo.InvariantCulture),
        [Precision] = checkpoint.Precision,
        [HyperParameters] = checkpoint.HyperparametersJson,
        [Callbacks] = checkpoint.CallbackStates.ToJsonString(),
        [Extra] = checkpoint.Extra.ToJsonString(),
        [Loops] = checkpoint.Loops.ToJsonString(),
        [LrSchedulers] = checkpoint.LrSchedulers.ToJsonString(),
        [WeightsOnly] = checkpoint.WeightsOnly ? "true" : "false",
    };

    /// <summary>Whether a checkpoint's <c>litgen_version</c> is newer than this LitGen (compared as major.minor.patch).</summary>
    /// <summary>The callbacks' states stored in a LitGen checkpoint, read from its header alone; null for any other file.</summary>
    public static JsonObject? TryReadCallbackStates(string path)
    {
        if (SafetensorsFile.TryReadMetadata(path) is not { } metadata || !metadata.ContainsKey(LitGen) || !metadata.TryGetValue(Callbacks, out var states)) return null;
        try
        {
            return JsonNode.Parse(states) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public static bool IsNewer(string litGenVersion)
        => System.Version.TryParse(litGenVersion.Split('-', '+')[0], out var theirs)
           && System.Version.TryParse(CurrentLitGenVersion.Split('-', '+')[0], out var ours)
           && theirs > ours;

    public static void EnsureLitGenFormat(string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.GetValueOrDefault(Format) != FormatName)
            throw new InvalidCheckpointException(path, "it is a safetensors file without LitGen checkpoint metadata (a foreign file).");
        if (!int.TryParse(metadata.GetValueOrDefault(Version), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new InvalidCheckpointException(path, "its format version is missing.");
        if (version > FormatVersion)
            throw new InvalidCheckpointException(path, $"it uses checkpoint format {version}, newer than this LitGen ({CurrentLitGenVersion}) reads ({FormatVersion}); upgrade LitGen.");
    }

    public static Header Read(string path, IReadOnlyDictionary<string, string> metadata)
    {
        string Required(string key) => metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidCheckpointException(path, $"its metadata lacks '{key}'.");
        JsonObject Object(string key) => JsonNode.Parse(Required(key)) as JsonObject
            ?? throw new InvalidCheckpointException(path, $"its metadata entry '{key}' is not a JSON object.");

        return new Header(
            int.Parse(Required(Version), CultureInfo.InvariantCulture),
            Required(LitGen),
            Required(ModuleType),
            int.Parse(Required(Epoch), CultureInfo.InvariantCulture),
            long.Parse(Required(GlobalStep), CultureInfo.InvariantCulture),
            Required(Precision),
            Required(HyperParameters),
            Object(Callbacks),
            Object(Extra),
            Object(Loops),
            JsonNode.Parse(Required(LrSchedulers)) as JsonArray ?? throw new InvalidCheckpointException(path, $"its metadata entry '{LrSchedulers}' is not a JSON array."),
            metadata.GetValueOrDefault(WeightsOnly) == "true",
            metadata.ContainsKey(MixedPrecision) ? Object(MixedPrecision) : null);
    }
}
