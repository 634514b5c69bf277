using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;

namespace LitGen.Runtime.Tests.Reliability;

/// <summary>ModelCheckpoint deletes only its own files: never another run's, never the resumed checkpoint, never a path a checkpoint names.</summary>
public class CheckpointDeletionTests
{
    private static Trainer NewTrainer(string root, int epochs, params Callback[] callbacks) => new(new TrainerOptions
    {
        MaxEpochs = epochs, DefaultRootDir = root, EnableProgressBar = false, Logger = false, Callbacks = callbacks,
    });

    [Fact]
    public void Resuming_into_another_folder_leaves_the_first_runs_files()
    {
        using var dir = new TempDir();
        var first = NewTrainer(Path.Combine(dir.Path, "a"), 2, new ModelCheckpoint { SaveLast = true });
        first.Fit(new RegressionModule(), TestData.Line());
        var firstFiles = Directory.GetFiles(Path.Combine(dir.Path, "a", "checkpoints"));
        Assert.Equal(2, firstFiles.Length);

        var resumed = NewTrainer(Path.Combine(dir.Path, "b"), 4, new ModelCheckpoint { SaveLast = true });
        resumed.Fit(new RegressionModule(), TestData.Line(), ckptPath: first.CheckpointCallback!.LastModelPath);
        Assert.All(firstFiles, f => Assert.True(File.Exists(f), $"{f} was deleted"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(dir.Path, "b", "checkpoints")).Length);
    }

    [Fact]
    public void The_checkpoint_a_run_resumed_from_is_never_deleted()
    {
        using var dir = new TempDir();
        var first = NewTrainer(dir.Path, 1, new ModelCheckpoint());
        first.Fit(new RegressionModule(), TestData.Line());
        var resumedFrom = first.CheckpointCallback!.BestModelPath!;

        // Same folder, keep-one policy: the next save would replace the file the run resumed from.
        var resumed = NewTrainer(dir.Path, 3, new ModelCheckpoint());
        resumed.Fit(new RegressionModule(), TestData.Line(), ckptPath: resumedFrom);
        Assert.True(File.Exists(resumedFrom));
        Assert.True(File.Exists(resumed.CheckpointCallback!.BestModelPath));
        Assert.NotEqual(resumedFrom, resumed.CheckpointCallback.BestModelPath);
    }

    [Fact]
    public void A_checkpoint_cannot_name_a_file_for_deletion()
    {
        using var dir = new TempDir();
        var victim = Path.Combine(dir.Path, "victim.txt");
        File.WriteAllText(victim, "keep me");
        var first = NewTrainer(dir.Path, 1, new ModelCheckpoint { Monitor = "train_loss_epoch", SaveTopK = 1 });
        first.Fit(new RegressionModule(), TestData.Line());

        // Rewrite the callback's state so that its kept top-1 "checkpoint" is the victim, with the worst score.
        var crafted = Path.Combine(dir.Path, "crafted.ckpt");
        File.WriteAllBytes(crafted, CheckpointFiles.EditMetadataJson(File.ReadAllBytes(first.CheckpointCallback!.BestModelPath!), "callbacks", callbacks =>
        {
            var state = callbacks.AsObject().Single(p => p.Key.StartsWith("ModelCheckpoint", StringComparison.Ordinal)).Value!.AsObject();
            state["best_k_models"] = new JsonObject { [victim] = 1e9 };
            state["kth_best_model_path"] = victim;
            state["best_model_path"] = victim;
        }));

        var resumed = NewTrainer(dir.Path, 3, new ModelCheckpoint { Monitor = "train_loss_epoch", SaveTopK = 1 });
        resumed.Fit(new RegressionModule(), TestData.Line(), ckptPath: crafted);
        Assert.Equal("keep me", File.ReadAllText(victim));
    }

