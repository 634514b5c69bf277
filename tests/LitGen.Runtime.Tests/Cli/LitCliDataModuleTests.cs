using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Cli;

/// <summary>A datamodule whose hyperparameters LitCli turns into options and a "data" section.</summary>
[LightningDataModule]
public partial class LineData : LightningDataModule<(Tensor X, Tensor Y)>
{
    /// <summary>Training batches per epoch.</summary>
    [Hyperparameter] public int Batches { get; }

    /// <summary>Named like CliModule's hyperparameter, so its option is --data-hidden.</summary>
    [Hyperparameter] public int Hidden { get; }

    /// <summary>A folder that must exist, or empty for none.</summary>
    [Hyperparameter] public string Folder { get; }

    public LineData(int batches = 3, int hidden = 8, string folder = "")
    {
        (Batches, Hidden, Folder) = (batches, hidden, folder);
    }

    public override void Setup(Stage stage)
    {
        if (Folder.Length > 0 && !Directory.Exists(Folder))
            throw new DirectoryNotFoundException($"No data in {Folder}: pass --folder with the folder that holds it.");
    }

    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader() => TestData.Line(batches: Batches);
    public override IEnumerable<(Tensor X, Tensor Y)>? TestDataloader() => TestData.Line(batches: 1);
}

/// <summary>A datamodule of another batch type, which CliModule cannot take.</summary>
[LightningDataModule]
public partial class TensorOnlyData : LightningDataModule<Tensor>
{
    public override IEnumerable<Tensor>? TrainDataloader() => [zeros(2, 1)];
}

