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
/// Lightning's <c>LightningCLI</c> for a <c>[LightningModule]</c> and, optionally, a <c>[LightningDataModule]</c>: an
/// option per hyperparameter (<c>--hidden-dim</c>, <c>--batch-size</c>) and per trainer setting (<c>--max-epochs</c>),
/// <c>--config file.yaml</c> (or <c>.json</c>) with <c>model</c>, <c>data</c> and <c>trainer</c> sections,
/// <c>--print-config</c>, and the resolved configuration written next to the logs. Either <c>fit</c>, <c>validate</c>,
/// <c>test</c> and <c>predict</c> subcommands, or the caller's own code run with the objects built from the command line
/// (LightningCLI's <c>run=False</c>). Without a datamodule, data comes from the module's dataloader hooks.
/// </summary>
public static class LitCli
{
    /// <summary>Parses <paramref name="args"/> and runs the subcommand; returns the process exit code.</summary>
    public static int Run<TModule>(string[] args, LitCliOptions? options = null)
        where TModule : LightningModule, ILitCliModule<TModule>
        => new Command(ModelSection<TModule>(), null, options).RunSubcommands(args);

    /// <summary>Parses <paramref name="args"/> and runs the subcommand on the datamodule's data; returns the process exit code.</summary>
    public static int Run<TModule, TDataModule>(string[] args, LitCliOptions? options = null)
        where TModule : LightningModule, ILitCliModule<TModule>
        where TDataModule : class, ILitCliDataModule<TDataModule>
        => new Command(ModelSection<TModule>(), DataSection<TDataModule>(), options).RunSubcommands(args);

    /// <summary>
    /// Parses <paramref name="args"/> (no subcommand), builds the module and the trainer, and hands them to
    /// <paramref name="main"/>, whose result is the exit code.
    /// </summary>
    public static int Run<TModule>(string[] args, Func<TModule, Trainer, int> main, LitCliOptions? options = null)
        where TModule : LightningModule, ILitCliModule<TModule>
        => new Command(ModelSection<TModule>(), null, options).RunMain(args, (module, _, trainer) => main((TModule)module, trainer));

    /// <summary>
    /// Parses <paramref name="args"/> (no subcommand), builds the module, the datamodule and the trainer, and hands them to
    /// <paramref name="main"/>, whose result is the exit code: e.g. <c>Fit</c>, then <c>Test</c> of the best checkpoint.
    /// </summary>
    public static int Run<TModule, TDataModule>(string[] args, Func<TModule, TDataModule, Trainer, int> main, LitCliOptions? options = null)
        where TModule : LightningModule, ILitCliModule<TModule>
        where TDataModule : class, ILitCliDataModule<TDataModule>
        => new Command(ModelSection<TModule>(), DataSection<TDataModule>(), options).RunMain(args, (module, data, trainer) => main((TModule)module, (TDataModule)data!, trainer));

    private static Section ModelSection<TModule>() where TModule : LightningModule, ILitCliModule<TModule>
        => new("model", typeof(TModule).Name, TModule.HyperparameterInfos, json => TModule.CreateFromHyperparametersJson(json),
            module => ((LightningModule)module).GeneratedHyperparameters);

    private static Section DataSection<TDataModule>() where TDataModule : class, ILitCliDataModule<TDataModule>
        => new("data", typeof(TDataModule).Name, TDataModule.HyperparameterInfos, json => TDataModule.CreateFromHyperparametersJson(json),
            data => (data as IDataModuleHyperparameters)?.Current);

    /// <summary>A configuration section built into one object: the module (<c>model</c>) or the datamodule (<c>data</c>).</summary>
    private sealed record Section(string Name, string TypeName, IReadOnlyList<HyperparameterInfo> Hyperparameters, Func<string, object> Create,
        Func<object, IHyperparameters?> Current);

    private sealed record HyperparameterOption(Section Section, HyperparameterInfo Info, Option<string> Option);

    /// <summary>The options of one command line, and how to turn them into a module, a datamodule and a trainer.</summary>
    private sealed class Command
    {
        private readonly Section model;
        private readonly Section? data;
        private readonly TrainerOptions trainerDefaults;
        private readonly LitCliOptions? options;
        private readonly List<HyperparameterOption> hyperparameterOptions = [];
        private readonly List<(TrainerCliOptions.Entry Entry, Option<string> Option)> trainerOptions;
        private readonly Option<FileInfo> config = new("--config") { Description = "A YAML or JSON file with \"model\", \"data\" and \"trainer\" sections; options on the command line win" };
        private readonly Option<bool> printConfig = new("--print-config") { Description = "Print the resolved configuration as YAML (a --config file) and exit" };

