using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Lightning's <c>LightningCLI</c> for a <c>[LightningModule]</c>: <c>fit</c>, <c>validate</c>, <c>test</c> and
/// <c>predict</c> subcommands with an option per hyperparameter (<c>--hidden-dim</c>) and per trainer setting
/// (<c>--max-epochs</c>), <c>--config file.yaml</c> (or <c>.json</c>), <c>--print-config</c>, and the resolved
/// configuration written next to the logs.
/// Data comes from the module's dataloader hooks.
/// </summary>
public static class LitCli
{
    /// <summary>Parses <paramref name="args"/> and runs the subcommand; returns the process exit code.</summary>
    public static int Run<TModule>(string[] args, TextWriter? output = null, TextWriter? error = null)
        where TModule : LightningModule, ILitCliModule<TModule>
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var hyperparameters = TModule.HyperparameterInfos;
        var hyperparameterOptions = hyperparameters.Select(h => (Info: h, Option: new Option<string>("--" + Kebab(h.Name))
        {
            Description = $"{h.Description ?? h.Name} ({h.Type}) " + (h.Default is null ? "[required]" : $"[default: {h.Default}]"),
        })).ToList();
        var trainerOptions = TrainerCliOptions.All.Select(e => (Entry: e, Option: new Option<string>("--" + e.Name)
        {
            Description = $"{e.Description} [default: {Format(e.Read(new TrainerOptions())) ?? "none"}]",
        })).ToList();
        var config = new Option<FileInfo>("--config") { Description = "A YAML or JSON file with \"model\" (hyperparameters) and \"trainer\" sections; options on the command line win" };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the resolved configuration as YAML (a --config file) and exit" };
        var checkpoint = new Option<string>("--ckpt-path") { Description = "A checkpoint to resume (fit) or to load (validate, test, predict): a path, best or last" };

        var root = new RootCommand($"Train and evaluate {typeof(TModule).Name} (LitGen).");
        foreach (var (name, description) in new[] { ("fit", "Train"), ("validate", "Run one validation epoch"), ("test", "Run one test epoch"), ("predict", "Predict") })
        {
            var command = new Command(name, description);
            foreach (var (_, option) in hyperparameterOptions) command.Options.Add(option);
            foreach (var (_, option) in trainerOptions) command.Options.Add(option);
            command.Options.Add(config);
            command.Options.Add(printConfig);
            command.Options.Add(checkpoint);
            command.SetAction(parsed =>
            {
                try
                {
                    var (model, trainer) = Resolve(parsed.GetValue(config), hyperparameterOptions.Select(o => (o.Info, parsed.GetValue(o.Option))),
                        trainerOptions.Select(o => (o.Entry, parsed.GetValue(o.Option))));
                    var module = Create<TModule>(model, hyperparameters);
                    if (parsed.GetValue(printConfig))
                    {
                        // Every hyperparameter, defaults included: the module built from the settings knows them all.
                        var resolved = ResolvedConfig(JsonNode.Parse(module.CurrentHyperparameters.ToJson())!.AsObject(), trainer);
                        output.Write(CliConfigFile.ToYaml(resolved));
                        return 0;
                    }
                    var run = new Trainer(trainer);
                    var result = module.AcceptBatchTypeVisitor(new Subcommand(name, run, parsed.GetValue(checkpoint)));
                    WriteResolvedConfig(run.LogDir, model, trainer);
                    output.WriteLine(result);
                    return 0;
                }
                catch (Exception e) when (e is CliException or MisconfigurationException)
                {
                    // Bad settings (an unknown precision, a refused accelerator) end with their message, not a stack trace.
                    error.WriteLine("error: " + e.Message);
                    return 2;
                }
            });
            root.Subcommands.Add(command);
        }
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>Defaults, then the config file, then the command line.</summary>
    private static (JsonObject Model, TrainerOptions Trainer) Resolve(FileInfo? configFile,
        IEnumerable<(HyperparameterInfo Info, string? Value)> hyperparameters, IEnumerable<(TrainerCliOptions.Entry Entry, string? Value)> trainer)
    {
        var model = new JsonObject();
        var options = new TrainerOptions();
        if (configFile is not null)
        {
            var config = CliConfigFile.Read(configFile);
            if (config["model"] is JsonObject modelSection)
                foreach (var (key, value) in modelSection) model[key] = value?.DeepClone();
            if (config["trainer"] is JsonObject trainerSection)
            {
                foreach (var (key, value) in trainerSection)
                {
                    var entry = TrainerCliOptions.Find(key) ?? throw new CliException($"--config: unknown trainer setting '{key}'.");
                    options = Apply(entry, options, value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "");
                }
            }
        }
        foreach (var (info, value) in hyperparameters)
            if (value is not null) model[info.Name] = ToJson(info, value);
        foreach (var (entry, value) in trainer)
            if (value is not null) options = Apply(entry, options, value);
        return (model, options);
    }

