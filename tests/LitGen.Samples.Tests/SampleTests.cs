using GanManualOptimization;
using MnistClassifier;
using LitGen.Tests.Shared;
using RegressionPlateau;

// The samples seed libtorch's process-wide generator: they must not run at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LitGen.Samples.Tests;

/// <summary>Every sample runs end to end, on its bundled or synthetic data, with fewer epochs than its default.</summary>
public sealed class SampleTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("litgen-samples-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Mnist_main_job_trains_tests_checkpoints_and_reloads()
    {
        // The job as the README runs it, through LitCli, with samples decoded on two DataLoader worker threads.
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MnistSample.Run(["--max-epochs", "1", "--default-root-dir", root, "--num-workers", "2"], output, error);
        Assert.True(code == 0, error.ToString());

        var printed = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        string Value(string key) => Assert.Single(printed, l => l.StartsWith(key, StringComparison.Ordinal))[key.Length..];
        var accuracy = double.Parse(Value("test_acc="), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy > 0.9, $"test accuracy {accuracy}");
        Assert.Contains("7000 train, 1000 validation, 2000 test images", Value("data: "));
        var logDir = Value("logs: ");
        Assert.True(File.Exists(Path.Combine(logDir, "metrics.csv")));
        var hparams = File.ReadAllText(Path.Combine(logDir, "hparams.yaml"));
        Assert.Contains("HiddenDim: 128\n", hparams);
        Assert.Contains("NumWorkers: 2\n", hparams);
        Assert.Equal(2, (int)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(logDir, "config.json")))!["data"]!["NumWorkers"]!);
        Assert.Contains("val_acc", File.ReadAllText(Value("report: ")));
        var dashboard = File.ReadAllText(Value("runs: "));
        Assert.Contains($"\"name\":\"{Path.GetFileName(logDir)}\"", dashboard);
        Assert.Contains("test/misclassified", dashboard);
        Assert.NotEmpty(Directory.GetFiles(logDir, "events.out.tfevents.*"));
        Assert.Matches(@"epoch=0-val_acc=0\.\d{4}\.ckpt$", Value("best checkpoint: "));
        Assert.Contains("LearningRate = 0.0001", Value("reloaded: "));

        // The best model exported beside its checkpoint, served by ONNX Runtime alone: the same test accuracy.
        var onnx = Value("onnx: ");
        Assert.Equal(Path.GetDirectoryName(Value("best checkpoint: ")), Path.GetDirectoryName(onnx));
        var served = new StringWriter();
        Assert.Equal(0, OnnxServe.ServeSample.Run([onnx], served, error));
        var servedAccuracy = double.Parse(
            Assert.Single(served.ToString().Split('\n'), l => l.StartsWith("test_acc=", StringComparison.Ordinal))[9..15], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(servedAccuracy - accuracy) <= 0.001, $"ONNX Runtime's test accuracy {servedAccuracy}, TorchSharp's {accuracy}");
    }

    [MpiFact]
    public void Mnist_main_job_trains_data_parallel_with_devices_2()
    {
        var (code, output, errors) = RunMnistProcess("--max-epochs", "1", "--devices", "2", "--default-root-dir", root);
        Assert.True(code == 0, output + errors);

        // Rank 0 alone prints the results and writes the files. Each process reads batches of 64, so one epoch takes half
        // the steps of the single-process run (a global batch of 128): it learns, if less far.
        var accuracy = Assert.Single(output.Split('\n'), l => l.StartsWith("test_acc=", StringComparison.Ordinal));
        Assert.True(double.Parse(accuracy["test_acc=".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0.8, accuracy);
        Assert.Single(Directory.GetFiles(root, "metrics.csv", SearchOption.AllDirectories));
        Assert.Single(Directory.GetFiles(root, "*.ckpt", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("--max-epochs", "zero", "--max-epochs")]
    [InlineData("--num-workers", "-1", "--num-workers")]
    [InlineData("--batch-size", "0", "--batch-size")]
    [InlineData("--hidden-dim", "wide", "--hidden-dim")]
    public void Mnist_options_are_validated_with_the_option_named(string option, string value, string named)
    {
        var error = new StringWriter();
        Assert.Equal(2, MnistSample.Run([option, value, "--default-root-dir", root], new StringWriter(), error));
        Assert.StartsWith($"error: {named}", error.ToString());
        Assert.False(Directory.Exists(Path.Combine(root, "lightning_logs")));
    }

    [Fact]
    public void Mnist_without_its_data_says_what_is_missing_and_exits_non_zero()
    {
        var (code, _, errors) = RunMnistProcess("--data-dir", Path.Combine(root, "nowhere"), "--default-root-dir", root);
        Assert.Equal(2, code);
        Assert.StartsWith("error: MNIST file 'train-images-idx3-ubyte(.gz)' not found", errors);
        Assert.Contains("--data-dir", errors);
        Assert.DoesNotContain("Unhandled exception", errors);
    }

    /// <summary>The built sample as a process, as a user runs it; killed if it outlives its timeout.</summary>
    private static (int Code, string Output, string Errors) RunMnistProcess(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MnistClassifier.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var run = System.Diagnostics.Process.Start(start)!;
        var output = run.StandardOutput.ReadToEndAsync();
        var errors = run.StandardError.ReadToEndAsync();
        if (!run.WaitForExit(TimeSpan.FromMinutes(3))) run.Kill(entireProcessTree: true);
        run.WaitForExit();
        return (run.ExitCode, output.Result, errors.Result);
    }

    [Fact]
    public void Gan_sample_learns_the_ring()
    {
        var result = GanSample.Run(epochs: 30, root);
        Assert.Equal(2 * 32 * 30, result.Steps);
        Assert.InRange(result.MeanRadius, 1.6, 2.4);
    }

    [Fact]
    public void Regression_sample_reduces_the_learning_rate_on_plateaus_and_stops_early()
    {
        var result = RegressionSample.Run(maxEpochs: 200, root);
        Assert.True(result.ValLoss < 0.01, $"val_loss {result.ValLoss}");
        Assert.True(result.FinalLearningRate < 0.02, $"learning rate {result.FinalLearningRate}");
        Assert.True(result.Epochs < 200);
        Assert.Contains("did not improve", result.StoppingReason);
    }
}
