using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace LitGen.Runtime.Tests.Support;

/// <summary>Rewrites a checkpoint's safetensors header as an attacker would, with a checksum that matches LitGen's rule.</summary>
public static class CheckpointFiles
{
    private static readonly string Placeholder = new('0', 64);

    public static int HeaderLength(byte[] file) => (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    /// <summary>The file with its header edited (and optionally other data), checksummed as LitGen does.</summary>
    public static byte[] Craft(byte[] file, Action<JsonObject> editHeader, byte[]? data = null)
    {
        int headerLength = HeaderLength(file);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(file, 8, headerLength))!.AsObject();
        header["__metadata__"]!["litgen.sha256"] = Placeholder;
        editHeader(header);
        var text = header.ToJsonString();
        var headerBytes = Encoding.UTF8.GetBytes(text);
        data ??= file[(8 + headerLength)..];
        var crafted = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(crafted, (ulong)headerBytes.Length);
        headerBytes.CopyTo(crafted, 8);
        data.CopyTo(crafted, 8 + headerBytes.Length);
        var hash = Convert.ToHexString(SHA256.HashData(crafted)).ToLowerInvariant();
        Encoding.UTF8.GetBytes(text.Replace(Placeholder, hash)).CopyTo(crafted, 8);
        return crafted;
    }

    /// <summary>Edits the JSON document stored in one metadata entry (e.g. <c>callbacks</c>).</summary>
    public static byte[] EditMetadataJson(byte[] file, string key, Action<JsonNode> edit) => Craft(file, header =>
    {
        var metadata = header["__metadata__"]!;
        var document = JsonNode.Parse((string)metadata[key]!)!;
        edit(document);
        metadata[key] = document.ToJsonString();
    });
}
