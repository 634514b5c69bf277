using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace LitGen;

/// <summary>
/// Reads back the images and histograms of a TensorBoard event file, for the runs dashboard: TFRecord framing with its
/// CRCs checked, and the few protobuf fields <see cref="EventFileWriter"/> writes. A torn or corrupt record (a killed
/// writer, a full disk) ends the reading: everything before it is returned.
/// </summary>
internal static class EventFileReader
{
    public sealed record Image(string Tag, long Step, byte[] Png);

    public sealed record HistogramSnapshot(string Tag, long Step, double Min, double Max, double[] BucketLimits, double[] BucketCounts);

    public static (List<Image> Images, List<HistogramSnapshot> Histograms) Read(string path)
    {
        var (images, histograms) = (new List<Image>(), new List<HistogramSnapshot>());
        var bytes = File.ReadAllBytes(path);
        int offset = 0;
        while (offset + 12 <= bytes.Length)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
            if (length > (ulong)(bytes.Length - offset - 16)) break;
            if (EventFileWriter.MaskedCrc32C(bytes.AsSpan(offset, 8)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8))) break;
            var data = bytes.AsSpan(offset + 12, (int)length);
            if (EventFileWriter.MaskedCrc32C(data) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12 + (int)length))) break;
            offset += 12 + (int)length + 4;
            ReadEvent(data, images, histograms);
        }
        return (images, histograms);
    }

    // Event { int64 step = 2; Summary summary = 5 { repeated Value value = 1 { tag = 1; image = 4; histo = 5 } } }
    private static void ReadEvent(ReadOnlySpan<byte> data, List<Image> images, List<HistogramSnapshot> histograms)
    {
        long step = 0;
        var summaries = new List<byte[]>();
        foreach (var field in Fields(data))
        {
            if (field.Number == 2 && field.Wire == 0) step = (long)field.Value;
            if (field.Number == 5 && field.Wire == 2) summaries.Add(field.Payload);
        }
        foreach (var summary in summaries)
            foreach (var value in Fields(summary))
            {
                if (value.Number != 1 || value.Wire != 2) continue;
                string? tag = null;
                byte[]? image = null, histogram = null;
                foreach (var part in Fields(value.Payload))
                {
                    if (part.Number == 1 && part.Wire == 2) tag = Encoding.UTF8.GetString(part.Payload);
                    if (part.Number == 4 && part.Wire == 2) image = part.Payload;
                    if (part.Number == 5 && part.Wire == 2) histogram = part.Payload;
                }
                if (tag is null) continue;
                // Image { encoded_image_string = 4 }
                if (image is not null)
                    foreach (var part in Fields(image))
                        if (part.Number == 4 && part.Wire == 2) images.Add(new Image(tag, step, part.Payload));
                // HistogramProto { min = 1; max = 2; bucket_limit = 6 (packed); bucket = 7 (packed) }
                if (histogram is not null)
                {
                    double[] limits = [], counts = [];
                    double min = 0, max = 0;
                    foreach (var part in Fields(histogram))
                    {
                        if (part.Number == 1 && part.Wire == 1) min = BitConverter.UInt64BitsToDouble(part.Value);
                        if (part.Number == 2 && part.Wire == 1) max = BitConverter.UInt64BitsToDouble(part.Value);
                        if (part.Number == 6 && part.Wire == 2) limits = Doubles(part.Payload);
                        if (part.Number == 7 && part.Wire == 2) counts = Doubles(part.Payload);
                    }
                    if (limits.Length == counts.Length && limits.Length > 0) histograms.Add(new HistogramSnapshot(tag, step, min, max, limits, counts));
                }
            }
    }

    private static double[] Doubles(byte[] packed)
    {
        var values = new double[packed.Length / 8];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(packed.AsSpan(8 * i));
        return values;
    }

    private readonly record struct Field(int Number, int Wire, ulong Value, byte[] Payload);

    private static List<Field> Fields(ReadOnlySpan<byte> data)
    {
        var fields = new List<Field>();
        int at = 0;
        while (at < data.Length)
        {
            ulong key = Varint(data, ref at);
            int number = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    fields.Add(new Field(number, wire, Varint(data, ref at), []));
                    break;
                case 1:
                    fields.Add(new Field(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(data[at..]), []));
                    at += 8;
                    break;
                case 2:
                    int length = checked((int)Varint(data, ref at));
                    fields.Add(new Field(number, wire, 0, data.Slice(at, length).ToArray()));
                    at += length;
                    break;
                case 5:
                    fields.Add(new Field(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(data[at..]), []));
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"protobuf wire type {wire} is not used by TensorBoard's event files");
            }
        }
        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
