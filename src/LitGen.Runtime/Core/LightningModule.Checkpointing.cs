using System.ComponentModel;
using TorchSharp;
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
        EnsureWeightsMatch(checkpoint, strict);
        using (no_grad())
        {
            foreach (var (key, target) in state_dict())
                if (checkpoint.StateDict.TryGetValue(key, out var source)) target.copy_(source);
        }
        if (mapLocation is not null)
        {
            this.to(mapLocation);
            Device = mapLocation;
        }
    }

    /// <summary>Throws unless the checkpoint's weights fit this module: the same keys (when strict) and shapes.</summary>
    internal void EnsureWeightsMatch(Checkpoint checkpoint, bool strict)
    {
        var path = checkpoint.SourcePath ?? "(in memory)";
        var own = state_dict();
        var missing = own.Keys.Where(k => !checkpoint.StateDict.ContainsKey(k)).ToList();
        var unexpected = checkpoint.StateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidCheckpointException(path,
                $"its weights do not match {GetType().Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]. " +
                "Check the hyperparameters that shape the layers, or pass strict: false to load only the matching weights.");

        foreach (var (key, target) in own)
        {
            if (!checkpoint.StateDict.TryGetValue(key, out var source)) continue;
            if (!source.shape.SequenceEqual(target.shape))
                throw new InvalidCheckpointException(path,
                    $"weight '{key}' has shape [{string.Join(", ", source.shape)}] but {GetType().Name} expects [{string.Join(", ", target.shape)}].");
        }
    }
}