    [Fact]
    public void A_checkpoint_cannot_name_a_file_of_the_checkpoint_folder_for_deletion_but_its_own_files_still_go()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "ckpt");
        ModelCheckpoint NewCallback() => new() { DirPath = folder, Monitor = "train_loss_epoch", SaveTopK = 1 };
        var first = NewTrainer(dir.Path, 1, NewCallback());
        first.Fit(new RegressionModule(), TestData.Line());
        var notes = Path.Combine(folder, "notes.txt");
        File.WriteAllText(notes, "keep me");

        // The state says the kept top-1 file is the notes (with the worst score, so the next save displaces it); the
        // crafted file's checksum is recomputed, which is no protection.
        var crafted = Path.Combine(folder, "crafted.ckpt");
        File.WriteAllBytes(crafted, CheckpointFiles.EditMetadataJson(File.ReadAllBytes(first.CheckpointCallback!.BestModelPath!), "callbacks", callbacks =>
        {
            var state = callbacks.AsObject().Single(p => p.Key.StartsWith("ModelCheckpoint", StringComparison.Ordinal)).Value!.AsObject();
            state["best_k_models"] = new JsonObject { [notes] = 1e9 };
            state["kth_best_model_path"] = notes;
            state["best_model_path"] = notes;
        }));
        NewTrainer(dir.Path, 3, NewCallback()).Fit(new RegressionModule(), TestData.Line(), ckptPath: crafted);
        Assert.Equal("keep me", File.ReadAllText(notes));

        // A genuine resume still deletes what its lineage wrote: the first part's worst file, once displaced.
        var lineage = Path.Combine(dir.Path, "lineage");
        ModelCheckpoint TopTwo() => new() { DirPath = lineage, Monitor = "train_loss_epoch", SaveTopK = 2 };
        // A fixed initialization (a generator of its own: tests in parallel share the global one) from which the epoch
        // losses fall every epoch, so each new epoch enters the top 2.
        var model = new RegressionModule();
        using (TorchSharp.torch.no_grad())
        {
            var generator = new TorchSharp.torch.Generator(seed: 5);
            foreach (var parameter in model.parameters()) parameter.copy_(TorchSharp.torch.rand(parameter.shape, generator: generator) - 0.5);
        }
        NewTrainer(dir.Path, 2, TopTwo()).Fit(model, TestData.Line());
        var resumedFrom = Path.Combine(lineage, "epoch=1-step=8.ckpt");
        NewTrainer(dir.Path, 4, TopTwo()).Fit(new RegressionModule(), TestData.Line(), ckptPath: resumedFrom);
        Assert.Equal(["epoch=1-step=8.ckpt", "epoch=2-step=12.ckpt", "epoch=3-step=16.ckpt"], Directory.GetFiles(lineage).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>A disk that fills up: the rename of <c>last.ckpt</c> at the given save fails as a full disk does.</summary>
    private sealed class FullDiskAtLast(int failingSave) : AtomicWriteSteps
    {
        private int lastSaves;

        public override void Rename(string temporary, string path)
        {
            if (Path.GetFileName(path) == "last.ckpt" && ++lastSaves == failingSave)
                throw new IOException($"No space left on device : '{path}'");
            base.Rename(temporary, path);
        }
    }

    [Fact]
    public void A_save_that_fails_half_way_deletes_no_older_file_and_leaves_no_new_one()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(dir.Path, "ckpt");
        var callback = new ModelCheckpoint { DirPath = folder, Monitor = "train_loss_epoch", SaveTopK = 1, SaveLast = true };
        var trainer = NewTrainer(dir.Path, 3, callback);
        // The loss falls every epoch, so epoch 1's file replaces epoch 0's; its last.ckpt copy fails.
        using (AtomicFile.UseSteps(new FullDiskAtLast(failingSave: 2)))
            Assert.Throws<IOException>(() => trainer.Fit(new RegressionModule(), TestData.Line()));

        // Epoch 0's files are whole and still there; epoch 1's file, which no bookkeeping names, is gone.
        Assert.Equal(["epoch=0-step=4.ckpt", "last.ckpt"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(Path.Combine(folder, "epoch=0-step=4.ckpt"), callback.BestModelPath);
        Assert.All(callback.BestKModels.Keys.Append(callback.LastModelPath!), path => Assert.True(File.Exists(path), $"{path} is named but does not exist"));
        using var last = Checkpoint.Load(Path.Combine(folder, "last.ckpt"));
        Assert.Equal(4, last.GlobalStep);
    }
}
