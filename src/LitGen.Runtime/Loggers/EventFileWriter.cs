using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace LitGen.Loggers;

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
        stream = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        WriteRecord(EventProto(step: 0, body => WriteString(body, 3, "brain.Event:2")));
    }

    public string Path { get; }

    public void WriteScalar(string tag, float value, long step)
        => WriteRecord(EventProto(step, body => WriteBytes(body, 5, Summary(tag, value))));

    public void Flush() => stream.Flush();

    public void Dispose() => stream.Dispose();

    // Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
    private static byte[] EventProto(long step, Action<MemoryStream> writeBody)
    {
        var body = new MemoryStream();
        body.WriteByte((1 << 3) | 1);
        Span<byte> wallTime = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(wallTime, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        body.Write(wallTime);
        if (step != 0)
        {
            body.WriteByte(2 << 3);
            WriteVarint(body, (ulong)step);
        }
        writeBody(body);
        return body.ToArray();
    }

    // Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
    private static byte[] Summary(string tag, float value)
    {
        var valueProto = new MemoryStream();
        WriteString(valueProto, 1, tag);
        valueProto.WriteByte((2 << 3) | 5);
        Span<byte> bits = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bits, value);
        valueProto.Write(bits);
        var summary = new MemoryStream();
        WriteBytes(summary, 1, valueProto.ToArray());
        return summary.ToArray();
    }

    private static void WriteString(MemoryStream target, int field, string value) => WriteBytes(target, field, Encoding.UTF8.GetBytes(value));

    private static void WriteBytes(MemoryStream target, int field, byte[] value)
    {
        WriteVarint(target, (ulong)((field << 3) | 2));
        WriteVarint(target, (ulong)value.Length);
        target.Write(value);
    }

    private static void WriteVarint(MemoryStream target, ulong value)
    {
        while (value >= 0x80)
        {
            target.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        target.WriteByte((byte)value);
    }

    private void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        stream.Write(header);
        stream.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        stream.Write(footer);
    }

    private static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8;
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }
}
