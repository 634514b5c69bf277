using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Cli;

public enum Activation { Tanh, Relu }

/// <summary>A module whose data comes from its dataloader hooks, as LitCli needs.</summary>
[LightningModule]
public partial class CliModule : LightningModule<(Tensor X, Tensor Y)>
{
    /// <summary>Width of the hidden layer.</summary>
    [Hyperparameter] public int Hidden { get; }
    [Hyperparameter] public double LearningRate { get; }
    [Hyperparameter] public Activation Activation { get; }
    [Hyperparameter] public int[] Extra { get; }

    private readonly TorchSharp.Modules.Linear input;
    private readonly TorchSharp.Modules.Linear output;

    public CliModule(int hidden = 8, double learningRate = 0.05, Activation activation = Activation.Tanh, int[]? extra = null)
    {
        (Hidden, LearningRate, Activation, Extra) = (hidden, learningRate, activation, extra ?? []);
        input = nn.Linear(1, hidden);
        output = nn.Linear(hidden, 1);
    }

    private Tensor Forward(Tensor x) => output.forward(Activation == Activation.Tanh ? tanh(input.forward(x)) : nn.functional.relu(input.forward(x)));

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(Forward(batch.X), batch.Y);

    public override Tensor? TestStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("test_loss", nn.functional.mse_loss(Forward(batch.X), batch.Y));
        return null;
    }

    public override IEnumerable<(Tensor X, Tensor Y)>? TrainDataloader() => TestData.Line();
    public override IEnumerable<(Tensor X, Tensor Y)>? TestDataloader() => TestData.Line(batches: 2);
    public override OptimizerConfig ConfigureOptimizers() => TorchSharp.torch.optim.Adam(parameters(), LearningRate);
}

