using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Checkpoints;

/// <summary>
/// Hostile checkpoints: hundreds of mutations of a real one (bit flips in the header and the data, truncations,
/// absurd lengths) and crafted files that carry a correct checksum but break safetensors' rules. Every case either
/// loads the original weights or fails with <see cref="InvalidCheckpointException"/> naming the file; nothing else.
/// </summary>
public sealed class CheckpointFuzzTests : IDisposable
{
    private readonly TempDir dir = new();
    private readonly string original;
    private readonly byte[] bytes;
    private readonly Dictionary<string, Tensor> weights;

    public CheckpointFuzzTests()
    {
        manual_seed(11);
        var trainer = new Trainer(new TrainerOptions { MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, Logger = false });
        var model = new RegressionModule();
        trainer.Fit(model, TestData.Line());
        original = trainer.CheckpointCallback!.BestModelPath!;
        bytes = File.ReadAllBytes(original);
        weights = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
    }

    public void Dispose() => dir.Dispose();

    private int HeaderLength => (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);

    /// <summary>Loads the mutated file: the original weights, or an InvalidCheckpointException naming it.</summary>
    private void AssertLoadsOriginalOrIsRejected(byte[] mutated, string label)
    {
        var path = Path.Combine(dir.Path, "mutated.ckpt");
        File.WriteAllBytes(path, mutated);
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Load(path);
        }
        catch (InvalidCheckpointException e)
        {
            Assert.Equal(path, e.Path);
            Assert.Contains(path, e.Message);
            return;
        }
        catch (Exception e)
        {
            Assert.Fail($"{label}: {e.GetType().Name}: {e.Message}");
            return;
        }
        using (checkpoint)
        {
            Assert.Equal(weights.Keys.Order(), checkpoint.StateDict.Keys.Order());
            foreach (var (key, value) in weights) Assert.True(value.equal(checkpoint.StateDict[key]).all().item<bool>(), $"{label}: {key} loaded different values");
        }
    }

    [Fact]
    public void Bit_flips_in_the_header_are_rejected()
    {
        var random = new Random(1);
        for (int i = 0; i < 150; i++)
        {
            var mutated = (byte[])bytes.Clone();
            int at = random.Next(0, 8 + HeaderLength);
            mutated[at] ^= (byte)(1 << random.Next(8));
            AssertLoadsOriginalOrIsRejected(mutated, $"header flip at {at}");
        }
    }

    [Fact]
    public void Bit_flips_in_the_data_are_rejected()
    {
        var random = new Random(2);
        for (int i = 0; i < 100; i++)
        {
            var mutated = (byte[])bytes.Clone();
            int at = random.Next(8 + HeaderLength, mutated.Length);
            mutated[at] ^= (byte)(1 << random.Next(8));
            AssertLoadsOriginalOrIsRejected(mutated, $"data flip at {at}");
        }
    }

    [Fact]
    public void Truncations_and_extensions_are_rejected()
    {
        var random = new Random(3);
        for (int i = 0; i < 60; i++)
        {
            int length = random.Next(0, bytes.Length);
            AssertLoadsOriginalOrIsRejected(bytes[..length], $"truncated to {length}");
        }
        AssertLoadsOriginalOrIsRejected([.. bytes, 0], "one byte appended");
        AssertLoadsOriginalOrIsRejected([.. bytes, .. bytes], "the file twice");
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData((ulong)long.MaxValue)]
    [InlineData(200UL * 1024 * 1024)]
    [InlineData(0UL)]
    [InlineData(1UL)]
    public void Absurd_header_lengths_are_rejected_before_reading(ulong headerLength)
    {
        var mutated = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(mutated, headerLength);
        AssertLoadsOriginalOrIsRejected(mutated, $"header length {headerLength}");
    }

    [Fact]
    public void A_dtype_changed_in_the_header_is_caught_by_the_checksum()
    {
        var header = Encoding.UTF8.GetString(bytes, 8, HeaderLength);
        var flipped = Encoding.UTF8.GetBytes(header.Replace("\"F32\"", "\"I32\""));
        var mutated = bytes.ToArray();
        flipped.CopyTo(mutated, 8);
        var error = Assert.Throws<InvalidCheckpointException>(() => LoadBytes(mutated));
        Assert.Contains("checksum", error.Reason);
    }

    private void LoadBytes(byte[] content)
    {
        var path = Path.Combine(dir.Path, "crafted.ckpt");
        File.WriteAllBytes(path, content);
        using var checkpoint = Checkpoint.Load(path);
    }

    private byte[] Craft(Action<JsonObject> editEntries, byte[]? data = null) => CheckpointFiles.Craft(bytes, editEntries, data);

    private static IEnumerable<JsonObject> Tensors(JsonObject header) => header.Where(p => p.Key != "__metadata__").Select(p => p.Value!.AsObject());

    [Fact]
    public void A_crafted_file_with_a_valid_checksum_is_checked_against_safetensors_rules()
    {
        string Reason(byte[] file) => Assert.Throws<InvalidCheckpointException>(() => LoadBytes(file)).Reason;

        // The crafting itself yields a loadable file.
        LoadBytes(Craft(_ => { }));

        Assert.Contains("overlaps", Reason(Craft(h =>
        {
            var first = Tensors(h).OrderBy(t => (long)t["data_offsets"]![0]!).ToList();
            first[1]["data_offsets"]![0] = (long)first[1]["data_offsets"]![0]! - 4;
            first[1]["data_offsets"]![1] = (long)first[1]["data_offsets"]![1]! - 4;
        })));
        Assert.Contains("negative", Reason(Craft(h => Tensors(h).First()["shape"] = new JsonArray(-1, -4))));
        Assert.Contains("need", Reason(Craft(h => Tensors(h).First()["shape"] = new JsonArray(1L << 40, 1L << 20))));
        Assert.Contains("too large", Reason(Craft(h => Tensors(h).First()["shape"] = new JsonArray(long.MaxValue, long.MaxValue))));
        Assert.Contains("unsupported dtype", Reason(Craft(h => Tensors(h).First()["dtype"] = "F128")));
        Assert.Contains("not a single string", Reason(Craft(h => h["__metadata__"]!["epoch"] = 3)));
        Assert.Contains("unused bytes", Reason(Craft(h =>
        {
            foreach (var tensor in Tensors(h))
            {
                tensor["data_offsets"]![0] = (long)tensor["data_offsets"]![0]! + 8;
                tensor["data_offsets"]![1] = (long)tensor["data_offsets"]![1]! + 8;
            }
        }, [.. new byte[8], .. bytes[(8 + HeaderLength)..]])));
        Assert.Contains("malformed", Reason(Craft(h => Tensors(h).First()["extra"] = 1)));
    }

    [Fact]
    public void Invalid_UTF8_in_the_header_is_rejected_as_a_corrupt_file()
    {
        var mutated = (byte[])bytes.Clone();
        var header = Encoding.UTF8.GetString(bytes, 8, HeaderLength);
        int at = 8 + Encoding.UTF8.GetByteCount(header[..(header.IndexOf("module_type", StringComparison.Ordinal) + 15)]);
        mutated[at] = 0xC3;
        mutated[at + 1] = 0x28;
        AssertLoadsOriginalOrIsRejected(mutated, "invalid UTF-8");
    }
}