        public Command(Section model, Section? data, LitCliOptions? options)
        {
            this.model = model;
            this.data = data;
            trainerDefaults = options?.TrainerDefaults ?? new TrainerOptions();
            this.options = options;
            trainerOptions = TrainerCliOptions.All.Select(e => (Entry: e, Option: new Option<string>("--" + e.Name)
            {
                Description = $"{e.Description} [default: {Format(e.Read(trainerDefaults)) ?? "none"}]",
            })).ToList();
            var taken = new HashSet<string>(TrainerCliOptions.All.Select(e => e.Name).Concat(["config", "print-config", "ckpt-path", "help"]), StringComparer.Ordinal);
            foreach (var section in data is null ? [model] : new[] { model, data })
            {
                foreach (var info in section.Hyperparameters)
                {
                    // A datamodule hyperparameter named like an option already taken (the module's batch size) is --data-batch-size.
                    var name = Kebab(info.Name);
                    if (!taken.Add(name)) taken.Add(name = section.Name + "-" + name);
                    hyperparameterOptions.Add(new(section, info, new Option<string>("--" + name)
                    {
                        Description = $"{info.Description ?? info.Name} ({info.Type}) " + (info.Default is null ? "[required]" : $"[default: {info.Default}]"),
                    }));
                }
            }
        }

        // Read when written: under ddp the console of processes other than rank 0 is silenced once the trainer exists.
        private TextWriter Output => options?.Output ?? Console.Out;
        private TextWriter Error => options?.Error ?? Console.Error;

        public int RunSubcommands(string[] args)
        {
            var checkpoint = new Option<string>("--ckpt-path") { Description = "A checkpoint to resume (fit) or to load (validate, test, predict): a path, best or last" };
            var root = new RootCommand($"Train and evaluate {model.TypeName} (LitGen).");
            foreach (var (name, description) in new[] { ("fit", "Train"), ("validate", "Run one validation epoch"), ("test", "Run one test epoch"), ("predict", "Predict") })
            {
                var command = new System.CommandLine.Command(name, description);
                AddOptions(command);
                command.Options.Add(checkpoint);
                command.SetAction(parsed => Execute(parsed, (module, dataModule, trainer) =>
                {
                    var result = ((LightningModule)module).AcceptBatchTypeVisitor(new Subcommand(name, trainer, dataModule, parsed.GetValue(checkpoint)));
                    if (trainer.Strategy.IsGlobalZero) Output.WriteLine(result);
                    return 0;
                }));
                root.Subcommands.Add(command);
            }
            return root.Parse(args).Invoke(new InvocationConfiguration { Output = Output, Error = Error });
        }

        public int RunMain(string[] args, Func<object, object?, Trainer, int> main)
        {
            var root = new RootCommand($"Train and evaluate {model.TypeName} (LitGen).");
            AddOptions(root);
            root.SetAction(parsed => Execute(parsed, main));
            return root.Parse(args).Invoke(new InvocationConfiguration { Output = Output, Error = Error });
        }

        private void AddOptions(System.CommandLine.Command command)
        {
            foreach (var option in hyperparameterOptions) command.Options.Add(option.Option);
            foreach (var (_, option) in trainerOptions) command.Options.Add(option);
            command.Options.Add(config);
            command.Options.Add(printConfig);
        }

