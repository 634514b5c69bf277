using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The content of one <c>.ckpt</c> file: a safetensors file whose tensors are the module's state dict (plus
/// <c>litgen.*</c> entries for optimizer state) and whose metadata holds everything else as JSON text.
/// Loading never executes code from the file; a truncated, corrupt or foreign file is rejected with its path.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    internal const string OptimizerStatePrefix = "litgen.optimizer_states.";
    private const string RngStateKey = "litgen.rng_state";

    /// <summary>The LitGen version that wrote the checkpoint.</summary>
    public string LitGenVersion { get; init; } = CheckpointMetadata.CurrentLitGenVersion;

    /// <summary>The full name of the module type (e.g. <c>MyApp.LitClassifier</c>).</summary>
    public required string ModuleType { get; init; }

    /// <summary>The epoch the checkpoint was taken in (0-based, as Lightning's <c>epoch</c> key).</summary>
    public int Epoch { get; init; }

    /// <summary>Optimizer steps taken when the checkpoint was written.</summary>
    public long GlobalStep { get; init; }

    /// <summary>The trainer precision (<c>"32-true"</c>, …).</summary>
    public string Precision { get; init; } = "32-true";

    /// <summary>The module's hyperparameters as JSON, as written by its generated <c>HyperParameters</c> record.</summary>
    public string HyperparametersJson { get; init; } = "{}";

    /// <summary>The module's weights and buffers, on the CPU, keyed as in <c>state_dict()</c>.</summary>
    public required IReadOnlyDictionary<string, Tensor> StateDict { get; init; }

    /// <summary>Written with weights only (<c>ModelCheckpoint.SaveWeightsOnly</c>): no optimizer, scheduler or callback state to resume from.</summary>
    public bool WeightsOnly { get; init; }

    /// <summary>Each optimizer's state in TorchSharp's <c>save_state_dict</c> format, in <c>ConfigureOptimizers</c> order, left on disk.</summary>
    internal IReadOnlyList<CheckpointBlob> OptimizerStates { get; init; } = [];

    /// <summary>The trainer's loop state (epoch, progress within it, counters, metrics) for exact resumption.</summary>
    public JsonObject Loops { get; init; } = new();

    /// <summary>Per scheduler, in order, every step it took: <c>null</c> for a plain step, the metric for ReduceLROnPlateau.
    /// TorchSharp's schedulers have no state of their own; replaying these steps reproduces them exactly.</summary>
    public JsonArray LrSchedulers { get; init; } = new();

    /// <summary>libtorch's random generator state when the checkpoint was taken (<c>get_rng_state</c>), if recorded.</summary>
    public byte[]? RngState { get; init; }

    /// <summary>
    /// The gradient scaler's state of a <c>"16-mixed"</c> run (the keys of PyTorch's <c>GradScaler.state_dict()</c>), stored
    /// under Lightning's key <c>MixedPrecision</c>; null for other precisions.
    /// </summary>
    public JsonObject? GradScalerState { get; init; }

    /// <summary>Callback states keyed by <c>Callback.StateKey</c>.</summary>
    public JsonObject CallbackStates { get; init; } = new();

    /// <summary>User entries: add to it in <c>OnSaveCheckpoint</c>, read them in <c>OnLoadCheckpoint</c>.</summary>
    public JsonObject Extra { get; init; } = new();

    /// <summary>The format version of the file it was read from (the current one for a new checkpoint).</summary>
    internal int FormatVersion { get; private init; } = CheckpointMetadata.FormatVersion;

    /// <summary>The file this checkpoint was read from, when it was read from one.</summary>
    public string? SourcePath { get; private init; }

    /// <summary>
    /// Writes the checkpoint to <paramref name="path"/> atomically: a temporary file in the same folder, flushed to disk,
    /// then a rename. A failure (a full disk, a folder without write permission) leaves any previous file untouched.
    /// </summary>
    public void Save(string path)
    {
        var entries = new List<SafetensorsFile.Entry>(StateDict.Count + OptimizerStates.Count + 1);
        foreach (var (key, value) in StateDict)
        {
            if (key.StartsWith("litgen.", StringComparison.Ordinal))
                throw new InvalidOperationException($"State dict key '{key}' uses the prefix reserved for LitGen's own entries; rename the field.");
            entries.Add(SafetensorsFile.TensorEntry(key, value));
        }
        if (RngState is { } rng) entries.Add(SafetensorsFile.BytesEntry(RngStateKey, rng));
        for (int i = 0; i < OptimizerStates.Count; i++)
        {
            var blob = OptimizerStates[i];
            entries.Add(new SafetensorsFile.Entry(OptimizerStatePrefix + i.ToString(CultureInfo.InvariantCulture), "U8", [blob.Length], blob.Length, blob.WriteTo));
        }

        try
        {
            AtomicFile.Write(path, stream => SafetensorsFile.Write(stream, entries, CheckpointMetadata.Write(this)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Could not write checkpoint '{path}': {e.Message} Files written before are unchanged.", e);
        }
    }

    /// <summary>Reads and verifies a checkpoint file, without loading optimizer state into memory.</summary>
    /// <exception cref="InvalidCheckpointException">The file is truncated, corrupt, foreign or malformed.</exception>
    public static Checkpoint Load(string path)
    {
        var contents = SafetensorsFile.Read(path, metadata => CheckpointMetadata.EnsureLitGenFormat(path, metadata), OptimizerStatePrefix, RngStateKey);
        var tensors = contents.Tensors;
        try
        {
            var optimizerStates = contents.Blobs.Keys
                .Where(k => k.StartsWith(OptimizerStatePrefix, StringComparison.Ordinal))
                .Select(k => (Index: int.Parse(k.AsSpan(OptimizerStatePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture), Key: k))
                .OrderBy(p => p.Index)
                .Select((p, i) => p.Index == i ? contents.Blobs[p.Key] : throw new FormatException($"optimizer state {i} is missing"))
                .Select(region => CheckpointBlob.InFile(path, region.Offset, region.Length))
                .ToArray();
            byte[]? rngState = null;
            if (contents.Blobs.TryGetValue(RngStateKey, out var rng))
            {
                using var stream = CheckpointBlob.InFile(path, rng.Offset, rng.Length).Open();
                rngState = new byte[rng.Length];
                stream.ReadExactly(rngState);
            }
            if (tensors.Keys.FirstOrDefault(k => k.StartsWith("litgen.", StringComparison.Ordinal)) is { } unknown)
                throw new FormatException($"'{unknown}' is not an entry this LitGen knows");
            var header = CheckpointMetadata.Read(path, contents.Metadata);
            return new Checkpoint
            {
                FormatVersion = header.FormatVersion,
                WeightsOnly = header.WeightsOnly,
                LitGenVersion = header.LitGenVersion,
                ModuleType = header.ModuleType,
                Epoch = header.Epoch,
                GlobalStep = header.GlobalStep,
                Precision = header.Precision,
                HyperparametersJson = header.HyperparametersJson,
                CallbackStates = header.CallbackStates,
                GradScalerState = header.GradScalerState,
                Extra = header.Extra,
                Loops = header.Loops,
                LrSchedulers = header.LrSchedulers,
                RngState = rngState,
                StateDict = tensors,
                OptimizerStates = optimizerStates,
                SourcePath = path,
            };
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or OverflowException or InvalidOperationException or ArgumentException)
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw new InvalidCheckpointException(path, "its metadata is malformed: " + e.Message, e);
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>Throws unless this checkpoint was written for a module of type <paramref name="moduleType"/>.</summary>
    public void EnsureModuleType(Type moduleType)
    {
        if (ModuleType != moduleType.FullName)
            throw new InvalidCheckpointException(SourcePath ?? "(in memory)",
                $"it was written for module type '{ModuleType}', not '{moduleType.FullName}'. Load it with {ModuleType.Split('.').Last()}.LoadFromCheckpoint.");
    }

    /// <summary>
    /// Parses <see cref="HyperparametersJson"/> with a generated <c>HyperParameters.FromJson</c>; a malformed entry is
    /// reported as an invalid checkpoint.
    /// </summary>
    public T ReadHyperparameters<T>(Func<string, T> fromJson)
    {
        ArgumentNullException.ThrowIfNull(fromJson);
        try
        {
            return fromJson(HyperparametersJson);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            throw new InvalidCheckpointException(SourcePath ?? "(in memory)", "its hyperparameters cannot be read: " + e.Message, e);
        }
    }

    /// <summary>
    /// Builds the module a generated <c>LoadFromCheckpoint</c> restores from this checkpoint's hyperparameters; a
    /// constructor that refuses them (a negative layer width, a size no memory holds: an exception of .NET or of libtorch)
    /// is reported as an invalid checkpoint naming the file and the values, never as a native error.
    /// </summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public T CreateModule<T>(Func<T> create, IHyperparameters hyperparameters) where T : LightningModule
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(hyperparameters);
        try
        {
            return create();
        }
        catch (Exception e) when (e is not InvalidCheckpointException)
        {
            // libtorch's messages go on with its native stack: the first line says what was refused.
            var reason = e.Message.Split('\n', 2)[0].Trim();
            var values = System.Text.Json.Nodes.JsonNode.Parse(hyperparameters.ToJson())!.ToJsonString();
            throw new InvalidCheckpointException(SourcePath ?? "(in memory)", $"its hyperparameters {values} do not build a {typeof(T).Name}: {reason}", e);
        }
    }

    /// <summary>Frees the tensors of <see cref="StateDict"/> when the checkpoint was read from a file.</summary>
    public void Dispose()
    {
        if (SourcePath is null) return;
        foreach (var tensor in StateDict.Values) tensor.Dispose();
    }
}
