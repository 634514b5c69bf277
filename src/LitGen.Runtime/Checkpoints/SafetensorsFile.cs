using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header with
/// <c>__metadata__</c>, then the raw little-endian tensor bytes), streaming, so checkpoints of any size open in any
/// safetensors reader. LitGen adds a SHA-256 of the whole file (header included, with the checksum's own value zeroed)
/// to the metadata, and reads under safetensors' rules: header at most 100 MB, known dtypes, sizes that match shapes,
/// offsets contiguous from 0 with no gap or overlap, every size checked before anything is allocated.
/// </summary>
internal static class SafetensorsFile
{
    public const string ChecksumKey = "litgen.sha256";
    // Format 1 checksummed the data section only.
    private const string DataChecksumKey = "litgen.data_sha256";
    private const long MaxHeaderBytes = 100 * 1024 * 1024;
    private const int BufferSize = 1 << 20;
    private static readonly string ChecksumPlaceholder = new('0', 64);

    private static readonly Dictionary<ScalarType, (string Name, int Size)> Dtypes = new()
    {
        [ScalarType.Float64] = ("F64", 8), [ScalarType.Float32] = ("F32", 4), [ScalarType.Float16] = ("F16", 2), [ScalarType.BFloat16] = ("BF16", 2),
        [ScalarType.Int64] = ("I64", 8), [ScalarType.Int32] = ("I32", 4), [ScalarType.Int16] = ("I16", 2), [ScalarType.Int8] = ("I8", 1),
        [ScalarType.Byte] = ("U8", 1), [ScalarType.Bool] = ("BOOL", 1),
    };
    private static readonly Dictionary<string, (ScalarType Dtype, int Size)> DtypesByName = Dtypes.ToDictionary(p => p.Value.Name, p => (p.Key, p.Value.Size));

    /// <summary>One entry to write: its header description and what writes its bytes.</summary>
    public sealed record Entry(string Name, string Dtype, long[] Shape, long Length, Action<Stream> WriteData);

    /// <summary>An entry for a tensor; its bytes are copied to the CPU (one tensor at a time) only while it is written.</summary>
    public static Entry TensorEntry(string name, Tensor tensor)
    {
        if (!Dtypes.TryGetValue(tensor.dtype, out var dtype))
            throw new NotSupportedException($"Tensor '{name}' has dtype {tensor.dtype}, which checkpoints cannot store.");
        return new Entry(name, dtype.Name, tensor.shape, tensor.numel() * dtype.Size, stream =>
        {
            using var scope = NewDisposeScope();
            tensor.detach().cpu().contiguous().WriteBytesToStream(stream, BufferSize);
        });
    }

    /// <summary>An entry of raw bytes.</summary>
    public static Entry BytesEntry(string name, byte[] bytes) => new(name, "U8", [bytes.LongLength], bytes.LongLength, stream => stream.Write(bytes));

