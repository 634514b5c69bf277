using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Checkpoints;

/// <summary>
/// Checkpoints written by earlier LitGen versions keep loading and resuming. The fixtures under
/// <c>Checkpoints/Fixtures/</c> are format 1 (written before the trainer became loop objects, by commit 15a5e8f's
/// trainer): <see cref="NewTrainer"/> with <c>new ModelCheckpoint { EveryNTrainSteps = 7, SaveTopK = -1 }</c>, the
/// files <c>epoch=1-step=7.ckpt</c> and <c>epoch=2-step=14.ckpt</c>. Never rewrite them with a newer trainer.
/// </summary>
public class LegacyCheckpointTests
{
    private const int Epochs = 4;

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Checkpoints", "Fixtures", name);

    private static DataLoader<(Tensor X, Tensor Y)> Loader(bool shuffle)
    {
        var x = linspace(-1, 1, 40).reshape(-1, 1);
        return new DataLoader<(Tensor X, Tensor Y)>(new LitGen.TensorDataset(x, sin(x * 3)), batchSize: 8, shuffle: shuffle, seed: 17);
    }

    private static ResumeModule NewModule()
    {
        manual_seed(2024);
        return new ResumeModule();
    }

    private static Trainer NewTrainer(string root, params Callback[] callbacks) => new(new TrainerOptions
    {
        MaxEpochs = Epochs,
        Seed = 7,
        DefaultRootDir = root,
        EnableProgressBar = false,
        Logger = false,
        Callbacks = callbacks,
    });

    [Theory]
    [InlineData("format1-mid-epoch.ckpt")]
    [InlineData("format1-mid-epoch-2.ckpt")]
    public void A_format_1_checkpoint_resumes_to_the_uninterrupted_run(string fixture)
    {
        using var dir = new TempDir();
        var expected = NewModule();
        var full = NewTrainer(Path.Combine(dir.Path, "full"));
        full.Fit(expected, Loader(shuffle: true), Loader(shuffle: false));

        var resumedModel = NewModule();
        var resumed = NewTrainer(Path.Combine(dir.Path, "resumed"));
        resumed.Fit(resumedModel, Loader(shuffle: true), Loader(shuffle: false), ckptPath: Fixture(fixture));

        var a = expected.state_dict();
        var b = resumedModel.state_dict();
        foreach (var key in a.Keys) Assert.True((a[key] == b[key]).all().item<bool>(), $"{key} differs by {(a[key] - b[key]).abs().max().item<float>()}");
        Assert.Equal(full.GlobalStep, resumed.GlobalStep);
        Assert.Equal(full.CallbackMetrics["val_loss"], resumed.CallbackMetrics["val_loss"]);
    }

    [Fact]
    public void A_format_1_checkpoint_loads_its_weights()
    {
        using var checkpoint = Checkpoint.Load(Fixture("format1-mid-epoch.ckpt"));
        Assert.Equal(typeof(ResumeModule).FullName, checkpoint.ModuleType);
        var module = ResumeModule.LoadFromCheckpoint(Fixture("format1-mid-epoch.ckpt"));
        foreach (var (key, value) in module.state_dict()) Assert.True((value == checkpoint.StateDict[key]).all().item<bool>(), key);
    }
}
