using System;
using System.Collections.Generic;
using System.Linq;

namespace LitGen;

// Weights to and from PyTorch and Lightning files.
public abstract partial class LightningModule
{
    /// <summary>
    /// Loads weights only, from a PyTorch <c>torch.save</c> state dict (<c>.pt</c>/<c>.pth</c>/<c>.bin</c>), a Lightning
    /// <c>.ckpt</c> (its <c>state_dict</c>), a safetensors file or a LitGen checkpoint — recognised by content. Keys are the
    /// module's parameter paths (<c>net.0.weight</c>), as in PyTorch; with <paramref name="strict"/> every key must match,
    /// and shapes always must.
    /// </summary>
    public void LoadWeights(string path, bool strict = true) => LoadWeights(path, key => key, strict);

    /// <summary>
    /// Loads weights as <see cref="LoadWeights(string, bool)"/>, renaming every key of the file with <paramref name="mapKey"/>
    /// first (return null to leave a weight out), e.g. <c>key => "backbone." + key</c> for the state dict of a PyTorch
    /// module that is the <c>backbone</c> field here, or <c>key => key.StartsWith("model.") ? key[6..] : null</c>.
    /// </summary>
    public void LoadWeights(string path, Func<string, string?> mapKey, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(mapKey);
        EnsureComponentsRegistered();
        ConfigureModel();
        RegisterLateComponents();
        var loaded = WeightFiles.Read(path);
        try
        {
            var mapped = new Dictionary<string, TorchSharp.torch.Tensor>(StringComparer.Ordinal);
            foreach (var (key, tensor) in loaded)
                if (mapKey(key) is { } name) mapped[name] = tensor;
            CopyWeights(mapped, path, strict);
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    /// <summary>
    /// Writes this module's weights (its state dict) where PyTorch reads them: a <c>.safetensors</c> file
    /// (<c>safetensors.torch.load_file</c>), or for any other extension a state dict <c>torch.load</c> reads.
    /// </summary>
    public void ExportWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureComponentsRegistered();
        WeightFiles.Write(path, state_dict().ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }
}
