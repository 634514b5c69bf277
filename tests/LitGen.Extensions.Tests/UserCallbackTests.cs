using static TorchSharp.torch;

namespace LitGen.Extensions.Tests;

/// <summary>A line fit whose validation loss follows a script of the global step, so every scenario knows when it improves.</summary>
[LightningModule]
public partial class ScriptedValidationModule : LightningModule<(Tensor X, Tensor Y)>
{
    private readonly TorchSharp.Modules.Linear layer = nn.Linear(1, 1);

    // Fixed initial weights: tests run in parallel and share libtorch's global generator.
    public ScriptedValidationModule()
    {
        using var noGrad = no_grad();
        layer.weight!.fill_(0.5);
        layer.bias!.fill_(-0.25);
    }

    public Func<long, double> ValidationLoss { get; init; } = step => step;

    public override Tensor? TrainingStep((Tensor X, Tensor Y) batch, int batchIdx) => nn.functional.mse_loss(layer.forward(batch.X), batch.Y);

    public override Tensor? ValidationStep((Tensor X, Tensor Y) batch, int batchIdx)
    {
        Log("val_loss", ValidationLoss(GlobalStep));
        return null;
    }

    public override OptimizerConfig ConfigureOptimizers() => optim.SGD(parameters(), 0.05);

    public static List<(Tensor X, Tensor Y)> Batches(int count)
    {
        var x = linspace(-1, 1, count * 4).reshape(-1, 1);
        return Enumerable.Range(0, count).Select(b => (x[(b * 4)..((b + 1) * 4)].clone(), x[(b * 4)..((b + 1) * 4)] * 2 + 1)).ToList();
    }
}

/// <summary>
/// The callbacks of <c>UserCallbacks.cs</c>, written against the public API only, give what the built-in
/// <see cref="ModelCheckpoint"/> (top-1) and <see cref="EarlyStopping"/> give: the same files with the same weights,
/// the same best path, the same stop epoch and step.
/// </summary>
public sealed class UserCallbackTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "litgen-extensions-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    private sealed record Outcome(string[] Files, string BestFile, int StoppedEpoch, int CurrentEpoch, long GlobalStep, Dictionary<string, Tensor> BestWeights);

    private Outcome Run(string name, bool builtIn, TrainerOptions options, Func<long, double> script, string? resumeFrom = null, string? folder = null)
    {
        var checkpoints = Path.Combine(root, folder ?? name);
        Callback checkpoint = builtIn ? new ModelCheckpoint { DirPath = checkpoints, Monitor = "val_loss", SaveTopK = 1 } : new BestCheckpoint(checkpoints, "val_loss");
        Callback stopping = builtIn ? new EarlyStopping { Monitor = "val_loss", Patience = 2 } : new PatienceStopping("val_loss", 2);
        var trainer = new Trainer(options with
        {
            DefaultRootDir = Path.Combine(root, name + "-logs"), EnableProgressBar = false, EnableModelSummary = false, Logger = false,
            EnableCheckpointing = builtIn, Callbacks = [checkpoint, stopping],
        });
        var model = new ScriptedValidationModule { ValidationLoss = script };
        trainer.Fit(model, ScriptedValidationModule.Batches(4), ScriptedValidationModule.Batches(1), ckptPath: resumeFrom);

        var best = builtIn ? ((ModelCheckpoint)checkpoint).BestModelPath! : ((BestCheckpoint)checkpoint).BestModelPath!;
        int stoppedEpoch = builtIn ? ((EarlyStopping)stopping).StoppedEpoch : ((PatienceStopping)stopping).StoppedEpoch ?? 0;
        using var saved = Checkpoint.Load(best);
        var weights = saved.StateDict.ToDictionary(p => p.Key, p => p.Value.clone());
        return new Outcome(Directory.GetFiles(checkpoints).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!, Path.GetFileName(best),
            stoppedEpoch, trainer.CurrentEpoch, trainer.GlobalStep, weights);
    }

    private static void AssertSame(Outcome expected, Outcome actual)
    {
        Assert.Equal(expected.Files, actual.Files);
        Assert.Equal(expected.BestFile, actual.BestFile);
        Assert.Equal(expected.StoppedEpoch, actual.StoppedEpoch);
        Assert.Equal(expected.CurrentEpoch, actual.CurrentEpoch);
        Assert.Equal(expected.GlobalStep, actual.GlobalStep);
        foreach (var (key, value) in expected.BestWeights) Assert.True(value.equal(actual.BestWeights[key]).item<bool>(), $"{key} differs");
    }

    [Fact]
    public void Validation_at_epoch_end_gives_the_same_files_and_stop_epoch()
    {
        // val_loss falls to 0 at step 12 (end of epoch 2), then rises: patience 2 stops after epoch 4.
        static double Script(long step) => Math.Abs(step - 12);
        var options = new TrainerOptions { MaxEpochs = 10, NumSanityValSteps = 0 };
        var expected = Run("builtin", builtIn: true, options, Script);
        Assert.Equal(["epoch=2-step=12.ckpt"], expected.Files);
        Assert.Equal(4, expected.StoppedEpoch);
        AssertSame(expected, Run("user", builtIn: false, options, Script));
    }

    [Fact]
    public void Mid_epoch_validation_gives_the_same_files_and_stops_at_the_same_step()
    {
        // Validation every 2 batches (twice an epoch): best at step 10, worse at 12 and 14, stopped in the middle of epoch 3.
        static double Script(long step) => Math.Abs(step - 9) + (step % 4 == 0 ? 0.5 : 0);
        var options = new TrainerOptions { MaxEpochs = 10, ValCheckInterval = 2, NumSanityValSteps = 2 };
        var expected = Run("builtin", builtIn: true, options, Script);
        Assert.Equal(["epoch=2-step=10.ckpt"], expected.Files);
        Assert.Equal(14, expected.GlobalStep);
        AssertSame(expected, Run("user", builtIn: false, options, Script));
    }

    [Fact]
    public void A_resumed_run_restores_the_callback_state()
    {
        // Best at step 8 (end of the first part); after the resume every value is worse. Without the restored state the
        // first validation of the resumed run would be saved as a new best, and patience would count from zero.
        static double Script(long step) => Math.Abs(step - 8);
        Outcome ResumedRun(bool builtIn)
        {
            var name = builtIn ? "builtin" : "user";
            var first = Run(name, builtIn, new TrainerOptions { MaxEpochs = 2, NumSanityValSteps = 0 }, Script);
            Assert.Equal(["epoch=1-step=8.ckpt"], first.Files);
            var resumeFrom = Path.Combine(root, name, first.BestFile);
            return Run(name + "-resumed", builtIn, new TrainerOptions { MaxEpochs = 10, NumSanityValSteps = 0 }, Script, resumeFrom, folder: name);
        }

        var expected = ResumedRun(builtIn: true);
        Assert.Equal(["epoch=1-step=8.ckpt"], expected.Files);
        Assert.Equal(3, expected.StoppedEpoch);
        AssertSame(expected, ResumedRun(builtIn: false));
    }
}
