using System;

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
        => new CliCommand(ModelSection<TModule>(), null, options).RunSubcommands(args);

    /// <summary>Parses <paramref name="args"/> and runs the subcommand on the datamodule's data; returns the process exit code.</summary>
    public static int Run<TModule, TDataModule>(string[] args, LitCliOptions? options = null)
        where TModule : LightningModule, ILitCliModule<TModule>
        where TDataModule : class, ILitCliDataModule<TDataModule>
        => new CliCommand(ModelSection<TModule>(), DataSection<TDataModule>(), options).RunSubcommands(args);

    /// <summary>
    /// Parses <paramref name="args"/> (no subcommand), builds the module and the trainer, and hands them to
    /// <paramref name="main"/>, whose result is the exit code.
    /// </summary>
    public static int Run<TModule>(string[] args, Func<TModule, Trainer, int> main, LitCliOptions? options = null)
        where TModule : LightningModule, ILitCliModule<TModule>
        => new CliCommand(ModelSection<TModule>(), null, options).RunMain(args, (module, _, trainer) => main((TModule)module, trainer));

    /// <summary>
    /// Parses <paramref name="args"/> (no subcommand), builds the module, the datamodule and the trainer, and hands them to
    /// <paramref name="main"/>, whose result is the exit code: e.g. <c>Fit</c>, then <c>Test</c> of the best checkpoint.
    /// </summary>
    public static int Run<TModule, TDataModule>(string[] args, Func<TModule, TDataModule, Trainer, int> main, LitCliOptions? options = null)
        where TModule : LightningModule, ILitCliModule<TModule>
        where TDataModule : class, ILitCliDataModule<TDataModule>
        => new CliCommand(ModelSection<TModule>(), DataSection<TDataModule>(), options).RunMain(args, (module, data, trainer) => main((TModule)module, (TDataModule)data!, trainer));

    private static CliSection ModelSection<TModule>() where TModule : LightningModule, ILitCliModule<TModule>
        => new("model", typeof(TModule).Name, TModule.HyperparameterInfos, json => TModule.CreateFromHyperparametersJson(json),
            module => ((LightningModule)module).GeneratedHyperparameters);

    private static CliSection DataSection<TDataModule>() where TDataModule : class, ILitCliDataModule<TDataModule>
        => new("data", typeof(TDataModule).Name, TDataModule.HyperparameterInfos, json => TDataModule.CreateFromHyperparametersJson(json),
            data => (data as IDataModuleHyperparameters)?.Current);
}
