using System.ComponentModel;
using TorchSharp;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

public abstract partial class LightningModule
{
    /// <summary>
    /// Loads a checkpoint's weights into a module built by <c>LoadFromCheckpoint</c>, in Lightning's order:
    /// <see cref="ConfigureModel"/> (late-built layers), <see cref="OnLoadCheckpoint"/>, then the state dict (every key
    /// must match when <paramref name="strict"/>), then a move to <paramref name="mapLocation"/>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected internal void LoadCheckpointState(Checkpoint checkpoint, Device? mapLocation, bool strict)
    {
        EnsureComponentsRegistered();
        ConfigureModel();
        RegisterLateComponents();
        LoadWeightsFrom(checkpoint, mapLocation, strict);
    }

    /// <summary>Loads a checkpoint's weights into this (configured) module: <see cref="OnLoadCheckpoint"/>, then the state dict.</summary>
    internal void LoadWeightsFrom(Checkpoint checkpoint, Device? mapLocation, bool strict)
    {
        OnLoadCheckpoint(checkpoint);
        CopyWeights(checkpoint.StateDict, checkpoint.SourcePath ?? "(in memory)", strict);
        if (mapLocation is not null)
        {
            this.to(mapLocation);
            Device = mapLocation;
        }
    }

    /// <summary>Copies <paramref name="weights"/> into the module's state after <see cref="EnsureWeightsMatch(IReadOnlyDictionary{string, Tensor}, string, bool)"/>.</summary>
    internal void CopyWeights(IReadOnlyDictionary<string, Tensor> weights, string path, bool strict)
    {
        EnsureWeightsMatch(weights, path, strict);
        using (no_grad())
        {
            foreach (var (key, target) in state_dict())
                if (weights.TryGetValue(key, out var source)) target.copy_(source);
        }
    }

    /// <summary>Throws unless the checkpoint's weights fit this module: the same keys (when strict) and shapes.</summary>
    internal void EnsureWeightsMatch(Checkpoint checkpoint, bool strict) => EnsureWeightsMatch(checkpoint.StateDict, checkpoint.SourcePath ?? "(in memory)", strict);

    /// <summary>Throws unless <paramref name="weights"/> fit this module: the same keys (when strict) and shapes.</summary>
    internal void EnsureWeightsMatch(IReadOnlyDictionary<string, Tensor> weights, string path, bool strict)
    {
        var own = state_dict();
        var missing = own.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidCheckpointException(path,
                $"its weights do not match {GetType().Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]. " +
                "Check the hyperparameters that shape the layers, or pass strict: false to load only the matching weights.");

        foreach (var (key, target) in own)
        {
            if (!weights.TryGetValue(key, out var source)) continue;
            if (!source.shape.SequenceEqual(target.shape))
                throw new InvalidCheckpointException(path,
                    $"weight '{key}' has shape [{string.Join(", ", source.shape)}] but {GetType().Name} expects [{string.Join(", ", target.shape)}].");
        }
    }
}
