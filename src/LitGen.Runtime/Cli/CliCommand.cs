using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LitGen;

/// <summary>
/// Builds LitCli's command line (subcommands, or one root command for the caller's own code) and runs it: resolve the
/// configuration, build the module, the datamodule and the trainer, run, and write the resolved configuration.
/// </summary>
internal sealed class CliCommand
{
    private readonly CliSection model;
    private readonly CliSection? data;
    private readonly LitCliOptions? settings;
    private readonly CliOptionSet options;
    private readonly CliConfigResolver resolver;

    public CliCommand(CliSection model, CliSection? data, LitCliOptions? settings)
    {
        this.model = model;
        this.data = data;
        this.settings = settings;
        var trainerDefaults = settings?.TrainerDefaults ?? new TrainerOptions();
        options = new CliOptionSet(model, data, trainerDefaults, settings?.Links ?? []);
        resolver = new CliConfigResolver(options, trainerDefaults);
    }

    // Read when written: under ddp the console of processes other than rank 0 is silenced once the trainer exists.
    private TextWriter Output => settings?.Output ?? Console.Out;
    private TextWriter Error => settings?.Error ?? Console.Error;

    public int RunSubcommands(string[] args)
    {
        var checkpoint = new Option<string>("--ckpt-path") { Description = "A checkpoint to resume (fit) or to load (validate, test, predict): a path, best or last" };
        var root = new RootCommand($"Train and evaluate {model.TypeName} (LitGen).");
        foreach (var (name, description) in new[] { ("fit", "Train"), ("validate", "Run one validation epoch"), ("test", "Run one test epoch"), ("predict", "Predict") })
        {
            var command = new Command(name, description);
            options.AddTo(command);
            command.Options.Add(checkpoint);
            command.SetAction(parsed => Execute(parsed, (module, dataModule, trainer) =>
            {
                var result = ((LightningModule)module).AcceptBatchTypeVisitor(new CliSubcommand(name, trainer, dataModule, parsed.GetValue(checkpoint)));
                if (trainer.Strategy.IsGlobalZero) Output.WriteLine(result);
                return 0;
            }));
            root.Subcommands.Add(command);
        }
        return Invoke(root, args);
    }

    public int RunMain(string[] args, Func<object, object?, Trainer, int> main)
    {
        var root = new RootCommand($"Train and evaluate {model.TypeName} (LitGen).");
        options.AddTo(root);
        root.SetAction(parsed => Execute(parsed, main));
        return Invoke(root, args);
    }

    /// <summary>Runs the command line; a usage error is one line on standard error (with the option meant, for a typo) and exit code 2.</summary>
    private int Invoke(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0) return parsed.Invoke(new InvocationConfiguration { Output = Output, Error = Error });
        Error.WriteLine("error: " + UsageError(parsed));
        return 2;
    }

    private static string UsageError(ParseResult parsed)
    {
        var unknown = parsed.UnmatchedTokens.FirstOrDefault(t => t.StartsWith('-'));
        if (unknown is null) return parsed.Errors[0].Message;
        var names = parsed.CommandResult.Command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct(StringComparer.Ordinal);
        return EditDistance.Suggest(unknown, names, name => name) is { } meant
            ? $"unknown option '{unknown}'; did you mean '{meant}'? (--help lists the options)"
            : $"unknown option '{unknown}' (--help lists the options)";
    }

    /// <summary>Builds the objects (or prints their configuration) and runs <paramref name="body"/> with them.</summary>
    private int Execute(ParseResult parsed, Func<object, object?, Trainer, int> body)
    {
        try
        {
            var (sections, trainerSettings) = resolver.Resolve(parsed);
            var built = resolver.CreateAll(sections);
            var (module, dataModule) = (built[0], built.Count > 1 ? built[1] : null);
            // Every hyperparameter, defaults included: the objects built from the settings know them all.
            var resolved = resolver.Resolved(built, trainerSettings);
            if (parsed.GetValue(options.PrintConfig))
            {
                Output.Write(CliConfigFile.ToYaml(resolved));
                return 0;
            }
            var trainer = new Trainer(trainerSettings);
            // At setup, as LightningCLI's SaveConfigCallback: an interrupted or failed run keeps the configuration it ran with.
            if (trainer.Strategy.IsGlobalZero && !trainer.FastDevRunning) WriteResolvedConfig(trainer.LogDir, resolved);
            try
            {
                return body(module, dataModule, trainer);
            }
            catch (OperationCanceledException e) when (trainer.Interrupted)
            {
                // Ctrl+C or SIGTERM: the run stopped gracefully; say so and exit as a shell expects (128 + the signal).
                Error.WriteLine("interrupted: " + e.Message);
                return Interruption.ExitCode(trainer.InterruptedBy);
            }
        }
        catch (Exception e) when (e is CliException or MisconfigurationException or InvalidCheckpointException or FormatException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
        {
            // Bad settings (an unknown precision, a missing data folder) end with their message, not a stack trace.
            Error.WriteLine("error: " + e.Message);
            return 2;
        }
    }

    private static void WriteResolvedConfig(string logDir, JsonObject config)
    {
        Directory.CreateDirectory(logDir);
        AtomicFile.WriteAllText(Path.Combine(logDir, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
