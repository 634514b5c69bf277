using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace LitGen;

/// <summary>
/// Appends TensorFlow <c>Event</c> protobufs to an <c>events.out.tfevents.*</c> file in TFRecord framing
/// (length, masked CRC-32C of the length, payload, masked CRC-32C of the payload).
/// </summary>
internal sealed class EventFileWriter : IDisposable
{
    private static int fileCounter;
    private readonly FileStream stream;

    public EventFileWriter(string directory)
    {
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var name = $"events.out.tfevents.{seconds}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref fileCounter)}";
        Path = System.IO.Path.Combine(directory, name);
        // Unbuffered: every record reaches the file in one write, so a killed process leaves whole records only.
        stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
        WriteEvent(step: 0, e => e.String(3, "brain.Event:2"));
    }

    public string Path { get; }

    // Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
    public void WriteScalar(string tag, float value, long step)
        => WriteEvent(step, e => e.Message(5, summary => summary.Message(1, v => v.String(1, tag).Float(2, value))));

    // Value { histo = 5: HistogramProto { min = 1; max = 2; num = 3; sum = 4; sum_squares = 5; bucket_limit = 6 (packed); bucket = 7 (packed) } }
    public void WriteHistogram(string tag, Histogram histogram, long step)
        => WriteEvent(step, e => e.Message(5, summary => summary.Message(1, v => v.String(1, tag).Message(5, h => h
            .Double(1, histogram.Min).Double(2, histogram.Max).Double(3, histogram.Count).Double(4, histogram.Sum).Double(5, histogram.SumOfSquares)
            .PackedDoubles(6, histogram.BucketLimits).PackedDoubles(7, histogram.BucketCounts)))));

    // Value { image = 4: Image { height = 1; width = 2; colorspace = 3; encoded_image_string = 4 } }
    public void WriteImage(string tag, int height, int width, int channels, byte[] png, long step)
        => WriteEvent(step, e => e.Message(5, summary => summary.Message(1, v => v.String(1, tag).Message(4, image => image
            .Varint(1, (ulong)height).Varint(2, (ulong)width).Varint(3, (ulong)channels).Bytes(4, png)))));

    // Value { tag = 1; metadata = 9 { plugin_data = 1 { plugin_name = "text" } }; tensor = 8: TensorProto { dtype = 1 (DT_STRING = 7);
    // tensor_shape = 2 { dim = 2 { size = 1 } }; string_val = 8 } }, as PyTorch's add_text writes it.
    public void WriteText(string tag, string text, long step)
        => WriteEvent(step, e => e.Message(5, summary => summary.Message(1, v => v
            .String(1, tag)
            .Message(9, metadata => metadata.Message(1, plugin => plugin.String(1, "text")))
            .Message(8, tensor => tensor.Varint(1, 7).Message(2, shape => shape.Message(2, dim => dim.Varint(1, 1))).String(8, text)))));

    /// <summary>
    /// Writes the three summaries of TensorBoard's HParams plugin (experiment, session start, session end) for one run,
    /// as PyTorch's <c>SummaryWriter.add_hparams</c> does. Values are numbers, bools or strings.
    /// </summary>
    public void WriteHparams(IReadOnlyList<KeyValuePair<string, object>> hparams, IReadOnlyList<string> metricTags)
    {
        // HParamsPluginData { int32 version = 1; Experiment experiment = 2; SessionStartInfo session_start_info = 3; SessionEndInfo session_end_info = 4; }
        WritePluginSummary("_hparams_/experiment", data => data.Message(2, experiment =>
        {
            foreach (var (name, _) in hparams) experiment.Message(4, info => info.String(1, name));
            foreach (var tag in metricTags) experiment.Message(5, metric => metric.Message(1, metricName => metricName.String(2, tag)));
        }));
        WritePluginSummary("_hparams_/session_start_info", data => data.Message(3, start =>
        {
            foreach (var (name, value) in hparams)
                start.Message(1, entry => entry.String(1, name).Message(2, protoValue => WriteStructValue(protoValue, value)));
            start.Double(5, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        }));
        WritePluginSummary("_hparams_/session_end_info", data => data.Message(4, end => end.Varint(1, 1)));
    }

    public void Flush() => stream.Flush();

    public void Dispose() => stream.Dispose();

    // google.protobuf.Value { double number_value = 2; string string_value = 3; bool bool_value = 4; }
    private static void WriteStructValue(ProtoWriter target, object value)
    {
        switch (value)
        {
            case bool b: target.Varint(4, b ? 1UL : 0UL); break;
            case string s: target.String(3, s); break;
            default: target.Double(2, Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
        }
    }

    // Value { tag = 1; SummaryMetadata metadata = 9 { PluginData plugin_data = 1 { plugin_name = 1; bytes content = 2; } } }
    private void WritePluginSummary(string tag, Action<ProtoWriter> content)
    {
        var data = new ProtoWriter().Varint(1, 0);
        content(data);
        WriteEvent(0, e => e.Message(5, summary => summary.Message(1, v => v
            .String(1, tag)
            .Message(9, metadata => metadata.Message(1, plugin => plugin.String(1, "hparams").Bytes(2, data.ToArray()))))));
    }

    // Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
    private void WriteEvent(long step, Action<ProtoWriter> body)
    {
        var e = new ProtoWriter().Double(1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        if (step != 0) e.Varint(2, (ulong)step);
        body(e);
        WriteRecord(e.ToArray());
    }

    private void WriteRecord(byte[] data)
    {
        var record = new byte[12 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), MaskedCrc32C(record.AsSpan(0, 8)));
        data.CopyTo(record, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + data.Length), MaskedCrc32C(data));
        RecordAppend.Write(stream, record, Path);
    }

    internal static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }

    // The CPU's CRC-32C instruction where there is one (BitOperations falls back to a table otherwise).
    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        while (data.Length >= 8)
        {
            crc = System.Numerics.BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = System.Numerics.BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>Just enough protobuf encoding for TensorBoard's messages.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream buffer = new();

        public ProtoWriter Varint(int field, ulong value) => Key(field, 0).Raw(value);

        public ProtoWriter Double(int field, double value)
        {
            Key(field, 1);
            Span<byte> bits = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(bits, value);
            buffer.Write(bits);
            return this;
        }

        public ProtoWriter Float(int field, float value)
        {
            Key(field, 5);
            Span<byte> bits = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bits, value);
            buffer.Write(bits);
            return this;
        }

        public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public ProtoWriter PackedDoubles(int field, IReadOnlyList<double> values)
        {
            var bytes = new byte[8 * values.Count];
            for (int i = 0; i < values.Count; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
            return Bytes(field, bytes);
        }

        public ProtoWriter Bytes(int field, byte[] value)
        {
            Key(field, 2).Raw((ulong)value.Length);
            buffer.Write(value);
            return this;
        }

        public ProtoWriter Message(int field, Action<ProtoWriter> write)
        {
            var nested = new ProtoWriter();
            write(nested);
            return Bytes(field, nested.ToArray());
        }

        public byte[] ToArray() => buffer.ToArray();

        private ProtoWriter Key(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private ProtoWriter Raw(ulong value)
        {
            while (value >= 0x80)
            {
                buffer.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            buffer.WriteByte((byte)value);
            return this;
        }
    }
}
