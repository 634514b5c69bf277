using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Weights in the files PyTorch users have: a <c>torch.save</c>d state dict (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>), a
/// Lightning <c>.ckpt</c> (its <c>state_dict</c>), a safetensors file, or a LitGen checkpoint; recognised by content,
/// not by name. Written as a state dict <c>torch.load</c> reads, or as safetensors, by extension.
/// </summary>
internal static class WeightFiles
{
    /// <summary>The weights in <paramref name="path"/>, by name; the caller disposes them.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Weight file '{path}' does not exist.", path);
        var head = new byte[16];
        int read;
        using (var probe = File.OpenRead(path)) read = probe.Read(head);
        if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return ReadTorchZip(path);
        if (read >= 9 && head[8] == (byte)'{') return ReadSafetensors(path);
        if (read >= 2 && head[0] == 0x80)
            throw new InvalidCheckpointException(path,
                "it is a torch.save file in the legacy (pre-1.6) format; save it again in PyTorch with torch.save(obj, path), whose default has been the zip format since PyTorch 1.6.");
        throw new InvalidCheckpointException(path, "it is neither a torch.save file (.pt/.pth/.bin, a Lightning .ckpt), nor safetensors, nor a LitGen checkpoint.");
    }

    /// <summary>Writes <paramref name="weights"/>: safetensors for <c>.safetensors</c>, else a state dict for <c>torch.load</c>.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> weights)
    {
        var cpu = weights.ToDictionary(p => p.Key, p => p.Value.detach().cpu().contiguous(), StringComparer.Ordinal);
        try
        {
            if (Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase))
                AtomicFile.Write(path, stream => Safetensors.SaveStateDict(stream, cpu, leaveOpen: true));
            else
                AtomicFile.Write(path, stream => PyTorchPickler.PickleStateDict(stream, new Hashtable(cpu), leaveOpen: true));
        }
        finally
        {
            foreach (var tensor in cpu.Values) tensor.Dispose();
        }
    }

    private static Dictionary<string, Tensor> ReadTorchZip(string path)
    {
        Hashtable contents;
        try
        {
            contents = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not InvalidCheckpointException)
        {
            throw new InvalidCheckpointException(path, $"it could not be read as a torch.save file ({e.GetType().Name}: {e.Message}).", e);
        }
        // A Lightning checkpoint keeps the module's weights under "state_dict", beside the loops, optimizers and callbacks.
        var stateDict = contents["state_dict"] as Hashtable ?? contents;
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in stateDict)
            if (entry.Key is string key && entry.Value is Tensor tensor) weights[key] = tensor;
        if (weights.Count == 0)
            throw new InvalidCheckpointException(path, "it holds no tensors: expected a state dict (torch.save(model.state_dict(), path)) or a Lightning checkpoint.");
        return weights;
    }

    private static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        if (IsLitGenCheckpoint(path))
        {
            using var checkpoint = Checkpoint.Load(path);
            return checkpoint.StateDict.ToDictionary(p => p.Key, p => p.Value.clone(), StringComparer.Ordinal);
        }
        try
        {
            return Safetensors.LoadStateDict(path);
        }
        catch (Exception e)
        {
            throw new InvalidCheckpointException(path, $"it could not be read as safetensors ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    private static bool IsLitGenCheckpoint(string path)
    {
        using var file = File.OpenRead(path);
        var length = new byte[8];
        file.ReadExactly(length);
        long headerLength = BitConverter.ToInt64(length);
        if (headerLength <= 0 || headerLength > Math.Min(file.Length - 8, 100L * 1024 * 1024)) return false;
        var header = new byte[headerLength];
        file.ReadExactly(header);
        return Encoding.UTF8.GetString(header).Contains("\"litgen-checkpoint\"", StringComparison.Ordinal);
    }
}