public class LitCliTests
{
    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = LitCli.Run<CliModule>(args, new LitCliOptions { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    private static readonly string[] Quiet = ["--enable-progress-bar", "false", "--enable-model-summary", "false"];

    [Fact]
    public void Help_lists_hyperparameters_and_trainer_settings_with_defaults_and_docs()
    {
        var (code, output, _) = Run("fit", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--hidden", output);
        Assert.Contains("Width of the hidden layer.", output);
        Assert.Contains("[default: 8]", output);
        Assert.Contains("[default: 0.05]", output);
        Assert.Contains("--learning-rate", output);
        Assert.Contains("[default: Tanh]", output);
        Assert.Contains("--max-epochs", output);
        Assert.Contains("--config", output);
    }

    [Fact]
    public void Fit_writes_the_resolved_config_which_round_trips()
    {
        using var dir = new TempDir();
        var (code, output, error) = Run(["fit", "--hidden", "4", "--activation", "Relu", "--extra", "1,2", "--max-epochs", "2", "--default-root-dir", dir.Path, .. Quiet]);
        Assert.True(code == 0, error);
        Assert.Contains("fit: 2 epochs, 8 steps", output);

        var configPath = Path.Combine(dir.Path, "lightning_logs", "version_0", "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        Assert.Equal(4, (int)config["model"]!["Hidden"]!);
        Assert.Equal("Relu", (string)config["model"]!["Activation"]!);
        Assert.Equal(2, (int)config["trainer"]!["max-epochs"]!);

        using var second = new TempDir();
        (code, output, error) = Run("fit", "--config", configPath, "--default-root-dir", second.Path);
        Assert.True(code == 0, error);
        var again = JsonNode.Parse(File.ReadAllText(Path.Combine(second.Path, "lightning_logs", "version_0", "config.json")))!;
        Assert.Equal(config["model"]!.ToJsonString(), again["model"]!.ToJsonString());
        again["trainer"]!["default-root-dir"] = dir.Path;
        Assert.Equal(config["trainer"]!.ToJsonString(), again["trainer"]!.ToJsonString());

        var checkpoint = Directory.GetFiles(Path.Combine(second.Path, "lightning_logs", "version_0", "checkpoints")).Single();
        var restored = CliModule.LoadFromCheckpoint(checkpoint);
        Assert.Equal((4, Activation.Relu), (restored.Hidden, restored.Activation));
        Assert.Equal([1, 2], restored.Extra);

        (code, output, error) = Run(["test", "--ckpt-path", checkpoint, "--hidden", "4", "--default-root-dir", second.Path, .. Quiet]);
        Assert.True(code == 0, error);
        Assert.Contains("test_loss=", output);
    }

    [Theory]
    [InlineData("--hidden", "abc", "--hidden")]
    [InlineData("--hidden", "1.5", "--hidden")]
    [InlineData("--activation", "Sigmoid", "--activation")]
    [InlineData("--max-epochs", "ten", "--max-epochs")]
    [InlineData("--limit-train-batches", "1.5", "--limit-train-batches")]
    [InlineData("--precision", "8-mixed", "8-mixed")]
    public void Bad_values_are_rejected_with_the_option_name(string option, string value, string expected)
    {
        using var dir = new TempDir();
        var (code, _, error) = Run(["fit", option, value, "--default-root-dir", dir.Path, .. Quiet]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [InlineData("2", "2 steps")]
    [InlineData("1", "1 steps")]
    [InlineData("0.5", "2 steps")]
    [InlineData("1.0", "4 steps")]
    public void Batch_limits_are_counts_when_integers_and_fractions_otherwise(string limit, string expected)
    {
        using var dir = new TempDir();
        var (code, output, error) = Run(["fit", "--max-epochs", "1", "--limit-train-batches", limit, "--default-root-dir", dir.Path, .. Quiet]);
        Assert.True(code == 0, error);
        Assert.Contains($"1 epochs, {expected}", output);
    }

    [Fact]
    public void Unknown_options_and_broken_config_files_are_rejected()
    {
        using var dir = new TempDir();
        Assert.NotEqual(0, Run("fit", "--no-such-option", "1").Code);
        var config = Path.Combine(dir.Path, "bad.json");
        File.WriteAllText(config, "{ not json");
        var (code, _, error) = Run("fit", "--config", config);
        Assert.NotEqual(0, code);
        Assert.Contains("--config", error);
        File.WriteAllText(config, """{ "trainer": { "max-epoch": 3 } }""");
        Assert.Contains("unknown key 'max-epoch' in section 'trainer'; did you mean max_epochs?", Run("fit", "--config", config).Error);
    }


    [Fact]
    public void Print_config_prints_YAML_that_config_reads_back_to_the_same_run()
    {
        using var dir = new TempDir();
        var (code, printed, error) = Run("fit", "--hidden", "4", "--activation", "Relu", "--extra", "1,2", "--max-epochs", "2", "--print-config");
        Assert.True(code == 0, error);
        Assert.Contains("model:\n  Hidden: 4\n", printed);
        Assert.Contains("  LearningRate: 0.05\n", printed);
        Assert.Contains("trainer:\n", printed);
        // Trainer settings are typed: numbers and booleans unquoted; a limit stays text, as 1.0 (a fraction) is not 1 (a count).
        Assert.Contains("  max-epochs: 2\n", printed);
        Assert.Contains("  enable-checkpointing: true\n", printed);
        Assert.Contains("  max-restarts: 0\n", printed);
        // A whole epoch is the fraction 1.0, which must not read back as a count of one batch.
        Assert.Contains("  limit-train-batches: \"1.0\"\n", printed);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "lightning_logs")));

        // The printed file, edited as a user would, is a --config file: its values and the command line's combine.
        var yaml = Path.Combine(dir.Path, "config.yaml");
        File.WriteAllText(yaml, printed.Replace("  Hidden: 4\n", "  Hidden: 6\n", StringComparison.Ordinal));
        var (again, reprinted, againError) = Run(["fit", "--config", yaml, "--learning-rate", "0.01", "--print-config"]);
        Assert.True(again == 0, againError);
        Assert.Contains("  Hidden: 6\n", reprinted);
        Assert.Contains("  LearningRate: 0.01\n", reprinted);
        Assert.Contains("  Activation: Relu\n", reprinted);
        Assert.Contains("  Extra: [1, 2]\n", reprinted);

        var (fit, _, fitError) = Run(["fit", "--config", yaml, "--default-root-dir", dir.Path, .. Quiet]);
        Assert.True(fit == 0, fitError);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, "lightning_logs", "version_0", "config.json")))!;
        Assert.Equal(6, (int)config["model"]!["Hidden"]!);
        Assert.Equal(2, (int)config["trainer"]!["max-epochs"]!);
    }

