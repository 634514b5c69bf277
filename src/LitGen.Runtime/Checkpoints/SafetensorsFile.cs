using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header with
/// <c>__metadata__</c>, then the raw little-endian tensor bytes), so checkpoints open in any safetensors reader.
/// LitGen adds a SHA-256 of the data section to the metadata to detect corruption.
/// </summary>
internal static class SafetensorsFile
{
    public const string DataHashKey = "litgen.data_sha256";
    private const long MaxHeaderBytes = 100 * 1024 * 1024;

    private static readonly Dictionary<ScalarType, string> DtypeNames = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };
    private static readonly Dictionary<string, ScalarType> DtypesByName = DtypeNames.ToDictionary(p => p.Value, p => p.Key);

    /// <summary>Writes the tensors (sorted by name) and metadata to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        var payloads = new byte[names.Length][];
        for (int i = 0; i < names.Length; i++)
        {
            // The scope frees the detached/CPU/contiguous intermediates, whichever of them are new tensors.
            using var scope = NewDisposeScope();
            var cpu = tensors[names[i]].detach().cpu().contiguous();
            if (!DtypeNames.ContainsKey(cpu.dtype))
                throw new NotSupportedException($"Tensor '{names[i]}' has dtype {cpu.dtype}, which checkpoints cannot store.");
            payloads[i] = cpu.bytes.ToArray();
        }

        using var sha = SHA256.Create();
        foreach (var payload in payloads) sha.TransformBlock(payload, 0, payload.Length, null, 0);
        sha.TransformFinalBlock([], 0, 0);

        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteString(DataHashKey, Convert.ToHexString(sha.Hash!).ToLowerInvariant());
            json.WriteEndObject();
            long offset = 0;
            for (int i = 0; i < names.Length; i++)
            {
                var tensor = tensors[names[i]];
                json.WriteStartObject(names[i]);
                json.WriteString("dtype", DtypeNames[tensor.dtype]);
                json.WriteStartArray("shape");
                foreach (var dim in tensor.shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + payloads[i].Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += payloads[i].Length;
            }
            json.WriteEndObject();
        }
        // The spec allows trailing spaces; padding to 8 bytes keeps the data aligned.
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var payload in payloads) stream.Write(payload);
    }

    /// <summary>Reads and verifies a file; every failure becomes an <see cref="InvalidCheckpointException"/> naming the path.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidCheckpointException(path, $"the file is truncated ({bytes.Length} bytes; a checkpoint starts with an 8-byte header length).");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > bytes.Length - 8)
            throw new InvalidCheckpointException(path, $"the file is truncated or not a checkpoint (header of {headerLength} bytes in a file of {bytes.Length}).");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidCheckpointException(path, "its header is not valid JSON (the file is corrupt or not a checkpoint).", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("__metadata__", out var metadataElement) || metadataElement.ValueKind != JsonValueKind.Object)
                throw new InvalidCheckpointException(path, "it has no safetensors metadata, so it was not written by LitGen.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in metadataElement.EnumerateObject())
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            CheckpointMetadata.EnsureLitGenFormat(path, metadata);

            int dataStart = 8 + (int)headerLength;
            long dataLength = bytes.Length - dataStart;
            var entries = new List<(string Name, ScalarType Dtype, long[] Shape, long Begin, long End)>();
            long dataEnd = 0;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                try
                {
                    var dtype = DtypesByName.TryGetValue(property.Value.GetProperty("dtype").GetString() ?? "", out var d) ? d
                        : throw new InvalidCheckpointException(path, $"tensor '{property.Name}' has an unsupported dtype.");
                    var shape = property.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    var offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                        throw new InvalidCheckpointException(path, $"tensor '{property.Name}' has invalid data offsets.");
                    entries.Add((property.Name, dtype, shape, offsets[0], offsets[1]));
                    dataEnd = Math.Max(dataEnd, offsets[1]);
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new InvalidCheckpointException(path, $"the header entry of tensor '{property.Name}' is malformed.", e);
                }
            }
            if (dataEnd > dataLength)
                throw new InvalidCheckpointException(path, $"the file is truncated: its tensors need {dataEnd} data bytes but only {dataLength} are present.");
            if (dataEnd < dataLength)
                throw new InvalidCheckpointException(path, $"the file has {dataLength - dataEnd} unexpected bytes after its tensor data (corrupt or concatenated).");

            var expectedHash = metadata.GetValueOrDefault(DataHashKey);
            var actualHash = Convert.ToHexString(SHA256.HashData(bytes.AsSpan(dataStart))).ToLowerInvariant();
            if (expectedHash != actualHash)
                throw new InvalidCheckpointException(path, "the tensor data does not match its checksum (the file is corrupt).");

            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, dtype, shape, begin, end) in entries)
            {
                var tensor = empty(shape, dtype);
                var expected = tensor.numel() * tensor.element_size();
                if (expected != end - begin)
                {
                    tensor.Dispose();
                    throw new InvalidCheckpointException(path, $"tensor '{name}' has {end - begin} bytes but its shape and dtype need {expected}.");
                }
                if (expected > 0) tensor.bytes = bytes.AsSpan(dataStart + (int)begin, (int)expected);
                tensors[name] = tensor;
            }
            return (tensors, metadata);
        }
    }
}