        /// <summary>Builds the objects (or prints their configuration) and runs <paramref name="body"/> with them.</summary>
        private int Execute(ParseResult parsed, Func<object, object?, Trainer, int> body)
        {
            try
            {
                var (sections, trainerSettings) = Resolve(parsed);
                var module = Create(model, sections[model.Name]);
                var dataModule = data is null ? null : Create(data, sections[data.Name]);
                // Every hyperparameter, defaults included: the objects built from the settings know them all.
                var resolved = ResolvedConfig(module, dataModule, trainerSettings);
                if (parsed.GetValue(printConfig))
                {
                    Output.Write(CliConfigFile.ToYaml(resolved));
                    return 0;
                }
                var trainer = new Trainer(trainerSettings);
                int code = body(module, dataModule, trainer);
                if (trainer.Strategy.IsGlobalZero) WriteResolvedConfig(trainer.LogDir, resolved);
                return code;
            }
            catch (Exception e) when (e is CliException or MisconfigurationException or InvalidCheckpointException or FormatException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
            {
                // Bad settings (an unknown precision, a missing data folder) end with their message, not a stack trace.
                Error.WriteLine("error: " + e.Message);
                return 2;
            }
        }

        /// <summary>Defaults, then the config file, then the command line.</summary>
        private (Dictionary<string, JsonObject> Sections, TrainerOptions Trainer) Resolve(ParseResult parsed)
        {
            var sections = new Dictionary<string, JsonObject> { [model.Name] = new JsonObject() };
            if (data is not null) sections[data.Name] = new JsonObject();
            var options = trainerDefaults;
            if (parsed.GetValue(config) is { } configFile)
            {
                foreach (var (key, value) in CliConfigFile.Read(configFile))
                {
                    if (key == "trainer" && value is JsonObject trainerSection)
                    {
                        foreach (var (name, setting) in trainerSection)
                        {
                            var entry = TrainerCliOptions.Find(name) ?? throw new CliException($"--config: unknown trainer setting '{name}'.");
                            options = Apply(entry, options, setting is JsonValue v && v.TryGetValue<string>(out var text) ? text : setting?.ToJsonString() ?? "");
                        }
                    }
                    else if (sections.TryGetValue(key, out var section) && value is JsonObject values)
                    {
                        foreach (var (name, setting) in values) section[name] = setting?.DeepClone();
                    }
                    else
                    {
                        throw new CliException($"--config: unknown section '{key}'; the sections are {string.Join(", ", sections.Keys.Append("trainer"))}.");
                    }
                }
            }
            foreach (var option in hyperparameterOptions)
                if (parsed.GetValue(option.Option) is { } value) sections[option.Section.Name][option.Info.Name] = ToJson(option, value);
            foreach (var (entry, option) in trainerOptions)
                if (parsed.GetValue(option) is { } value) options = Apply(entry, options, value);
            return (sections, options);
        }

        /// <summary>
        /// Builds a section's object. A value the JSON cannot supply, or one the constructor refuses (an
        /// <see cref="ArgumentException"/> naming its parameter), is reported with its option.
        /// </summary>
        private object Create(Section section, JsonObject values)
        {
            try
            {
                return section.Create(values.ToJsonString());
            }
            catch (FormatException e)
            {
                var culprit = hyperparameterOptions.FirstOrDefault(o => o.Section == section && e.Message.Contains($"'{o.Info.Name}'", StringComparison.Ordinal));
                throw new CliException(culprit is null ? e.Message : $"{culprit.Option.Name}: {e.Message}");
            }
            catch (ArgumentException e)
            {
                var culprit = hyperparameterOptions.FirstOrDefault(o => o.Section == section && string.Equals(o.Info.Name, e.ParamName, StringComparison.OrdinalIgnoreCase));
                throw new CliException(culprit is null ? e.Message : $"{culprit.Option.Name}: {e.Message}");
            }
        }

        private JsonObject ResolvedConfig(object module, object? dataModule, TrainerOptions trainer)
        {
            var trainerSection = new JsonObject();
            foreach (var entry in TrainerCliOptions.All)
                if (Format(entry.Read(trainer)) is { } text) trainerSection[entry.Name] = text;
            var resolved = new JsonObject { [model.Name] = Values(model, module) };
            if (data is not null) resolved[data.Name] = Values(data, dataModule!);
            resolved["trainer"] = trainerSection;
            return resolved;
        }

        private static JsonObject Values(Section section, object built)
            => section.Current(built) is { } hyperparameters ? JsonNode.Parse(hyperparameters.ToJson())!.AsObject() : new JsonObject();
    }

    private static void WriteResolvedConfig(string logDir, JsonObject config)
    {
        Directory.CreateDirectory(logDir);
        AtomicFile.WriteAllText(Path.Combine(logDir, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
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

    private static JsonNode? ToJson(HyperparameterOption hyperparameter, string value)
    {
        var (option, info) = (hyperparameter.Option.Name, hyperparameter.Info);
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

    /// <summary>Runs a subcommand with the module's batch type known; the data comes from the datamodule when there is one.</summary>
    private sealed class Subcommand(string name, Trainer trainer, object? dataModule, string? ckptPath) : IBatchTypeVisitor<string>
    {
        public string Visit<TBatch>(LightningModule<TBatch> module)
        {
            var data = dataModule switch
            {
                null => null,
                LightningDataModule<TBatch> typed => typed,
                _ => throw new CliException($"{dataModule.GetType().Name} does not yield the batches {module.GetType().Name} takes ({typeof(TBatch).Name}); " +
                    $"derive it from LightningDataModule<{typeof(TBatch).Name}>."),
            };
            switch (name)
            {
                case "fit":
                    if (data is null) trainer.Fit(module, ckptPath: ckptPath);
                    else trainer.Fit(module, data, ckptPath);
                    return $"fit: {trainer.CurrentEpoch} epochs, {trainer.GlobalStep} steps; logs in {trainer.LogDir}";
                case "validate":
                    return Metrics(data is null ? trainer.Validate(module, (IEnumerable<TBatch>?)null, ckptPath) : trainer.Validate(module, data, ckptPath));
                case "test":
                    return Metrics(data is null ? trainer.Test(module, (IEnumerable<TBatch>?)null, ckptPath) : trainer.Test(module, data, ckptPath));
                default:
                    var predictions = data is null ? trainer.Predict(module, (IEnumerable<TBatch>?)null, ckptPath) : trainer.Predict(module, data, ckptPath);
                    foreach (var prediction in predictions) prediction.Dispose();
                    return $"predict: {predictions.Count} batches";
            }
        }

        private static string Metrics(IReadOnlyList<IReadOnlyDictionary<string, double>> results)
            => string.Join(", ", results[0].OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.ToString("R", CultureInfo.InvariantCulture)}"));
    }
}

/// <summary>A command line or configuration file LitCli cannot use; reported as <c>error: …</c> with exit code 2.</summary>
internal sealed class CliException(string message) : Exception(message);
