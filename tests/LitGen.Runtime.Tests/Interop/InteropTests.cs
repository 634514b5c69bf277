using System.Diagnostics;
using System.Text.Json;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Interop;

/// <summary>
/// Weights to and from PyTorch: the files in Fixtures were written by PyTorch 1.13 (Fixtures/make_fixtures.py), and
/// where PyTorch is installed, LitGen's exports are read back by PyTorch itself.
/// </summary>
public class InteropTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", name);

    private static Dictionary<string, float[]> Expected()
        => JsonSerializer.Deserialize<Dictionary<string, float[]>>(File.ReadAllText(Fixture("expected.json")))!;

    private static void AssertWeights(LightningModule module, Dictionary<string, float[]> expected)
    {
        foreach (var (name, values) in expected)
            Assert.Equal(values, module.state_dict()[name].flatten().data<float>().ToArray());
    }

    [Theory]
    [InlineData("state_dict.pt")]
    [InlineData("lightning.ckpt")]
    [InlineData("state_dict.safetensors")]
    public void Weights_written_by_PyTorch_load_bit_exactly(string file)
    {
        var module = new RegressionModule();
        module.LoadWeights(Fixture(file));
        AssertWeights(module, Expected());
    }

    [Fact]
    public void A_submodules_state_dict_loads_under_a_key_prefix()
    {
        var module = new RegressionModule();
        var before = module.state_dict()["output.weight"].clone();
        Assert.Throws<InvalidCheckpointException>(() => module.LoadWeights(Fixture("input_layer.pt")));
        module.LoadWeights(Fixture("input_layer.pt"), key => "input." + key, strict: false);
        var expected = Expected();
        Assert.Equal(expected["input.weight"], module.state_dict()["input.weight"].flatten().data<float>().ToArray());
        Assert.True(before.equal(module.state_dict()["output.weight"]).all().item<bool>());
    }

    [Fact]
    public void Mismatches_and_unreadable_files_fail_naming_the_file_and_the_problem()
    {
        var wrongShape = new RegressionModule(hidden: 4);
        var error = Assert.Throws<InvalidCheckpointException>(() => wrongShape.LoadWeights(Fixture("state_dict.pt")));
        Assert.Contains("state_dict.pt", error.Message);
        Assert.Contains("shape", error.Message);
        var legacy = Assert.Throws<InvalidCheckpointException>(() => new RegressionModule().LoadWeights(Fixture("legacy.pt")));
        Assert.Contains("legacy", legacy.Message);
        using var dir = new TempDir();
        var junk = Path.Combine(dir.Path, "weights.bin");
        File.WriteAllText(junk, "not weights");
        Assert.Throws<InvalidCheckpointException>(() => new RegressionModule().LoadWeights(junk));
    }

    [Theory]
    [InlineData("exported.pt")]
    [InlineData("exported.safetensors")]
    public void Exported_weights_load_back_bit_exactly(string file)
    {
        using var dir = new TempDir();
        var source = new RegressionModule();
        var path = Path.Combine(dir.Path, file);
        source.ExportWeights(path);
        var target = new RegressionModule();
        target.LoadWeights(path);
        foreach (var (name, value) in source.state_dict())
            Assert.True(value.equal(target.state_dict()[name]).all().item<bool>(), name);
    }

    [PyTorchFact]
    public void PyTorch_reads_exported_weights_and_LitGen_reads_what_PyTorch_writes_back()
    {
        using var dir = new TempDir();
        var source = new RegressionModule();
        var pt = Path.Combine(dir.Path, "exported.pt");
        var safetensors = Path.Combine(dir.Path, "exported.safetensors");
        source.ExportWeights(pt);
        source.ExportWeights(safetensors);
        var doubled = Path.Combine(dir.Path, "doubled.pt");
        var script = """
            import json, struct, sys, torch
            state = torch.load(sys.argv[1])
            with open(sys.argv[2], "rb") as f:
                size = struct.unpack("<Q", f.read(8))[0]
                header = json.loads(f.read(size))
                data = f.read()
            for name, info in header.items():
                if name == "__metadata__": continue
                begin, end = info["data_offsets"]
                other = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(info["shape"])
                assert torch.equal(other, state[name]), name
            torch.save({k: v * 2 for k, v in state.items()}, sys.argv[3])
            print(json.dumps({k: v.flatten().tolist() for k, v in state.items()}))
            """;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", script, pt, safetensors, doubled }) start.ArgumentList.Add(arg);
        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEnd();
        var errors = python.StandardError.ReadToEnd();
        Assert.True(python.WaitForExit(120_000) && python.ExitCode == 0, errors);

        var readByPyTorch = JsonSerializer.Deserialize<Dictionary<string, float[]>>(output)!;
        AssertWeights(source, readByPyTorch);
        var target = new RegressionModule();
        target.LoadWeights(doubled);
        foreach (var (name, value) in source.state_dict())
            Assert.True((value * 2).equal(target.state_dict()[name]).all().item<bool>(), name);
    }
}
