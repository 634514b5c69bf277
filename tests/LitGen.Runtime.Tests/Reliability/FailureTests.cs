using System.Diagnostics;
using LitGen.Runtime.Tests.Support;
using LitGen.Runtime.Tests.Training;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Reliability;

public sealed class ThrowingOnException : Callback
{
    public override void OnException(Trainer trainer, LightningModule module, Exception exception) => throw new InvalidOperationException("handler broke");
}

public sealed class FailingAtEpoch(int epoch) : Callback
{
    public override void OnTrainEpochStart(Trainer trainer, LightningModule module)
    {
        if (trainer.CurrentEpoch == epoch) throw new TimeoutException("the data source timed out");
    }
}

/// <summary>Learns a loss that diverges to NaN after a few steps (its learning rate is absurd).</summary>
[LightningModule]
public partial class DivergingModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        var loss = nn.functional.mse_loss(layer.forward(batch.X * 1e6), batch.Y);
        Log("train_loss", loss, onEpoch: true);
        return loss;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 1e6);
}

public class FailureTests
{
    private static Trainer NewTrainer(string root, int epochs, params Callback[] callbacks) => new(new TrainerOptions
    {
        MaxEpochs = epochs, DefaultRootDir = root, EnableProgressBar = false, Logger = false, Callbacks = callbacks,
    });

