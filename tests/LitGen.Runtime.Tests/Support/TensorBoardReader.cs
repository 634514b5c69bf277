using System.Buffers.Binary;
using System.Text;

namespace LitGen.Runtime.Tests.Support;

/// <summary>
/// An independent reader of TensorBoard event files: TFRecord framing with masked CRC-32C checks, and just
/// enough protobuf decoding for Event.step / file_version / summary.value (tag, simple_value).
/// </summary>
public static class TensorBoardReader
{
    public sealed record ScalarEvent(string Tag, float Value, long Step);

    /// <summary>A summary carrying plugin data (e.g. TensorBoard's HParams plugin).</summary>
    public sealed record PluginEvent(string Tag, string Plugin, byte[] Content);

    /// <summary>A histogram summary (HistogramProto).</summary>
    public sealed record HistogramEvent(string Tag, long Step, double Min, double Max, double Count, double Sum, double[] BucketLimits, double[] BucketCounts);

    /// <summary>An image summary: its size, channels and encoded bytes.</summary>
    public sealed record ImageEvent(string Tag, long Step, int Height, int Width, int Channels, byte[] Encoded);

    /// <summary>A text summary (the text plugin's string tensor).</summary>
    public sealed record TextEvent(string Tag, long Step, string Text);

    /// <summary>Histograms, images and text of an event file.</summary>
    public static (List<HistogramEvent> Histograms, List<ImageEvent> Images, List<TextEvent> Texts) ReadRich(string path)
    {
        var (histograms, images, texts) = (new List<HistogramEvent>(), new List<ImageEvent>(), new List<TextEvent>());
        foreach (var (step, value) in SummaryValues(path))
        {
            var fields = Fields(value).ToList();
            var tag = Encoding.UTF8.GetString(fields.Single(f => f.Field == 1).Payload!);
            if (fields.SingleOrDefault(f => f.Field == 5 && f.Wire == 2).Payload is { } histo)
            {
                var h = Fields(histo).ToList();
                double D(int field) => BitConverter.UInt64BitsToDouble(h.Single(f => f.Field == field).Value);
                double[] Packed(int field) => Enumerable.Range(0, h.Single(f => f.Field == field).Payload!.Length / 8)
                    .Select(i => BinaryPrimitives.ReadDoubleLittleEndian(h.Single(f => f.Field == field).Payload!.AsSpan(8 * i))).ToArray();
                histograms.Add(new HistogramEvent(tag, step, D(1), D(2), D(3), D(4), Packed(6), Packed(7)));
            }
            if (fields.SingleOrDefault(f => f.Field == 4 && f.Wire == 2).Payload is { } image)
            {
                var i = Fields(image).ToList();
                images.Add(new ImageEvent(tag, step, (int)i.Single(f => f.Field == 1).Value, (int)i.Single(f => f.Field == 2).Value,
                    (int)i.Single(f => f.Field == 3).Value, i.Single(f => f.Field == 4).Payload!));
            }
            if (fields.SingleOrDefault(f => f.Field == 8 && f.Wire == 2).Payload is { } tensor)
            {
                var t = Fields(tensor).ToList();
                if (t.Single(f => f.Field == 1).Value != 7) throw new InvalidDataException("a text tensor must be DT_STRING");
                texts.Add(new TextEvent(tag, step, Encoding.UTF8.GetString(t.Single(f => f.Field == 8).Payload!)));
            }
        }
        return (histograms, images, texts);
    }

    /// <summary>Every Summary.Value of the file with its event's step.</summary>
    private static IEnumerable<(long Step, byte[] Value)> SummaryValues(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int offset = 0;
        while (offset < bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
            var data = bytes.AsSpan(offset + 12, length).ToArray();
            offset += 12 + length + 4;
            var fields = Fields(data).ToList();
            long step = fields.Where(f => f.Field == 2 && f.Wire == 0).Select(f => (long)f.Value).FirstOrDefault();
            foreach (var summary in fields.Where(f => f.Field == 5 && f.Wire == 2))
                foreach (var value in Fields(summary.Payload!).Where(f => f.Field == 1))
                    yield return (step, value.Payload!);
        }
    }

