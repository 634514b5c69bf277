using System.Globalization;
using LitGen;
using LitGenNamespace;

// Trains LitModule (LitModule.cs) on LitDataModule (LitDataModule.cs), then tests the best checkpoint. Every
// hyperparameter of both and every trainer setting is an option: dotnet run -- --help, e.g.
// dotnet run -- --hidden-dim 64 --max-epochs 20; --print-config writes a YAML file that --config reads back.
// The model's input width and class count follow the data's (--features, --classes): LitCliOptions.Link.
// LightningCLI's subcommands work too: dotnet run -- fit …, then dotnet run -- test --ckpt-path <checkpoint>.
var options = new LitCliOptions
{
    // Callbacks and loggers have no option: they are set here.
    TrainerDefaults = new TrainerOptions
    {
        MaxEpochs = 10,
        Callbacks =
        [
            new ModelCheckpoint { Monitor = "val_acc", Mode = MonitorMode.Max },
            new EarlyStopping { Monitor = "val_loss", Patience = 3 },
        ],
    },
}.Link("data.features", "model.features").Link("data.classes", "model.classes");

if (args.FirstOrDefault() is "fit" or "validate" or "test" or "predict") return LitCli.Run<LitModule, LitDataModule>(args, options);
return LitCli.Run<LitModule, LitDataModule>(args, (model, data, trainer) =>
{
    trainer.Fit(model, data);
    var results = trainer.Test(model, data, ckptPath: "best");
    if (trainer.Strategy.IsGlobalZero)
    {
        Console.WriteLine($"test_acc={results[0]["test_acc"].ToString("0.0000", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"logs: {trainer.LogDir}");
    }
    return 0;
}, options);
