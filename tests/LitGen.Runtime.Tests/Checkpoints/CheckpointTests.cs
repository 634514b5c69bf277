using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using LitGen.Runtime.Tests.Support;
using LitGen.Runtime.Tests.Training;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Checkpoints;

public class CheckpointTests
{
    private static string TrainAndSave(TempDir dir, RegressionModule model)
    {
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        trainer.Fit(model, TestData.Line());
        return trainer.CheckpointCallback!.BestModelPath!;
    }

    [Fact]
    public void LoadFromCheckpoint_restores_weights_and_hyperparameters_and_applies_overrides()
    {
        using var dir = new TempDir();
        var model = new RegressionModule(hidden: 6, learningRate: 0.01, activation: "relu");
        var path = TrainAndSave(dir, model);

        var restored = RegressionModule.LoadFromCheckpoint(path, hp => hp with { LearningRate = 1e-4 });

        Assert.Equal(new RegressionModule.HyperParameters { Hidden = 6, LearningRate = 1e-4, Activation = "relu" }, restored.Hparams);
        var expected = model.state_dict();
        var actual = restored.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var key in expected.Keys) Assert.True((expected[key] == actual[key]).all().item<bool>(), key);
        var x = linspace(-1, 1, 5).reshape(-1, 1);
        Assert.True((model.Forward(x) == restored.Forward(x)).all().item<bool>());
    }

    [Fact]
    public void Checkpoint_is_a_safetensors_file_with_litgen_metadata()
    {
        using var dir = new TempDir();
        var path = TrainAndSave(dir, new RegressionModule(hidden: 3));
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength));
        var metadata = header.RootElement.GetProperty("__metadata__");
        Assert.Equal("litgen-checkpoint", metadata.GetProperty("format").GetString());
        Assert.Equal(typeof(RegressionModule).FullName, metadata.GetProperty("module_type").GetString());
        Assert.Equal("1", metadata.GetProperty("epoch").GetString());
        Assert.Equal("8", metadata.GetProperty("global_step").GetString());
        var weight = header.RootElement.GetProperty("input.weight");
        Assert.Equal("F32", weight.GetProperty("dtype").GetString());
        Assert.Equal([3, 1], weight.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(header.RootElement.TryGetProperty("litgen.optimizer_states.0", out _));
        using var hparams = JsonDocument.Parse(metadata.GetProperty("hyper_parameters").GetString()!);
        Assert.Equal(3, hparams.RootElement.GetProperty("Hidden").GetInt32());
    }

    [Fact]
    public void Truncated_corrupt_and_foreign_files_are_rejected_with_path_and_reason()
    {
        using var dir = new TempDir();
        var path = TrainAndSave(dir, new RegressionModule());
        var original = File.ReadAllBytes(path);

        var truncated = Path.Combine(dir.Path, "truncated.ckpt");
        File.WriteAllBytes(truncated, original[..^10]);
        var corrupt = Path.Combine(dir.Path, "corrupt.ckpt");
        var flipped = (byte[])original.Clone();
        flipped[^5] ^= 0xFF;
        File.WriteAllBytes(corrupt, flipped);
        var foreign = Path.Combine(dir.Path, "foreign.ckpt");
        File.WriteAllText(foreign, "PK\u0003\u0004 this is a zip, not a checkpoint");
        var tiny = Path.Combine(dir.Path, "tiny.ckpt");
        File.WriteAllBytes(tiny, [1, 2, 3]);

        Assert.Contains("truncated", Reject(truncated).Reason);
        Assert.Contains("checksum", Reject(corrupt).Reason);
        Assert.Contains("not a checkpoint", Reject(foreign).Reason);
        Assert.Contains("truncated", Reject(tiny).Reason);
        Assert.Equal(original, File.ReadAllBytes(path));

        static InvalidCheckpointException Reject(string file)
        {
            var error = Assert.Throws<InvalidCheckpointException>(() => RegressionModule.LoadFromCheckpoint(file));
            Assert.Equal(file, error.Path);
            Assert.Contains(file, error.Message);
            return error;
        }
    }

    [Fact]
    public void A_checkpoint_of_another_module_type_is_rejected()
    {
        using var dir = new TempDir();
        var path = TrainAndSave(dir, new RegressionModule());
        var error = Assert.Throws<InvalidCheckpointException>(() => NoOptimizerModule.LoadFromCheckpoint(path));
        Assert.Contains(nameof(RegressionModule), error.Reason);
    }

    [Fact]
    public void Weights_of_another_shape_are_rejected_unless_not_strict_and_matching()
    {
        using var dir = new TempDir();
        var path = TrainAndSave(dir, new RegressionModule(hidden: 4));
        var error = Assert.Throws<InvalidCheckpointException>(() => RegressionModule.LoadFromCheckpoint(path, hp => hp with { Hidden = 5 }));
        Assert.Contains("input.weight", error.Reason);
    }

    [Fact]
    public void Missing_file_is_reported()
        => Assert.Throws<FileNotFoundException>(() => RegressionModule.LoadFromCheckpoint("/nonexistent/x.ckpt"));

    [Fact]
    public void Save_replaces_atomically_and_leaves_no_temporary_files()
    {
        using var dir = new TempDir();
        var path = TrainAndSave(dir, new RegressionModule());
        var folder = Path.GetDirectoryName(path)!;
        Assert.Equal([path], Directory.GetFiles(folder));
        using var checkpoint = Checkpoint.Load(path);
        Assert.Equal(8, checkpoint.GlobalStep);
    }
}

public class LargeCheckpointTests
{
    [Fact]
    public void A_tensor_over_2_GiB_saves_and_loads()
    {
        using var dir = new LitGen.Runtime.Tests.Support.TempDir();
        long count = (1L << 31) + 24;   // past int.MaxValue bytes, which whole-array reads and writes cannot hold
        using var big = zeros(count, ScalarType.Byte);
        big[count - 1] = tensor((byte)7);
        big[(1L << 31) + 1] = tensor((byte)9);
        var path = Path.Combine(dir.Path, "big.ckpt");
        new Checkpoint { ModuleType = "Big", StateDict = new Dictionary<string, Tensor> { ["big"] = big } }.Save(path);
        Assert.True(new FileInfo(path).Length > count);

        using var loaded = Checkpoint.Load(path);
        var restored = loaded.StateDict["big"];
        Assert.Equal(count, restored.numel());
        Assert.Equal(7, restored[count - 1].item<byte>());
        Assert.Equal(9, restored[(1L << 31) + 1].item<byte>());
        Assert.Equal(16L, restored.sum().item<long>());
    }
}
