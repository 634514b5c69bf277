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
        // Samples decoded on two DataLoader worker threads.
        var options = SampleOptions.Parse(["--epochs", "1", "--root", root, "--workers", "2"]);
        var result = MnistSample.Run(options);

        Assert.True(result.TestAccuracy > 0.9, $"test accuracy {result.TestAccuracy}");
        Assert.True(File.Exists(Path.Combine(result.LogDir, "metrics.csv")));
        Assert.True(File.Exists(Path.Combine(result.LogDir, "hparams.yaml")));
        Assert.Contains("val_acc", File.ReadAllText(result.Report));
        Assert.NotEmpty(Directory.GetFiles(result.LogDir, "events.out.tfevents.*"));
        Assert.Matches(@"epoch=0-val_acc=0\.\d{4}\.ckpt$", result.BestCheckpoint);
        Assert.Equal(1e-4, result.Reloaded.LearningRate);
    }

    [MpiFact]
    public void Mnist_main_job_trains_data_parallel_with_devices_2()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "MnistClassifier.dll"), "--epochs", "1", "--devices", "2", "--root", root })
            start.ArgumentList.Add(arg);
        using var job = System.Diagnostics.Process.Start(start)!;
        var output = job.StandardOutput.ReadToEndAsync();
        var errors = job.StandardError.ReadToEndAsync();
        if (!job.WaitForExit(TimeSpan.FromMinutes(3))) job.Kill(entireProcessTree: true);
        Assert.True(job.ExitCode == 0, output.Result + errors.Result);

        // Rank 0 alone prints the results and writes the files. Each process reads batches of 64, so one epoch takes half
        // the steps of the single-process run (a global batch of 128): it learns, if less far.
        var accuracy = Assert.Single(output.Result.Split('\n'), l => l.StartsWith("test_acc=", StringComparison.Ordinal));
        Assert.True(double.Parse(accuracy["test_acc=".Length..], System.Globalization.CultureInfo.InvariantCulture) > 0.8, accuracy);
        Assert.Single(Directory.GetFiles(root, "metrics.csv", SearchOption.AllDirectories));
        Assert.Single(Directory.GetFiles(root, "*.ckpt", SearchOption.AllDirectories));
    }

    [Fact]
    public void Mnist_options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => SampleOptions.Parse(["--epochs", "zero"]));
        Assert.Throws<ArgumentException>(() => SampleOptions.Parse(["--bogus"]));
        Assert.Throws<ArgumentException>(() => SampleOptions.Parse(["--workers", "-1"]));
        Assert.Throws<FileNotFoundException>(() => MnistSample.Run(SampleOptions.Parse(["--data", root, "--root", root])));
    }

    [Fact]
    public void Mnist_without_its_data_says_what_is_missing_and_exits_non_zero()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "MnistClassifier.dll"), "--data", Path.Combine(root, "nowhere"), "--root", root })
            start.ArgumentList.Add(arg);
        using var run = System.Diagnostics.Process.Start(start)!;
        var errors = run.StandardError.ReadToEndAsync();
        run.StandardOutput.ReadToEnd();
        Assert.True(run.WaitForExit(TimeSpan.FromMinutes(2)));
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: MNIST file 'train-images-idx3-ubyte(.gz)' not found", errors.Result);
        Assert.Contains("--data", errors.Result);
        Assert.DoesNotContain("Unhandled exception", errors.Result);
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