    public static (string FileVersion, List<ScalarEvent> Scalars) Read(string path)
    {
        var (version, scalars, _) = ReadAll(path);
        return (version, scalars);
    }

    /// <summary>The hyperparameters of the HParams plugin's session_start_info: name → number, string or bool.</summary>
    public static Dictionary<string, object> ReadHparams(string path)
    {
        var start = ReadAll(path).Plugins.Single(p => p.Plugin == "hparams" && p.Tag == "_hparams_/session_start_info");
        var info = Fields(start.Content).Single(f => f.Field == 3).Payload!;   // HParamsPluginData.session_start_info
        var result = new Dictionary<string, object>();
        foreach (var (field, _, _, entry) in Fields(info))
        {
            if (field != 1) continue;                                           // SessionStartInfo.hparams map entry
            var key = Encoding.UTF8.GetString(Fields(entry!).Single(f => f.Field == 1).Payload!);
            var value = Fields(Fields(entry!).Single(f => f.Field == 2).Payload!).Single();
            result[key] = value.Field switch
            {
                2 => BitConverter.Int64BitsToDouble((long)value.Value),
                3 => Encoding.UTF8.GetString(value.Payload!),
                4 => value.Value != 0,
                _ => throw new InvalidDataException($"unexpected google.protobuf.Value field {value.Field}"),
            };
        }
        return result;
    }

    public static (string FileVersion, List<ScalarEvent> Scalars, List<PluginEvent> Plugins) ReadAll(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var scalars = new List<ScalarEvent>();
        var plugins = new List<PluginEvent>();
        string? version = null;
        int offset = 0;
        while (offset < bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
            if (Masked(bytes.AsSpan(offset, 8)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8)))
                throw new InvalidDataException($"bad length CRC at {offset}");
            var data = bytes.AsSpan(offset + 12, length);
            if (Masked(data) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12 + length)))
                throw new InvalidDataException($"bad data CRC at {offset}");
            offset += 12 + length + 4;

            long step = 0;
            foreach (var (field, wire, value, payload) in Fields(data.ToArray()))
            {
                if (field == 2 && wire == 0) step = (long)value;
                if (field == 3 && wire == 2) version = Encoding.UTF8.GetString(payload!);
                if (field == 5 && wire == 2)
                {
                    foreach (var (vf, _, _, valuePayload) in Fields(payload!))
                    {
                        if (vf != 1) continue;
                        string? tag = null;
                        float? simple = null;
                        (string Name, byte[] Content)? plugin = null;
                        foreach (var (f, w, v, p) in Fields(valuePayload!))
                        {
                            if (f == 1 && w == 2) tag = Encoding.UTF8.GetString(p!);
                            if (f == 2 && w == 5) simple = BitConverter.Int32BitsToSingle((int)v);
                            if (f == 9 && w == 2)
                            {
                                var pluginData = Fields(p!).Single(x => x.Field == 1).Payload!;
                                var fields = Fields(pluginData).ToList();
                                plugin = (Encoding.UTF8.GetString(fields.Single(x => x.Field == 1).Payload!), fields.Single(x => x.Field == 2).Payload!);
                            }
                        }
                        if (simple is float scalar) scalars.Add(new ScalarEvent(tag!, scalar, step));
                        if (plugin is var (name, content)) plugins.Add(new PluginEvent(tag!, name, content));
                    }
                }
            }
        }
        return (version ?? throw new InvalidDataException("no file_version event"), scalars, plugins);
    }

    private static IEnumerable<(int Field, int Wire, ulong Value, byte[]? Payload)> Fields(byte[] data)
    {
        int i = 0;
        while (i < data.Length)
        {
            var key = Varint(data, ref i);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: yield return (field, wire, Varint(data, ref i), null); break;
                case 1: yield return (field, wire, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(i)), null); i += 8; break;
                case 5: yield return (field, wire, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(i)), null); i += 4; break;
                case 2:
                    var length = (int)Varint(data, ref i);
                    yield return (field, wire, 0, data.AsSpan(i, length).ToArray());
                    i += length;
                    break;
                default: throw new InvalidDataException($"unexpected wire type {wire}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int i)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[i++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
    }

    // CRC-32C via the reflected table method (a different formulation from the writer's bitwise loop).
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }
}
