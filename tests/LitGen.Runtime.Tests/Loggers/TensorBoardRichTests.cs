using System.Buffers.Binary;
using System.IO.Compression;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Loggers;

public class TensorBoardRichTests
{
    [Fact]
    public void Histograms_images_and_text_are_written_in_TensorBoards_format()
    {
        using var dir = new TempDir();
        var logger = new TensorBoardLogger(dir.Path, "run");
        var values = arange(100, ScalarType.Float32);
        logger.Experiment.AddHistogram("weights/w", values, step: 3, buckets: 10);
        var image = zeros(3, 2, 4);
        image[0, 0, 0] = tensor(1f);      // a red top-left pixel
        image[2, 1, 3] = tensor(0.5f);    // a half-blue bottom-right pixel
        logger.Experiment.AddImage("samples", image, step: 4);
        logger.Experiment.AddText("notes", "**bold** text", step: 5);
        logger.Finalize(RunStatus.Success);

        var (histograms, images, texts) = TensorBoardReader.ReadRich(Directory.GetFiles(logger.LogDir, "events.out.tfevents.*").Single());
        var histogram = Assert.Single(histograms);
        Assert.Equal(("weights/w", 3L, 0.0, 99.0, 100.0, 4950.0), (histogram.Tag, histogram.Step, histogram.Min, histogram.Max, histogram.Count, histogram.Sum));
        Assert.Equal(Enumerable.Repeat(10.0, 10), histogram.BucketCounts);
        Assert.Equal(99.0, histogram.BucketLimits[^1]);

        var written = Assert.Single(images);
        Assert.Equal(("samples", 4L, 2, 4, 3), (written.Tag, written.Step, written.Height, written.Width, written.Channels));
        var pixels = DecodePng(written.Encoded, out int width, out int height);
        Assert.Equal((4, 2), (width, height));
        Assert.Equal([255, 0, 0], pixels[0..3]);
        Assert.Equal([0, 0, 128], pixels[^3..]);

        var text = Assert.Single(texts);
        Assert.Equal(("notes", 5L, "**bold** text"), (text.Tag, text.Step, text.Text));
    }

    [Fact]
    public void ParameterHistograms_records_weights_and_gradients_every_n_steps()
    {
        using var dir = new TempDir();
        var logger = new TensorBoardLogger(dir.Path, "run");
        var trainer = new Trainer(new TrainerOptions
        {
            MaxEpochs = 1, DefaultRootDir = dir.Path, EnableProgressBar = false, EnableCheckpointing = false, Logger = [logger],
            Callbacks = [new ParameterHistograms { EveryNSteps = 2 }],
        });
        trainer.Fit(new RegressionModule(), TestData.Line(batches: 4));
        var (histograms, _, _) = TensorBoardReader.ReadRich(Directory.GetFiles(logger.LogDir, "events.out.tfevents.*").Single());
        // RegressionModule has 4 parameters; histograms before the steps at global step 0 and 2.
        Assert.Equal(16, histograms.Count);
        Assert.Equal([0L, 2L], histograms.Select(h => h.Step).Distinct().Order());
        Assert.Contains(histograms, h => h.Tag == "gradients/input.weight");
        Assert.All(histograms, h => Assert.Equal(h.Count, h.BucketCounts.Sum()));
    }

    /// <summary>An independent PNG reader: chunk CRCs checked, zlib inflated, filter type 0 rows.</summary>
    private static byte[] DecodePng(byte[] png, out int width, out int height)
    {
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        (width, height) = (0, 0);
        int channels = 0;
        using var idat = new MemoryStream();
        for (int offset = 8; offset < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            Assert.Equal(Crc32(png.AsSpan(offset + 4, 4 + length)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length)));
            if (type == "IHDR")
            {
                (width, height) = (BinaryPrimitives.ReadInt32BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[4..]));
                channels = data[9] switch { 0 => 1, 2 => 3, _ => 4 };
            }
            if (type == "IDAT") idat.Write(data);
            offset += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        var raw = inflated.ToArray();
        int stride = width * channels;
        var pixels = new byte[height * stride];
        for (int row = 0; row < height; row++)
        {
            Assert.Equal(0, raw[row * (stride + 1)]);
            Array.Copy(raw, row * (stride + 1) + 1, pixels, row * stride, stride);
        }
        return pixels;
    }

    // CRC-32 bit by bit (the encoder uses a table).
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320 & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