    /// <summary>Writes the entries (sorted by name) and metadata to a seekable <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IEnumerable<Entry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        var sorted = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteString(ChecksumKey, ChecksumPlaceholder);
            json.WriteEndObject();
            long offset = 0;
            foreach (var entry in sorted)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.Dtype);
                json.WriteStartArray("shape");
                foreach (var dim in entry.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.Length;
            }
            json.WriteEndObject();
        }
        // The spec allows trailing spaces; padding to 8 bytes keeps the data aligned.
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        var headerBytes = header.ToArray();
        int checksumAt = IndexOfChecksum(headerBytes);

        long start = stream.Position;
        using var hashing = new HashingStream(stream);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        hashing.Write(length);
        hashing.Write(headerBytes);
        foreach (var entry in sorted)
        {
            long before = hashing.Count;
            entry.WriteData(hashing);
            if (hashing.Count - before != entry.Length)
                throw new InvalidOperationException($"Checkpoint entry '{entry.Name}' wrote {hashing.Count - before} bytes, not the {entry.Length} its header declares.");
        }
        long end = stream.Position;
        stream.Position = start + 8 + checksumAt;
        stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexString(hashing.Hash()).ToLowerInvariant()));
        stream.Position = end;
    }

    /// <summary>What <see cref="Read"/> found: the metadata, the tensors, and where the raw byte entries lie in the file.</summary>
    public sealed record Contents(Dictionary<string, string> Metadata, Dictionary<string, Tensor> Tensors, Dictionary<string, (long Offset, long Length)> Blobs);

    /// <summary>The metadata of a safetensors file, read from its header alone; null when the file is not one.</summary>
    public static IReadOnlyDictionary<string, string>? TryReadMetadata(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (file.Length < 8) return null;
            Span<byte> lengthBytes = stackalloc byte[8];
            file.ReadExactly(lengthBytes);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            if (headerLength > MaxHeaderBytes || headerLength > (ulong)(file.Length - 8) || headerLength < 2) return null;
            var headerBytes = new byte[(int)headerLength];
            file.ReadExactly(headerBytes);
            return ParseHeader(path, headerBytes).Metadata;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidCheckpointException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads and verifies a file; entries whose names start with one of <paramref name="blobPrefixes"/> are checked but
    /// left in the file (see <see cref="Contents.Blobs"/>). Every failure is an <see cref="InvalidCheckpointException"/> naming the path.
    /// </summary>
    public static Contents Read(string path, Action<IReadOnlyDictionary<string, string>> checkMetadata, params string[] blobPrefixes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        long fileLength = file.Length;
        if (fileLength < 8) throw new InvalidCheckpointException(path, $"the file is truncated ({fileLength} bytes; a checkpoint starts with an 8-byte header length).");
        Span<byte> lengthBytes = stackalloc byte[8];
        file.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(fileLength - 8) || headerLength < 2)
            throw new InvalidCheckpointException(path, $"the file is truncated or not a checkpoint (header of {headerLength} bytes in a file of {fileLength}).");
        var headerBytes = new byte[(int)headerLength];
        file.ReadExactly(headerBytes);

        var (metadata, entries) = ParseHeader(path, headerBytes);
        checkMetadata(metadata);
        long dataLength = fileLength - 8 - (long)headerLength;
        CheckLayout(path, entries, dataLength);
        var (expected, covers) = metadata.TryGetValue(ChecksumKey, out var full) ? (full, true)
            : metadata.TryGetValue(DataChecksumKey, out var data) ? (data, false)
            : throw new InvalidCheckpointException(path, "it has no checksum, so its integrity cannot be verified.");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (covers)
        {
            var zeroed = (byte[])headerBytes.Clone();
            var at = IndexOfChecksum(zeroed);
            Encoding.ASCII.GetBytes(ChecksumPlaceholder).CopyTo(zeroed, at);
            hash.AppendData(lengthBytes);
            hash.AppendData(zeroed);
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var blobs = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        try
        {
            using var reading = new HashingStream(file, hash);
            foreach (var entry in entries.OrderBy(e => e.Begin))
            {
                if (blobPrefixes.Any(prefix => entry.Name.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    blobs[entry.Name] = (8 + (long)headerLength + entry.Begin, entry.End - entry.Begin);
                    CopyExactly(reading, Stream.Null, entry.End - entry.Begin);
                    continue;
                }
                var tensor = empty(entry.Shape, entry.Dtype);
                tensors[entry.Name] = tensor;
                if (entry.End > entry.Begin) tensor.ReadBytesFromStream(reading, BufferSize);
            }
            if (Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant() != expected)
                throw new InvalidCheckpointException(path, "its content does not match its checksum (the file is corrupt).");
            return new Contents(metadata, tensors, blobs);
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
    }

    private sealed record EntryInfo(string Name, ScalarType Dtype, long[] Shape, long Begin, long End);

    private static (Dictionary<string, string> Metadata, List<EntryInfo> Entries) ParseHeader(string path, byte[] header)
    {
        try
        {
            using var document = JsonDocument.Parse(header);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("__metadata__", out var metadataElement) || metadataElement.ValueKind != JsonValueKind.Object)
                throw new InvalidCheckpointException(path, "it has no safetensors metadata, so it was not written by LitGen.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in metadataElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(property.Name, property.Value.GetString()!))
                    throw new InvalidCheckpointException(path, $"its metadata entry '{property.Name}' is not a single string.");
            }
            var entries = new List<EntryInfo>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == "__metadata__") continue;
                if (!names.Add(property.Name)) throw new InvalidCheckpointException(path, $"tensor '{property.Name}' appears twice.");
                entries.Add(ParseEntry(path, property));
            }
            return (metadata, entries);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or KeyNotFoundException)
        {
            throw new InvalidCheckpointException(path, "its header is not valid safetensors JSON (the file is corrupt or not a checkpoint).", e);
        }
    }

    private static EntryInfo ParseEntry(string path, JsonProperty property)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Count() != 3
            || !value.TryGetProperty("dtype", out var dtypeElement) || !value.TryGetProperty("shape", out var shapeElement)
            || !value.TryGetProperty("data_offsets", out var offsetsElement)
            || shapeElement.ValueKind != JsonValueKind.Array || offsetsElement.ValueKind != JsonValueKind.Array)
            throw new InvalidCheckpointException(path, $"the header entry of tensor '{property.Name}' is malformed.");
        if (!DtypesByName.TryGetValue(dtypeElement.GetString() ?? "", out var dtype))
            throw new InvalidCheckpointException(path, $"tensor '{property.Name}' has an unsupported dtype.");
        var shape = shapeElement.EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var offsets = offsetsElement.EnumerateArray().Select(e => e.GetInt64()).ToArray();
        if (shape.Any(d => d < 0)) throw new InvalidCheckpointException(path, $"tensor '{property.Name}' has a negative dimension.");
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            throw new InvalidCheckpointException(path, $"tensor '{property.Name}' has invalid data offsets.");
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (product, dim) => product * dim) * dtype.Size);
        }
        catch (OverflowException)
        {
            throw new InvalidCheckpointException(path, $"tensor '{property.Name}' has a shape too large for any file.");
        }
        if (bytes != offsets[1] - offsets[0])
            throw new InvalidCheckpointException(path, $"tensor '{property.Name}' has {offsets[1] - offsets[0]} bytes but its shape and dtype need {bytes}.");
        return new EntryInfo(property.Name, dtype.Dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>Safetensors' layout rule: the entries tile the data section exactly, in offset order, from 0 to its end.</summary>
    private static void CheckLayout(string path, List<EntryInfo> entries, long dataLength)
    {
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expected)
                throw new InvalidCheckpointException(path, entry.Begin < expected
                    ? $"tensor '{entry.Name}' overlaps the one before it."
                    : $"there are {entry.Begin - expected} unused bytes before tensor '{entry.Name}'.");
            expected = entry.End;
        }
        if (expected > dataLength)
            throw new InvalidCheckpointException(path, $"the file is truncated: its tensors need {expected} data bytes but only {dataLength} are present.");
        if (expected < dataLength)
            throw new InvalidCheckpointException(path, $"the file has {dataLength - expected} unexpected bytes after its tensor data (corrupt or concatenated).");
    }

    private static int IndexOfChecksum(byte[] header)
    {
        var key = Encoding.ASCII.GetBytes($"\"{ChecksumKey}\":\"");
        int at = header.AsSpan().IndexOf(key);
        if (at < 0) throw new InvalidOperationException("The checksum entry is missing from the header.");
        return at + key.Length;
    }

    internal static void CopyExactly(Stream source, Stream destination, long length)
    {
        var buffer = new byte[(int)Math.Min(BufferSize, Math.Max(1, length))];
        while (length > 0)
        {
            int read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (read == 0) throw new EndOfStreamException($"{length} bytes were missing.");
            destination.Write(buffer, 0, read);
            length -= read;
        }
    }

    /// <summary>Passes reads or writes through to another stream while hashing every byte and counting them.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash? hash = null) : Stream
    {
        private readonly IncrementalHash hash = hash ?? IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly bool ownsHash = hash is null;

        public long Count { get; private set; }

        public byte[] Hash() => hash.GetHashAndReset();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read = inner.Read(buffer);
            hash.AppendData(buffer[..read]);
            Count += read;
            return read;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            hash.AppendData(buffer);
            Count += buffer.Length;
        }

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && ownsHash) hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
