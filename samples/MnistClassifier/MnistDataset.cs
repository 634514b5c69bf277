using LitGen;
using static TorchSharp.torch;

namespace MnistClassifier;

/// <summary>
/// MNIST as a map-style dataset: each sample is decoded when asked for (on a DataLoader worker thread with
/// <c>--num-workers N</c>): scaled to [0, 1] and normalized with MNIST's mean and std, as a [1, 28, 28] float32 image.
/// </summary>
public sealed class MnistDataset(byte[] images, byte[] labels, long first, long count) : Dataset<(Tensor Image, long Label)>
{
    private const int Pixels = 28 * 28;

    /// <summary>The whole split <paramref name="prefix"/> (<c>train</c> or <c>t10k</c>) of the IDX files in <paramref name="directory"/>.</summary>
    public static MnistDataset Load(string directory, string prefix)
    {
        var (images, labels) = MnistIdx.Read(directory, prefix);
        return new MnistDataset(images, labels, 0, labels.Length);
    }

    /// <summary>Samples <paramref name="start"/> … <paramref name="start"/> + <paramref name="length"/> − 1 of this dataset.</summary>
    public MnistDataset Slice(long start, long length) => new(images, labels, first + start, length);

    public override long Count => count;

    public override (Tensor Image, long Label) GetItem(long index)
    {
        long at = first + index;
        var pixels = tensor(images.AsSpan((int)(at * Pixels), Pixels).ToArray(), ScalarType.Byte).reshape(1, 28, 28);
        return (pixels.to(ScalarType.Float32).div_(255).sub_(0.1307).div_(0.3081), labels[at]);
    }
}