    [Fact]
    public void A_LightningCLI_config_with_snake_case_keys_works_as_is_and_CSharp_names_too()
    {
        using var dir = new TempDir();
        var yaml = Path.Combine(dir.Path, "lightning.yaml");
        File.WriteAllText(yaml, "model:\n  hidden: 5\n  learning_rate: 0.02\n  Activation: Relu\ntrainer:\n  max_epochs: 3\n  enable_progress_bar: false\n  enableModelSummary: false\n");
        var (code, printed, error) = Run("fit", "--config", yaml, "--print-config");
        Assert.True(code == 0, error);
        Assert.Contains("  Hidden: 5\n", printed);
        Assert.Contains("  LearningRate: 0.02\n", printed);
        Assert.Contains("  Activation: Relu\n", printed);
        Assert.Contains("  max-epochs: 3\n", printed);
        Assert.Contains("  enable-model-summary: false\n", printed);
    }

    [Theory]
    [InlineData("model:\n  hidden_dim: 4\n", "unknown key 'hidden_dim' in section 'model'; did you mean hidden (Hidden)?")]
    [InlineData("model:\n  learningRat: 0.1\n", "unknown key 'learningRat' in section 'model'; did you mean learning_rate (LearningRate)?")]
    [InlineData("model:\n  Bogus: 1\n", "unknown key 'Bogus' in section 'model'; the keys are hidden (Hidden), learning_rate (LearningRate), activation (Activation), extra (Extra).")]
    [InlineData("trainer:\n  max_epoch: 4\n", "unknown key 'max_epoch' in section 'trainer'; did you mean max_epochs?")]
    public void An_unknown_key_in_any_section_is_an_error_with_a_suggestion(string config, string message)
    {
        using var dir = new TempDir();
        var yaml = Path.Combine(dir.Path, "typo.yaml");
        File.WriteAllText(yaml, config);
        var (code, _, error) = Run("fit", "--config", yaml, "--default-root-dir", dir.Path);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "lightning_logs")));
    }

    [Fact]
    public void A_broken_YAML_config_is_reported_with_its_path()
    {
        using var dir = new TempDir();
        var yaml = Path.Combine(dir.Path, "bad.yaml");
        File.WriteAllText(yaml, "model:\n  Hidden: [1, 2\n");
        var (code, _, error) = Run("fit", "--config", yaml);
        Assert.Equal(2, code);
        Assert.Contains(yaml, error);
    }

    [Theory]
    [InlineData("alias-bomb", "expands to more than")]
    [InlineData("complex-key", "a key must be a plain name")]
    [InlineData("deep", "nested more than 64 levels")]
    [InlineData("huge", "at most")]
    public void A_hostile_or_broken_config_file_is_one_line_and_exit_2_at_once(string kind, string expected)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, kind + ".yaml");
        switch (kind)
        {
            case "alias-bomb":
                // Nine levels of nine aliases each: 9^9 (387 million) values once expanded.
                var bomb = new System.Text.StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
                for (int i = 1; i <= 9; i++) bomb.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
                File.WriteAllText(path, bomb + "model:\n  hidden: 4\n");
                break;
            case "complex-key":
                File.WriteAllText(path, "model:\n  ? [a, b]\n  : 1\n");
                break;
            case "deep":
                File.WriteAllText(path, "model: " + new string('[', 10_000) + new string(']', 10_000) + "\n");
                break;
            case "huge":
                File.WriteAllText(path, "# " + new string('x', 11 * 1024 * 1024) + "\n");
                break;
        }
        var (code, _, error) = Run(["fit", "--config", path, .. Quiet, "--max-epochs", "1", "--default-root-dir", dir.Path]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.StartsWith("error: --config", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("--max-epoch", "did you mean '--max-epochs'?")]
    [InlineData("--lerning-rate", "did you mean '--learning-rate'?")]
    [InlineData("--bogus-setting", "unknown option '--bogus-setting' (--help lists the options)")]
    public void A_typo_on_the_command_line_is_one_line_with_the_option_meant_and_exit_2(string typo, string expected)
    {
        var (code, output, error) = Run("fit", typo, "5");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, error);
    }
}