    [Fact]
    public void An_exception_in_OnException_does_not_replace_the_original()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir.Path, 3, new ThrowingOnException(), new FailingAtEpoch(1));
        var error = Assert.Throws<TimeoutException>(() => trainer.Fit(new RegressionModule(), TestData.Line()));
        Assert.Equal("the data source timed out", error.Message);
    }

    [Fact]
    public void Two_trainers_in_one_process_get_their_own_version_folders()
    {
        using var dir = new TempDir();
        var first = new Trainer(new TrainerOptions { DefaultRootDir = dir.Path });
        var second = new Trainer(new TrainerOptions { DefaultRootDir = dir.Path });
        Assert.NotEqual(first.LogDir, second.LogDir);
        Assert.Equal(first.Loggers[0].LogDir, first.Loggers[1].LogDir);
    }

    [Fact]
    public void A_diverged_run_never_replaces_the_last_good_checkpoint()
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir.Path, 8);
        var model = new DivergingModule();
        trainer.Fit(model, TestData.Line(batches: 1));
        // The weights overflow within a few steps; the kept checkpoint is the last one whose weights were finite.
        Assert.Contains(model.parameters(), p => !isfinite(p).all().item<bool>());
        var best = trainer.CheckpointCallback!.BestModelPath!;
        Assert.DoesNotContain("epoch=7", best);
        using var checkpoint = Checkpoint.Load(best);
        Assert.All(checkpoint.StateDict.Values, t => Assert.True(isfinite(t).all().item<bool>()));
    }

    [Fact]
    public void Weights_that_stay_NaN_are_reported_once_and_counted_at_the_end()
    {
        using var dir = new TempDir();
        var messages = new CollectingLoggerFactory();
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 30, DefaultRootDir = dir.Path, EnableProgressBar = false, LoggerFactory = messages });
        trainer.Fit(new DivergingModule(), TestData.Line(batches: 1));

        var warnings = messages.Messages.Where(m => m.Category == "LitGen.ModelCheckpoint" && m.Level == Microsoft.Extensions.Logging.LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("NaN or infinite values at step", warnings[0].Message);
        var summary = System.Text.RegularExpressions.Regex.Match(warnings[1].Message, "skipped (\\d+) saves from step (\\d+)");
        Assert.True(summary.Success, warnings[1].Message);
        // One skipped save per epoch from the first non-finite step to the last epoch.
        Assert.Equal(30 - int.Parse(summary.Groups[2].Value) + 1, int.Parse(summary.Groups[1].Value));
    }

    [Theory]
    [InlineData(-5, "negative dimension")]
    [InlineData(0, "out of bounds")]
    public void Hyperparameters_the_constructor_refuses_fail_as_an_invalid_checkpoint_naming_file_and_values(int hidden, string? cause)
    {
        using var dir = new TempDir();
        var trainer = NewTrainer(dir.Path, 1);
        trainer.Fit(new RegressionModule(), TestData.Line());
        var crafted = Path.Combine(dir.Path, "crafted.ckpt");
        File.WriteAllBytes(crafted, CheckpointFiles.EditMetadataJson(File.ReadAllBytes(trainer.CheckpointCallback!.BestModelPath!), "hyper_parameters",
            hyperparameters => hyperparameters["Hidden"] = hidden));

        var error = Assert.Throws<InvalidCheckpointException>(() => RegressionModule.LoadFromCheckpoint(crafted));
        Assert.Equal(crafted, error.Path);
        Assert.Contains($"\"Hidden\":{hidden}", error.Message);
        Assert.DoesNotContain("frame #", error.Message);
        if (cause is not null) Assert.Contains(cause, error.Message);
    }

    [Fact]
    public void Early_stopping_stops_a_run_whose_loss_is_no_longer_finite()
    {
        using var dir = new TempDir();
        var stopping = new EarlyStopping { Monitor = "train_loss_epoch", CheckFinite = true, Patience = 100 };
        var trainer = NewTrainer(dir.Path, 50, stopping);
        trainer.Fit(new DivergingModule(), TestData.Line(batches: 1));
        Assert.True(trainer.CurrentEpoch < 50);
        Assert.Contains("is not finite", stopping.StoppingReason);
    }

    [Fact]
    public void A_resume_with_another_optimizer_fails_naming_the_file_and_changes_no_weight()
    {
        using var dir = new TempDir();
        var first = NewTrainer(dir.Path, 1);
        first.Fit(new ConfigurableModule { Optimization = m => optim.Adam(m.parameters(), 0.01) }, TestData.Line());
        var path = first.CheckpointCallback!.BestModelPath!;

        var model = new ConfigurableModule { Optimization = m => optim.SGD(m.parameters(), 0.01) };
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var error = Assert.Throws<InvalidCheckpointException>(() => NewTrainer(dir.Path, 2).Fit(model, TestData.Line(), ckptPath: path));
        Assert.Equal(path, error.Path);
        Assert.Contains("was a Adam", error.Message);
        Assert.All(model.state_dict(), p => Assert.True(p.Value.equal(before[p.Key]).all().item<bool>(), p.Key));
    }

    [Fact]
    public void A_resume_from_damaged_loop_state_fails_naming_the_file_and_changes_no_weight()
    {
        using var dir = new TempDir();
        var first = NewTrainer(dir.Path, 1);
        first.Fit(new RegressionModule(), TestData.Line());
        var damaged = Path.Combine(dir.Path, "damaged.ckpt");
        File.WriteAllBytes(damaged, CheckpointFiles.EditMetadataJson(File.ReadAllBytes(first.CheckpointCallback!.BestModelPath!), "loops",
            loops => loops["fit_loop"]!["epoch"] = "not a number"));

        var model = new RegressionModule();
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var error = Assert.Throws<InvalidCheckpointException>(() => NewTrainer(dir.Path, 2).Fit(model, TestData.Line(), ckptPath: damaged));
        Assert.Equal(damaged, error.Path);
        Assert.Contains("loop state", error.Message);
        Assert.All(model.state_dict(), p => Assert.True(p.Value.equal(before[p.Key]).all().item<bool>(), p.Key));
    }

    [Fact]
    public void A_full_disk_fails_the_save_clearly_and_keeps_the_previous_checkpoint()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "small");
        Directory.CreateDirectory(folder);
        using var mount = SmallFileSystem.TryMount(folder, sizeKb: 512);
        var first = NewTrainer(dir.Path, 1, new ModelCheckpoint { DirPath = folder });
        first.Fit(new RegressionModule(), TestData.Line());
        var previous = first.CheckpointCallback!.BestModelPath!;
        var previousBytes = File.ReadAllBytes(previous);

        if (mount is not null)
            File.WriteAllBytes(Path.Combine(folder, "filler"), new byte[new DriveInfo(folder).AvailableFreeSpace - 512]);
        else
            // Where tmpfs cannot be mounted (not root), a file where the folder's next checkpoint must go fails it the same way.
            Directory.CreateDirectory(Path.Combine(folder, "epoch=1-step=8.ckpt"));

        var resumed = NewTrainer(dir.Path, 2, new ModelCheckpoint { DirPath = folder });
        var error = Assert.Throws<IOException>(() => resumed.Fit(new RegressionModule(), TestData.Line(), ckptPath: previous));
        Assert.Contains("Could not write checkpoint", error.Message);
        Assert.Contains("unchanged", error.Message);
        Assert.Equal(previousBytes, File.ReadAllBytes(previous));
        Assert.Equal(previous, resumed.CheckpointCallback!.BestModelPath);
        Assert.DoesNotContain(Directory.GetFiles(folder), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_folder_that_refuses_writes_fails_the_save_clearly_and_keeps_the_previous_checkpoint()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "readonly");
        Directory.CreateDirectory(folder);
        using var mount = SmallFileSystem.TryMount(folder, sizeKb: 4096);
        var first = NewTrainer(dir.Path, 1, new ModelCheckpoint { DirPath = folder });
        first.Fit(new RegressionModule(), TestData.Line());
        var previous = first.CheckpointCallback!.BestModelPath!;
        var previousBytes = File.ReadAllBytes(previous);

        // Root ignores permission bits, so there the folder becomes a read-only file system; elsewhere, a folder without write permission.
        var original = File.GetUnixFileMode(folder);
        if (mount is not null) mount.RemountReadOnly();
        else File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var resumed = NewTrainer(dir.Path, 2, new ModelCheckpoint { DirPath = folder });
            var error = Assert.Throws<IOException>(() => resumed.Fit(new RegressionModule(), TestData.Line(), ckptPath: previous));
            Assert.Contains($"Could not write checkpoint '{Path.Combine(folder, "epoch=1-step=8.ckpt")}'", error.Message);
            Assert.Equal(previousBytes, File.ReadAllBytes(previous));
            Assert.Equal(previous, resumed.CheckpointCallback!.BestModelPath);
        }
        finally
        {
            if (mount is null) File.SetUnixFileMode(folder, original);
        }
    }
}

/// <summary>A tmpfs of a few hundred kilobytes mounted over a folder (needs root), unmounted on dispose.</summary>
public sealed class SmallFileSystem : IDisposable
{
    private readonly string folder;

    private SmallFileSystem(string folder) => this.folder = folder;

    public static SmallFileSystem? TryMount(string folder, int sizeKb)
        => OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", $"size={sizeKb}k", "tmpfs", folder) ? new SmallFileSystem(folder) : null;

    public void RemountReadOnly() => Assert.True(Run("mount", "-o", "remount,ro", folder), $"could not remount {folder} read-only");

    public void Dispose() => Run("umount", folder);

    private static bool Run(string command, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
