using System.Security.Cryptography;
using LitGen.Runtime.Tests.Support;

namespace LitGen.Runtime.Tests.Reliability;

/// <summary>
/// The order that makes a write atomic, watched step by step: the whole temporary file is flushed to the disk, and only
/// then renamed over the target. The SIGKILL tests cannot see this order (they kill before any rename, in any order).
/// </summary>
public class AtomicWriteOrderTests
{
    private sealed record Step(string Kind, string Temporary, string? Target, long Length, string Hash);

    /// <summary>Records every flush and rename with the temporary file's length and content at that moment.</summary>
    private sealed class RecordingSteps : AtomicWriteSteps
    {
        public List<Step> Steps { get; } = [];

        public List<string> Violations { get; } = [];

        public override void FlushToDisk(FileStream stream)
        {
            base.FlushToDisk(stream);
            // The temporary file is locked while open: read it back through its own stream.
            long position = stream.Position;
            stream.Position = 0;
            var hash = Convert.ToHexString(SHA256.HashData(stream));
            stream.Position = position;
            lock (Steps) Steps.Add(new Step("flush", stream.Name, null, stream.Length, hash));
        }

        public override void Rename(string temporary, string path)
        {
            var before = new Step("rename", temporary, path, new FileInfo(temporary).Length, Hash(temporary));
            base.Rename(temporary, path);
            lock (Steps)
            {
                Steps.Add(before);
                // The file at its final path is the complete file that was flushed, byte for byte.
                if (Hash(path) != before.Hash) Violations.Add($"{path} differs from the file renamed onto it");
            }
        }

        private static string Hash(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Convert.ToHexString(SHA256.HashData(stream));
        }
    }

    [Fact]
    public void Every_file_of_a_run_is_flushed_whole_to_disk_before_it_is_renamed_into_place()
    {
        using var dir = new TempDir();
        var steps = new RecordingSteps();
        using (AtomicFile.UseSteps(steps))
        {
            var trainer = new Trainer(new TrainerOptions
            {
                MaxEpochs = 2, DefaultRootDir = dir.Path, EnableProgressBar = false,
                Callbacks = [new ModelCheckpoint { Monitor = "val_loss", SaveTopK = 1, SaveLast = true }],
            });
            trainer.Fit(new RegressionModule(), TestData.Line(), TestData.Line(2));
            trainer.SaveCheckpoint(Path.Combine(dir.Path, "manual.ckpt"));
        }

        Assert.Empty(steps.Violations);
        var renames = steps.Steps.Where(s => s.Kind == "rename").ToList();
        // Checkpoints (top-1, last, the manual one) and the logger's files all went through the steps.
        Assert.Contains(renames, r => r.Target!.EndsWith("last.ckpt", StringComparison.Ordinal));
        Assert.Contains(renames, r => r.Target!.EndsWith("manual.ckpt", StringComparison.Ordinal));
        Assert.Contains(renames, r => r.Target!.EndsWith("hparams.yaml", StringComparison.Ordinal));
        foreach (var rename in renames)
        {
            int at = steps.Steps.IndexOf(rename);
            var flushes = steps.Steps.Take(at).Where(s => s.Kind == "flush" && s.Temporary == rename.Temporary).ToList();
            var flush = Assert.Single(flushes);
            // Nothing was written after the flush: what reached the disk is what was renamed.
            Assert.Equal(flush.Length, rename.Length);
            Assert.Equal(flush.Hash, rename.Hash);
            Assert.NotEqual(rename.Temporary, rename.Target);
        }
        // Every temporary file was renamed; none was left behind.
        Assert.Equal(steps.Steps.Count(s => s.Kind == "flush"), renames.Count);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_write_that_fails_leaves_the_old_file_whole_and_no_temporary_file()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "state.json");
        AtomicFile.WriteAllText(path, "old and whole");
        var steps = new RecordingSteps();
        using (AtomicFile.UseSteps(steps))
        {
            Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
            {
                stream.Write("half of the new"u8);
                throw new IOException("No space left on device");
            }));
        }
        Assert.Empty(steps.Steps);
        Assert.Equal("old and whole", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }
}
