using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistClassifier;

// Linked into samples/OnnxServe too, where it is internal: a test referencing both samples sees one MnistIdx.
/// <summary>Reads the MNIST IDX files (<c>train-images-idx3-ubyte[.gz]</c>, …) of the bundled subset or of the full dataset.</summary>
#if ONNX_SERVE
internal
#else
public
#endif
static class MnistIdx
{
    /// <summary>The raw images (28 × 28 bytes each) and labels of one split.</summary>
    public static (byte[] Images, byte[] Labels) Read(string directory, string prefix)
    {
        var images = ReadIdx(Find(directory, $"{prefix}-images-idx3-ubyte"), expectedMagic: 0x803);
        var labels = ReadIdx(Find(directory, $"{prefix}-labels-idx1-ubyte"), expectedMagic: 0x801);
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new InvalidDataException($"{directory}: {images.Dimensions[0]} images but {labels.Dimensions[0]} labels for '{prefix}'.");
        return (images.Data, labels.Data);
    }

    /// <summary>The bundled subset, samples/data, found from the build output or else under the working directory.</summary>
    public static string BundledData()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "samples", "data");
            if (File.Exists(Path.Combine(candidate, "train-images-idx3-ubyte.gz"))) return candidate;
        }
        return Path.Combine(Directory.GetCurrentDirectory(), "samples", "data");
    }

    private static string Find(string directory, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            var path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"MNIST file '{name}(.gz)' not found in '{directory}'. Point --data-dir at a folder holding the four MNIST IDX files.");
    }

    private static (long[] Dimensions, byte[] Data) ReadIdx(string path, int expectedMagic)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();

        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expectedMagic) throw new InvalidDataException($"{path}: not an IDX file of the expected kind (magic 0x{magic:x}).");
        int rank = magic & 0xFF;
        var dimensions = new long[rank];
        for (int i = 0; i < rank; i++) dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
        int offset = 4 + 4 * rank;
        long count = dimensions.Aggregate(1L, (a, b) => a * b);
        if (bytes.Length - offset != count) throw new InvalidDataException($"{path}: truncated ({bytes.Length - offset} of {count} data bytes).");
        return (dimensions, bytes[offset..]);
    }
}