public class LitCliDataModuleTests
{
    private static readonly string[] Quiet = ["--enable-progress-bar", "false", "--enable-model-summary", "false"];

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = LitCli.Run<CliModule, LineData>(args, new LitCliOptions { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static (int Code, string Output, string Error) RunLinked(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = LitCli.Run<CliModule, LineData>(args, new LitCliOptions { Output = output, Error = error }.Link("data.hidden", "model.hidden"));
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void A_linked_target_takes_its_sources_value_from_the_command_line_the_config_or_the_default_and_has_no_option()
    {
        using var dir = new TempDir();
        var (helpCode, help, _) = RunLinked("fit", "--help");
        Assert.Equal(0, helpCode);
        // The datamodule's option takes the plain name the model's no longer has.
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^\s+--hidden\b", System.Text.RegularExpressions.RegexOptions.Multiline), help);
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex(@"^\s+--data-hidden\b", System.Text.RegularExpressions.RegexOptions.Multiline), help);

        var (code, printed, error) = RunLinked("fit", "--hidden", "6", "--print-config");
        Assert.True(code == 0, error);
        Assert.Contains("model:\n  Hidden: 6\n", printed);
        Assert.Contains("data:\n  Batches: 3\n  Hidden: 6\n", printed);

        var yaml = Path.Combine(dir.Path, "data.yaml");
        File.WriteAllText(yaml, "data:\n  hidden: 5\n");
        var (fromConfig, configPrinted, configError) = RunLinked("fit", "--config", yaml, "--print-config");
        Assert.True(fromConfig == 0, configError);
        Assert.Contains("model:\n  Hidden: 5\n", configPrinted);

        File.WriteAllText(yaml, "model:\n  hidden: 5\n");
        var (refused, _, refusal) = RunLinked("fit", "--config", yaml);
        Assert.Equal(2, refused);
        Assert.Contains("model.Hidden is linked to data.Hidden (LitCliOptions.Link); set data.Hidden instead.", refusal);
    }

    [Fact]
    public void A_link_naming_no_hyperparameter_is_refused_with_the_nearest_one()
    {
        var error = Assert.Throws<MisconfigurationException>(() => LitCli.Run<CliModule, LineData>(["fit"], new LitCliOptions().Link("data.hiden", "model.hidden")));
        Assert.Contains("'data.hiden' names no hyperparameter of LineData; did you mean data.hidden (Hidden)?", error.Message);
        Assert.Throws<MisconfigurationException>(() => LitCli.Run<CliModule, LineData>(["fit"], new LitCliOptions().Link("model.hidden", "model.learning_rate")));
    }

    [Fact]
    public void Datamodule_hyperparameters_are_options_and_a_clash_gets_the_data_prefix()
    {
        var (code, help, _) = Run("fit", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--batches", help);
        Assert.Contains("Training batches per epoch.", help);
        Assert.Contains("--hidden", help);
        Assert.Contains("--data-hidden", help);
        Assert.Contains("--folder", help);
    }

    [Fact]
    public void Fit_trains_on_the_datamodule_and_logs_both_hyperparameter_sets()
    {
        using var dir = new TempDir();
        // CliModule's own TrainDataloader has 4 batches; the datamodule's, 5.
        var (code, output, error) = Run(["fit", "--batches", "5", "--max-epochs", "1", "--default-root-dir", dir.Path, .. Quiet]);
        Assert.True(code == 0, error);
        Assert.Contains("fit: 1 epochs, 5 steps", output);

        var version = Path.Combine(dir.Path, "lightning_logs", "version_0");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(version, "config.json")))!;
        Assert.Equal(5, (int)config["data"]!["Batches"]!);
        Assert.Equal(8, (int)config["model"]!["Hidden"]!);
        var hparams = File.ReadAllText(Path.Combine(version, "hparams.yaml"));
        Assert.Contains("Batches: 5\n", hparams);
        Assert.Contains("LearningRate: 0.05\n", hparams);
        // Hidden is in both with the same value: written once.
        Assert.Single(hparams.Split('\n'), line => line.StartsWith("Hidden:", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_hyperparameter_with_different_values_in_module_and_datamodule_is_an_error()
    {
        using var dir = new TempDir();
        var (code, _, error) = Run(["fit", "--data-hidden", "5", "--max-epochs", "1", "--default-root-dir", dir.Path, .. Quiet]);
        Assert.Equal(2, code);
        Assert.Contains("CliModule and LineData both have the hyperparameter Hidden", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Config_files_have_a_data_section_and_print_config_writes_it()
    {
        using var dir = new TempDir();
        var (code, printed, error) = Run("fit", "--batches", "2", "--print-config");
        Assert.True(code == 0, error);
        Assert.Contains("data:\n  Batches: 2\n  Hidden: 8\n", printed);

        var yaml = Path.Combine(dir.Path, "config.yaml");
        File.WriteAllText(yaml, printed.Replace("  Batches: 2\n", "  Batches: 6\n", StringComparison.Ordinal));
        (code, var output, error) = Run(["fit", "--config", yaml, "--max-epochs", "1", "--default-root-dir", dir.Path, .. Quiet]);
        Assert.True(code == 0, error);
        Assert.Contains("1 epochs, 6 steps", output);

        File.WriteAllText(yaml, "datamodule:\n  Batches: 2\n");
        (code, _, error) = Run("fit", "--config", yaml);
        Assert.Equal(2, code);
        Assert.Contains("unknown section 'datamodule'; the sections are model, data, trainer", error);
    }

    [Fact]
    public void Main_gets_the_objects_the_command_line_describes_and_its_result_is_the_exit_code()
    {
        using var dir = new TempDir();
        var output = new StringWriter();
        var error = new StringWriter();
        double testLoss = double.NaN;
        int code = LitCli.Run<CliModule, LineData>(["--batches", "2", "--hidden", "4", "--data-hidden", "4", "--max-epochs", "2", "--default-root-dir", dir.Path, .. Quiet],
            (model, data, trainer) =>
            {
                Assert.Equal((4, 2, 4), (model.Hidden, data.Batches, data.Hidden));
                var fit = trainer.Fit(model, data);
                testLoss = trainer.Test(model, data, ckptPath: "best")[0]["test_loss"];
                return fit.BestModelPath is null ? 1 : 7;
            },
            new LitCliOptions { Output = output, Error = error, TrainerDefaults = new TrainerOptions { Seed = 3, LogEveryNSteps = 1 } });
        Assert.True(code == 7, error.ToString());
        Assert.True(double.IsFinite(testLoss));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "lightning_logs", "version_0", "config.json")))!;
        // Trainer defaults given in code are part of the resolved configuration.
        Assert.Equal(3, (long)config["trainer"]!["seed"]!);
        Assert.Equal(1, (int)config["trainer"]!["log-every-n-steps"]!);
    }

    [Fact]
    public void Missing_data_in_main_is_reported_without_a_stack_trace()
    {
        using var dir = new TempDir();
        var error = new StringWriter();
        var missing = Path.Combine(dir.Path, "nowhere");
        int code = LitCli.Run<CliModule, LineData>(["--folder", missing, "--default-root-dir", dir.Path, .. Quiet],
            (model, data, trainer) => { trainer.Fit(model, data); return 0; }, new LitCliOptions { Output = new StringWriter(), Error = error });
        Assert.Equal(2, code);
        Assert.Equal($"error: No data in {missing}: pass --folder with the folder that holds it.", error.ToString().Trim());
    }

    [Fact]
    public void A_datamodule_of_another_batch_type_is_refused_with_both_names()
    {
        using var dir = new TempDir();
        var error = new StringWriter();
        int code = LitCli.Run<CliModule, TensorOnlyData>(["fit", "--default-root-dir", dir.Path, .. Quiet], new LitCliOptions { Output = new StringWriter(), Error = error });
        Assert.Equal(2, code);
        Assert.Contains("TensorOnlyData does not yield the batches CliModule takes", error.ToString());
    }
}