    /// <summary>Builds the module; a hyperparameter the JSON cannot supply is reported with its option.</summary>
    private static TModule Create<TModule>(JsonObject model, IReadOnlyList<HyperparameterInfo> hyperparameters)
        where TModule : LightningModule, ILitCliModule<TModule>
    {
        try
        {
            return TModule.CreateFromHyperparametersJson(model.ToJsonString());
        }
        catch (FormatException e)
        {
            var culprit = hyperparameters.FirstOrDefault(h => e.Message.Contains($"'{h.Name}'", StringComparison.Ordinal));
            throw new CliException(culprit is null ? e.Message : $"--{Kebab(culprit.Name)}: {e.Message}");
        }
    }

    private static TrainerOptions Apply(TrainerCliOptions.Entry entry, TrainerOptions options, string value)
    {
        try
        {
            return entry.Apply(options, value);
        }
        catch (FormatException e)
        {
            throw new CliException($"--{entry.Name}: {e.Message}");
        }
    }

    private static JsonNode? ToJson(HyperparameterInfo info, string value)
    {
        var option = "--" + Kebab(info.Name);
        switch (info.Kind)
        {
            case HyperparameterKind.Number:
                return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                    ? JsonNode.Parse(value)
                    : throw new CliException($"{option}: '{value}' is not a number ({info.Type}).");
            case HyperparameterKind.Boolean:
                return bool.TryParse(value, out var flag) ? JsonValue.Create(flag) : throw new CliException($"{option}: '{value}' is not true or false.");
            case HyperparameterKind.List when !value.TrimStart().StartsWith('['):
                return new JsonArray(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(item => double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? JsonNode.Parse(item) : JsonValue.Create(item))
                    .ToArray());
            case HyperparameterKind.List or HyperparameterKind.Object:
                try
                {
                    return JsonNode.Parse(value);
                }
                catch (JsonException e)
                {
                    throw new CliException($"{option}: not valid JSON: {e.Message}");
                }
            default:
                return JsonValue.Create(value);
        }
    }

    private static JsonObject ResolvedConfig(JsonObject model, TrainerOptions trainer)
    {
        var trainerSection = new JsonObject();
        foreach (var entry in TrainerCliOptions.All)
            if (Format(entry.Read(trainer)) is { } text) trainerSection[entry.Name] = text;
        return new JsonObject { ["model"] = model.DeepClone(), ["trainer"] = trainerSection };
    }

    private static void WriteResolvedConfig(string logDir, JsonObject model, TrainerOptions trainer)
    {
        var config = ResolvedConfig(model, trainer);
        Directory.CreateDirectory(logDir);
        File.WriteAllText(Path.Combine(logDir, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary><c>HiddenDim</c> → <c>hidden-dim</c>.</summary>
    internal static string Kebab(string name)
    {
        var text = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && (char.IsLower(name[i - 1]) || i + 1 < name.Length && char.IsLower(name[i + 1]))) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString().Replace('_', '-');
    }

    /// <summary>Runs a subcommand with the module's batch type known.</summary>
    private sealed class Subcommand(string name, Trainer trainer, string? ckptPath) : IBatchTypeVisitor<string>
    {
        public string Visit<TBatch>(LightningModule<TBatch> module)
        {
            try
            {
                switch (name)
                {
                    case "fit":
                        trainer.Fit(module, ckptPath: ckptPath);
                        return $"fit: {trainer.CurrentEpoch} epochs, {trainer.GlobalStep} steps; logs in {trainer.LogDir}";
                    case "validate":
                        return Metrics(trainer.Validate(module, (IEnumerable<TBatch>?)null, ckptPath));
                    case "test":
                        return Metrics(trainer.Test(module, (IEnumerable<TBatch>?)null, ckptPath));
                    default:
                        var predictions = trainer.Predict(module, (IEnumerable<TBatch>?)null, ckptPath);
                        foreach (var prediction in predictions) prediction.Dispose();
                        return $"predict: {predictions.Count} batches";
                }
            }
            catch (Exception e) when (e is MisconfigurationException or InvalidCheckpointException or FileNotFoundException or FormatException)
            {
                throw new CliException(e.Message);
            }
        }

        private static string Metrics(IReadOnlyList<IReadOnlyDictionary<string, double>> results)
            => string.Join(", ", results[0].OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.ToString("R", CultureInfo.InvariantCulture)}"));
    }
}

/// <summary>A command line or configuration file LitCli cannot use; reported as <c>error: …</c> with exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);
